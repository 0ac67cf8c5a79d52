import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { MANIFEST_PAYLOAD_TYPE } from '../../pipelines/release/manifest/croissant.js';
import { compareCodeUnits } from '../../pipelines/release/manifest/order.js';
import { STATE_DIR } from './access-grants.js';
import { writeFileAtomic } from './atomic-file.js';
import { LockInvalidError, ShardFileMissingError, ShardFormatUnsupportedError, SourceMismatchError, UnknownSourceError } from './errors.js';
import { digestFile, type FileDigest } from '../core/file-digest.js';
import { hasJournal, readJournal } from './journal.js';
import {
  CARD_FILE,
  contentKey,
  ENVELOPE_FILE,
  layOut,
  SOURCES_DIR,
  tempShardPath,
  type ShardContent,
  type SourceState,
} from './layout.js';
import { EMPTY_INDEX_STATE, LOCK_FILE, lockText, readLock, SOURCE_ID, type IndexState, type Lock, type LockShard, type LockSource } from './lock.js';
import { manifestFacts } from './manifest-facts.js';
import { rewriteShardWithout } from './shard-rewrite.js';

/**
 * The folder `tributary pull` writes and `tributary verify` maintains: one dataset made of
 * several nodes' releases. See README.md for the layout.
 */

/** One release, verified by the caller (signature against pinned keys, every shard's sha256). */
export interface PulledSource {
  node: { did: string; name: string; url: string };
  /** The DSSE envelope exactly as the node (or index) served it. */
  envelope: string;
  /** The signed manifest: the envelope's payload, parsed. */
  manifest: Record<string, unknown>;
  /** The node's dataset card (README.md) as served. */
  card: string;
  /**
   * Verified downloads of the manifest's shards, by manifest name. A shard may be left out
   * when the folder already holds it from the same manifest (an unchanged source on a re-pull).
   */
  shards: Array<{ name: string; path: string }>;
  /** The log index of the manifest's `manifest.published` entry, when the caller proved it. */
  logIndex?: number | null;
}

export interface WriteFolderOptions {
  /** Index, feed cursor and checkpoint for the lock; by default those of the folder's current lock. */
  index?: IndexState;
  /**
   * Digests of downloads the caller has just verified while streaming them (`downloadFiles`
   * outcomes), by path, so the layout does not read them a second time.
   */
  verified?: ReadonlyMap<string, FileDigest>;
}

/**
 * Writes `dir` so that it holds exactly `sources` (a source the folder held before and that is
 * not given is removed). Idempotent: the same sources again change no file. Records dropped
 * from a source since an earlier pull stay dropped while its manifest is the same.
 */
export async function writeFolder(dir: string, sources: readonly PulledSource[], options: WriteFolderOptions = {}): Promise<Lock> {
  await mkdir(dir, { recursive: true });
  await finishPendingChange(dir);
  const previous = await readLock(dir);
  const checked = sources.map(checkSource);
  const ids = assignSourceIds(checked, previous);
  const states: SourceState[] = [];
  const contents = new Map<string, ShardContent>();

  for (const [index, source] of checked.entries()) {
    const id = ids[index]!;
    const before = previous?.sources.find((old) => old.id === id && old.manifestId === source.manifestId);
    const downloads = new Map(source.pulled.shards.map((shard) => [shard.name, shard.path]));
    const shards = source.facts.shards.map((shard): LockShard => {
      const earlier = before?.shards.find((old) => old.name === shard.name);
      contents.set(contentKey(id, shard.name), {
        candidates: earlier?.local ? [join(dir, earlier.local.name)] : [],
        original: downloads.get(shard.name),
      });
      return {
        name: shard.name,
        split: shard.split,
        sha256: shard.sha256,
        bytes: shard.bytes,
        records: shard.records,
        // New shards are the signed bytes; their names in data/ are given by the layout.
        local: earlier ? earlier.local && { ...earlier.local } : { name: '', sha256: shard.sha256, bytes: shard.bytes, records: shard.records },
        droppedKeys: earlier ? [...earlier.droppedKeys] : [],
      };
    });
    states.push({
      lock: {
        id,
        node: { ...source.pulled.node },
        datasetId: source.facts.datasetId,
        version: source.facts.version,
        logIndex: source.pulled.logIndex ?? before?.logIndex ?? null,
        manifestId: source.manifestId,
        envelopeSha256: sha256(source.pulled.envelope),
        cardSha256: sha256(source.pulled.card),
        shards,
      },
      envelope: source.pulled.envelope,
      card: source.pulled.card,
      facts: source.facts,
    });
  }
  return layOut(dir, states, contents, options.index ?? previous?.index ?? EMPTY_INDEX_STATE, options.verified);
}

export interface DropRecords {
  /** The source's id in the lock. */
  source: string;
  /** Manifest names of the shards that hold the records (as a withdrawal notice lists them); every shard of the source when left out. */
  shards?: string[];
  recordKeys: string[];
}

export interface DropOutcome {
  lock: Lock;
  /** Keys found and removed. */
  dropped: string[];
  /** Keys not found in the shards named (already dropped, or never there). */
  notFound: string[];
}

/**
 * Rewrites a source's shards without the given records (withdrawals), with new sizes and
 * sha256s in the lock; a shard left with no record goes, and its split is renumbered. Several
 * drops (one per withdrawal notice) can be given at once: the folder is then laid out once.
 * Writes nothing when none of the keys is there.
 */
export async function dropRecords(dir: string, lock: Lock, drops: DropRecords | readonly DropRecords[]): Promise<DropOutcome> {
  const list = Array.isArray(drops) ? (drops as readonly DropRecords[]) : [drops as DropRecords];
  for (const drop of list) {
    if (!lock.sources.some((source) => source.id === drop.source)) throw new UnknownSourceError(`the folder has no source ${drop.source}`);
  }
  const { states, contents } = await statesFromFolder(dir, lock.sources);
  const known = new Map<string, FileDigest>();
  const asked = new Set(list.flatMap((drop) => drop.recordKeys));
  const dropped = new Set<string>();
  const made: string[] = [];
  try {
    for (const state of states) {
      for (const shard of state.lock.shards) {
        const keys = new Set(
          list.filter((drop) => drop.source === state.lock.id && (!drop.shards || drop.shards.includes(shard.name))).flatMap((drop) => drop.recordKeys),
        );
        if (!shard.local || keys.size === 0) continue;
        // The file the lock describes, or nothing: a rewrite must not bless a changed file.
        const path = join(dir, shard.local.name);
        const digest = known.get(path) ?? (await digestFile(path));
        if (digest?.sha256 !== shard.local.sha256) {
          throw new ShardFileMissingError(`${shard.local.name} is not the file the lock describes (sha256 ${shard.local.sha256}); run tributary verify`, {
            source: state.lock.id,
            shard: shard.name,
          });
        }
        known.set(path, digest);
        const temp = tempShardPath(dir);
        made.push(temp);
        const rewritten = await rewriteShardWithout(path, temp, keys);
        if (rewritten.dropped.length === 0) continue;
        for (const key of rewritten.dropped) dropped.add(key);
        shard.droppedKeys = [...new Set([...shard.droppedKeys, ...rewritten.dropped])].sort(compareCodeUnits);
        if (rewritten.records === 0) {
          shard.local = null;
          continue;
        }
        shard.local = { name: shard.local.name, sha256: rewritten.sha256, bytes: rewritten.bytes, records: rewritten.records };
        known.set(temp, { sha256: rewritten.sha256, bytes: rewritten.bytes });
        contents.set(contentKey(state.lock.id, shard.name), { candidates: [temp] });
      }
    }
    const notFound = [...asked].filter((key) => !dropped.has(key));
    if (dropped.size === 0) return { lock, dropped: [], notFound };
    const next = await layOut(dir, states, contents, lock.index, known);
    return { lock: next, dropped: [...dropped].sort(compareCodeUnits), notFound };
  } finally {
    // A journalled change may need these rewritten shards to finish (layOut keeps them then).
    if (!(await hasJournal(dir))) await Promise.all(made.map((path) => rm(path, { force: true })));
  }
}

/** Removes a source (a retracted dataset): its shards and `sources/` entry go, the rest is renumbered. */
export async function removeSource(dir: string, lock: Lock, sourceId: string): Promise<Lock> {
  if (!lock.sources.some((source) => source.id === sourceId)) throw new UnknownSourceError(`the folder has no source ${sourceId}`);
  const { states, contents } = await statesFromFolder(
    dir,
    lock.sources.filter((source) => source.id !== sourceId),
  );
  return layOut(dir, states, contents, lock.index);
}

/**
 * The sources a folder holds, as `writeFolder` takes them (without downloads: their shards are
 * in the folder). A pull that keeps some sources as they are passes these along with new ones.
 */
export async function folderSources(dir: string, lock: Lock): Promise<PulledSource[]> {
  const { states } = await statesFromFolder(dir, lock.sources);
  return states.map((state) => ({
    node: { ...state.lock.node },
    envelope: state.envelope,
    manifest: openEnvelope(state.envelope).manifest,
    card: state.card,
    shards: [],
    logIndex: state.lock.logIndex,
  }));
}

/**
 * Finishes a change a killed run journalled (`.tributary/lock.next.json`) but did not complete:
 * shards renamed, lock not yet written. Every command that opens a folder calls it first. Returns
 * the lock written, or null when nothing was pending. Shards are found by sha256 among the
 * folder's files (and the pull's downloads, for a source that was new); the journal's envelopes
 * and cards must be the ones its lock records.
 */
export async function finishPendingChange(dir: string): Promise<Lock | null> {
  const journal = await readJournal(dir);
  if (!journal) return null;
  const states: SourceState[] = [];
  const contents = new Map<string, ShardContent>();
  for (const source of journal.lock.sources) {
    const held = journal.sources.find((entry) => entry.id === source.id);
    if (!held || sha256(held.envelope) !== source.envelopeSha256 || sha256(held.card) !== source.cardSha256) {
      throw new LockInvalidError(`the journalled change does not hold the envelope and card of ${source.id} its lock records`);
    }
    const lockCopy = structuredClone(source);
    for (const shard of lockCopy.shards) {
      if (!shard.local) continue;
      const download = join(downloadDir(dir, source.manifestId), shard.name);
      const original = (await digestFile(download)) ? download : undefined;
      contents.set(contentKey(source.id, shard.name), { candidates: [join(dir, shard.local.name)], ...(original ? { original } : {}) });
    }
    states.push({ lock: lockCopy, envelope: held.envelope, card: held.card, facts: manifestFacts(openEnvelope(held.envelope).manifest) });
  }
  return layOut(dir, states, contents, journal.lock.index);
}

/** Where a manifest's shards download to before the folder takes them (kept across a kill, for Range resumes). */
export function downloadDir(out: string, manifestId: string): string {
  return join(out, STATE_DIR, 'downloads', manifestId);
}

/** Records where the folder stands with the index (feed cursor, checkpoint) after `pull` or `verify`; only the lock changes. */
export async function setIndexState(dir: string, lock: Lock, index: IndexState): Promise<Lock> {
  const next: Lock = { ...lock, index };
  await writeFileAtomic(join(dir, LOCK_FILE), lockText(next));
  return next;
}

/** The sources a folder holds, from its lock and `sources/`, each shard to be found where it is now. */
async function statesFromFolder(dir: string, sources: readonly LockSource[]): Promise<{ states: SourceState[]; contents: Map<string, ShardContent> }> {
  const states: SourceState[] = [];
  const contents = new Map<string, ShardContent>();
  for (const source of sources) {
    const folder = join(dir, SOURCES_DIR, source.id);
    const envelope = await readFile(join(folder, ENVELOPE_FILE), 'utf8').catch(() => null);
    const card = await readFile(join(folder, CARD_FILE), 'utf8').catch(() => null);
    if (envelope === null || sha256(envelope) !== source.envelopeSha256 || card === null || sha256(card) !== source.cardSha256) {
      throw new LockInvalidError(`${SOURCES_DIR}/${source.id}/ does not hold the envelope and card the lock records`);
    }
    const { manifest } = openEnvelope(envelope);
    const lockCopy = structuredClone(source);
    for (const shard of lockCopy.shards) {
      if (shard.local) contents.set(contentKey(source.id, shard.name), { candidates: [join(dir, shard.local.name)] });
    }
    states.push({ lock: lockCopy, envelope, card, facts: manifestFacts(manifest) });
  }
  return { states, contents };
}

interface CheckedSource {
  pulled: PulledSource;
  facts: ReturnType<typeof manifestFacts>;
  manifestId: string;
}

/** The parts of a source must be one release: the manifest is the envelope's payload, from that node, Parquet. */
function checkSource(pulled: PulledSource): CheckedSource {
  const { payload } = openEnvelope(pulled.envelope);
  if (canonicalJson(pulled.manifest) !== payload.toString('utf8')) {
    throw new SourceMismatchError('the manifest given is not the payload of the envelope given');
  }
  const facts = manifestFacts(pulled.manifest);
  if (facts.nodeDid !== pulled.node.did) {
    throw new SourceMismatchError(`the manifest of ${facts.datasetId} names node ${facts.nodeDid}, not ${pulled.node.did}`);
  }
  const tar = facts.shards.find((shard) => shard.encodingFormat !== 'application/x-parquet');
  if (tar) throw new ShardFormatUnsupportedError(`${facts.datasetId}: ${tar.name} is not Parquet; a pulled folder holds Parquet shards`);
  const names = new Set(facts.shards.map((shard) => shard.name));
  const unknown = pulled.shards.find((shard) => !names.has(shard.name));
  if (unknown) throw new SourceMismatchError(`${facts.datasetId} ${facts.version} has no shard ${unknown.name}`);
  return { pulled, facts, manifestId: createHash('sha256').update(payload).digest('hex') };
}

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).min(1),
});

function openEnvelope(text: string): { payload: Buffer; manifest: Record<string, unknown> } {
  let parsed: z.output<typeof envelopeSchema>;
  try {
    parsed = envelopeSchema.parse(JSON.parse(text));
  } catch {
    throw new SourceMismatchError('the envelope is not a DSSE envelope');
  }
  if (parsed.payloadType !== MANIFEST_PAYLOAD_TYPE) throw new SourceMismatchError(`the envelope holds ${parsed.payloadType}, not a manifest`);
  const payload = Buffer.from(parsed.payload, 'base64');
  try {
    return { payload, manifest: JSON.parse(payload.toString('utf8')) as Record<string, unknown> };
  } catch {
    throw new SourceMismatchError('the envelope payload is not JSON');
  }
}

/**
 * Ids for `sources/<id>/` and the card's configs: `<node name>-<dataset id>` as a slug, kept
 * from the folder's lock for the same node and dataset; when two nodes share a name, the later
 * DIDs get a few hex digits of their hash.
 */
function assignSourceIds(sources: readonly CheckedSource[], previous: Lock | null): string[] {
  const ids: Array<string | undefined> = new Array(sources.length);
  const taken = new Set<string>();
  const seen = new Set<string>();
  for (const [index, source] of sources.entries()) {
    const identity = `${source.facts.nodeDid}\n${source.facts.datasetId}`;
    if (seen.has(identity)) throw new SourceMismatchError(`${source.facts.datasetId} of ${source.facts.nodeDid} is given twice`);
    seen.add(identity);
    const kept = previous?.sources.find((old) => old.node.did === source.facts.nodeDid && old.datasetId === source.facts.datasetId);
    if (kept && !taken.has(kept.id)) {
      ids[index] = kept.id;
      taken.add(kept.id);
    }
  }
  const order = sources
    .map((source, index) => ({ source, index }))
    .filter(({ index }) => ids[index] === undefined)
    .sort((a, b) => compareCodeUnits(a.source.facts.nodeDid, b.source.facts.nodeDid) || compareCodeUnits(a.source.facts.datasetId, b.source.facts.datasetId));
  for (const { source, index } of order) {
    const name = slug(source.pulled.node.name) || 'node';
    const dataset = slug(source.facts.datasetId);
    let id = trim(`${name}-${dataset}`);
    if (taken.has(id)) id = trim(`${name}-${sha256(source.facts.nodeDid).slice(0, 6)}-${dataset}`);
    for (let n = 2; taken.has(id); n++) id = trim(`${name}-${sha256(source.facts.nodeDid).slice(0, 6)}-${dataset}-${n}`);
    ids[index] = id;
    taken.add(id);
  }
  return ids.map((id) => {
    if (!id || !SOURCE_ID.test(id)) throw new SourceMismatchError(`cannot make a source id from ${id}`);
    return id;
  });
}

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function trim(id: string): string {
  return id.slice(0, 128).replace(/-+$/, '');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
