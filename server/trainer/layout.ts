import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { orderedSplits, compareCodeUnits } from '../../pipelines/release/manifest/order.js';
import { syncDirectory, writeFileAtomic } from './atomic-file.js';
import { combinedCard, unionFeatures, type CardSource } from './card.js';
import { ShardFileMissingError } from './errors.js';
import { FOLDER_MANIFEST_FILE, folderManifest } from './folder-manifest.js';
import { digestFile, type FileDigest } from '../core/file-digest.js';
import { clearJournal, hasJournal, writeJournal } from './journal.js';
import { LOCAL_SHARD_NAME, LOCK_FILE, LOCK_VERSION, lockText, type IndexState, type Lock, type LockShard, type LockSource } from './lock.js';
import type { ManifestFacts } from './manifest-facts.js';
import { readShardFooter } from './shard-metadata.js';
import { rewriteShardWithout } from './shard-rewrite.js';

/**
 * Lays a folder out from a description of what it must hold: every shard at its Hugging Face
 * name (renumbered per split across all sources), each source's envelope and card under
 * `sources/<id>/`, the combined card and the lock. Shard files are found by content (sha256),
 * among files already in the folder or downloads, so a run after a crash, a second run, or a
 * renumbering after a source left all end in the same folder; a file already right is not
 * touched. Every file is replaced by rename, and the lock is written last.
 */

export const DATA_DIR = 'data';
export const SOURCES_DIR = 'sources';
export const ENVELOPE_FILE = 'croissant.dsse.json';
export const CARD_FILE = 'README.md';

export interface SourceState {
  /** The source's lock entry. `local.name` of its shards is assigned by `layOut`. */
  lock: LockSource;
  envelope: string;
  card: string;
  facts: ManifestFacts;
}

/** Where a shard's content may be found. */
export interface ShardContent {
  /** Files that may hold `local` exactly (checked by sha256), best first. */
  candidates: string[];
  /** A verified download of the signed shard: `local` is rebuilt from it (dropping `droppedKeys`) when no candidate fits. */
  original?: string;
}

export const contentKey = (sourceId: string, shardName: string) => `${sourceId}\n${shardName}`;

/** Temporary files in `data/`: dot files that no shard glob (`data/train-*`, `*.parquet`) matches. */
const TEMP_FILE = /^\.tributary-[\w-]+\.tmp$/;

export function tempShardPath(dir: string): string {
  return join(dir, DATA_DIR, `.tributary-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * `known`: digests the caller has just computed (files it hashed or wrote), so they are not read
 * again. Every other file is hashed before it is kept: the folder is checked, not trusted.
 */
export async function layOut(
  dir: string,
  states: SourceState[],
  contents: Map<string, ShardContent>,
  index: IndexState,
  known: ReadonlyMap<string, FileDigest> = new Map(),
): Promise<Lock> {
  const dataDir = join(dir, DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const sorted = [...states].sort((a, b) => compareCodeUnits(a.lock.id, b.lock.id));
  for (const state of sorted) state.lock.shards.sort((a, b) => compareCodeUnits(a.name, b.name));
  const digests = new DigestCache();
  for (const [path, digest] of known) digests.set(path, digest);
  const made: string[] = [];
  let lock: Lock;
  try {
    // A run that crashed while renaming leaves shards under temporary or other shards' names:
    // every shard file in data/ is looked at (by sha256) when a shard is not where it should be.
    const leftovers = (await readdir(dataDir))
      .filter((name) => TEMP_FILE.test(name) || LOCAL_SHARD_NAME.test(`${DATA_DIR}/${name}`))
      .map((name) => join(dataDir, name));
    const chosen = await resolveContents(dir, sorted, contents, leftovers, digests, made);
    const finals = assignNames(sorted);
    lock = { lockVersion: LOCK_VERSION, sources: sorted.map((state) => state.lock), index };
    // From the first rename on, the old lock no longer describes data/: the next lock goes to the
    // journal first, so a run killed before the lock is written is finished by the next one.
    await writeJournal(
      dir,
      lock,
      sorted.map((state) => ({ id: state.lock.id, envelope: state.envelope, card: state.card })),
    );
    await placeShards(dir, finals, chosen);
    await removeStrayShards(dataDir, new Set([...finals.keys()].map((shard) => shard.local!.name)));
  } finally {
    // Once journalled, a temporary file may be the only copy of a shard the journal needs: it
    // stays until the lock is written (removeStrayShards clears it then).
    if (!(await hasJournal(dir))) await Promise.all(made.map((path) => rm(path, { force: true })));
  }

  await writeSources(dir, sorted);
  const cardSources = await Promise.all(sorted.map((state) => cardSource(dir, state)));
  await writeFileAtomic(join(dir, CARD_FILE), combinedCard({ sources: cardSources, indexUrl: index.url }));
  await writeFileAtomic(
    join(dir, FOLDER_MANIFEST_FILE),
    folderManifest(
      sorted.map((state) => ({
        id: state.lock.id,
        node: state.lock.node,
        facts: state.facts,
        version: state.lock.version,
        shards: state.lock.shards.flatMap((shard) => (shard.local ? [{ ...shard.local, split: shard.split }] : [])),
      })),
      index.url,
    ),
  );
  await writeFileAtomic(join(dir, LOCK_FILE), lockText(lock));
  await clearJournal(dir);
  await Promise.all(made.map((path) => rm(path, { force: true })));
  return lock;
}

class DigestCache {
  private readonly known = new Map<string, Promise<FileDigest | null>>();

  get(path: string): Promise<FileDigest | null> {
    let digest = this.known.get(path);
    if (!digest) {
      digest = digestFile(path);
      this.known.set(path, digest);
    }
    return digest;
  }

  set(path: string, digest: FileDigest): void {
    this.known.set(path, Promise.resolve(digest));
  }
}

/**
 * For every shard that must be in `data/`, a file holding exactly its content: a candidate
 * whose sha256 is right, else the download rebuilt without the dropped records. A shard whose
 * every record was dropped leaves the folder (`local` becomes null).
 */
async function resolveContents(
  dir: string,
  states: SourceState[],
  contents: Map<string, ShardContent>,
  leftovers: string[],
  digests: DigestCache,
  made: string[],
): Promise<Map<LockShard, string>> {
  const chosen = new Map<LockShard, string>();
  for (const state of states) {
    for (const shard of state.lock.shards) {
      if (!shard.local) continue;
      const content = contents.get(contentKey(state.lock.id, shard.name)) ?? { candidates: [] };
      let found: string | undefined;
      for (const candidate of [...content.candidates, ...leftovers]) {
        const digest = await digests.get(candidate);
        if (digest && digest.sha256 === shard.local.sha256 && digest.bytes === shard.local.bytes) {
          found = candidate;
          break;
        }
      }
      if (!found && content.original) {
        const digest = await digests.get(content.original);
        if (!digest || digest.sha256 !== shard.sha256 || digest.bytes !== shard.bytes) {
          throw new ShardFileMissingError(`${content.original} is not ${state.lock.id}'s ${shard.name} (sha256 ${shard.sha256})`, {
            source: state.lock.id,
            shard: shard.name,
          });
        }
        if (shard.droppedKeys.length === 0) {
          found = content.original;
        } else {
          // Withdrawn since an earlier pull: the download is the signed shard, so drop them again.
          const temp = tempShardPath(dir);
          made.push(temp);
          const rewritten = await rewriteShardWithout(content.original, temp, new Set(shard.droppedKeys));
          if (rewritten.records === 0) {
            shard.local = null;
            continue;
          }
          shard.local = { name: shard.local.name, sha256: rewritten.sha256, bytes: rewritten.bytes, records: rewritten.records };
          digests.set(temp, { sha256: rewritten.sha256, bytes: rewritten.bytes });
          found = temp;
        }
      }
      if (!found) {
        throw new ShardFileMissingError(
          `${state.lock.id}'s ${shard.name} (sha256 ${shard.local.sha256}) is neither in the folder nor among the downloads`,
          { source: state.lock.id, shard: shard.name },
        );
      }
      chosen.set(shard, found);
    }
  }
  return chosen;
}

/** `data/{split}-{i:05d}-of-{n:05d}.parquet`, numbered per split across sources (in id order), then shard names. */
function assignNames(states: SourceState[]): Map<LockShard, string> {
  const finals = new Map<LockShard, string>();
  const shards = states.flatMap((state) => state.lock.shards.filter((shard) => shard.local !== null));
  for (const split of orderedSplits([...new Set(shards.map((shard) => shard.split))])) {
    const ofSplit = shards.filter((shard) => shard.split === split);
    ofSplit.forEach((shard, index) => {
      const name = `${DATA_DIR}/${split}-${pad(index)}-of-${pad(ofSplit.length)}.parquet`;
      shard.local = { ...shard.local!, name };
      finals.set(shard, name);
    });
  }
  return finals;
}

const pad = (n: number) => String(n).padStart(5, '0');

/**
 * Puts each chosen file at its final name. Files from outside `data/` are hard-linked (or
 * copied, then re-hashed) to a temporary name first; files inside that must move go to a
 * temporary name first too, so that no rename lands on a file another shard still needs.
 */
async function placeShards(dir: string, finals: Map<LockShard, string>, chosen: Map<LockShard, string>): Promise<void> {
  const dataDir = join(dir, DATA_DIR);
  const inData = (path: string) => relative(dataDir, path).split(sep).length === 1 && !relative(dataDir, path).startsWith('..');
  const claimed = new Set<string>();
  const moves: Array<{ from: string; to: string }> = [];

  // Copies first, while every source file is still where it was.
  for (const [shard, final] of finals) {
    const from = chosen.get(shard)!;
    const to = join(dir, final);
    if (from === to && !claimed.has(from)) {
      claimed.add(from);
      continue;
    }
    if (inData(from) && !claimed.has(from)) {
      claimed.add(from);
      moves.push({ from, to });
      continue;
    }
    const temp = tempShardPath(dir);
    await linkOrCopy(from, temp, shard.local!.sha256);
    moves.push({ from: temp, to });
  }
  // Shards that change name step aside to a temporary name, then every one takes its final name.
  for (const move of moves) {
    if (TEMP_FILE.test(move.from.slice(dataDir.length + 1))) continue;
    const temp = tempShardPath(dir);
    await rename(move.from, temp);
    move.from = temp;
  }
  for (const move of moves) await rename(move.from, move.to);
  if (moves.length > 0) await syncDirectory(dataDir);
}

async function linkOrCopy(from: string, to: string, sha256: string): Promise<void> {
  try {
    // Same inode, no second copy on disk: safe because shards are only ever replaced by rename.
    await link(from, to);
    return;
  } catch {
    // Another file system, or links not allowed: copy.
  }
  await copyFile(from, to);
  const digest = await digestFile(to);
  if (digest?.sha256 !== sha256) {
    await rm(to, { force: true });
    throw new ShardFileMissingError(`${from} changed while it was copied into the folder`);
  }
}

/** Shard files and temporary files in `data/` that the layout does not name (other files are the user's). */
async function removeStrayShards(dataDir: string, keep: Set<string>): Promise<void> {
  let removed = false;
  for (const name of await readdir(dataDir)) {
    const relativeName = `${DATA_DIR}/${name}`;
    if (keep.has(relativeName)) continue;
    if (LOCAL_SHARD_NAME.test(relativeName) || TEMP_FILE.test(name)) {
      await rm(join(dataDir, name), { force: true });
      removed = true;
    }
  }
  if (removed) await syncDirectory(dataDir);
}

async function writeSources(dir: string, states: SourceState[]): Promise<void> {
  const sourcesDir = join(dir, SOURCES_DIR);
  await mkdir(sourcesDir, { recursive: true });
  for (const state of states) {
    await mkdir(join(sourcesDir, state.lock.id), { recursive: true });
    await writeFileAtomic(join(sourcesDir, state.lock.id, ENVELOPE_FILE), state.envelope);
    await writeFileAtomic(join(sourcesDir, state.lock.id, CARD_FILE), state.card);
  }
  const ids = new Set(states.map((state) => state.lock.id));
  for (const entry of await readdir(sourcesDir, { withFileTypes: true })) {
    if (!ids.has(entry.name)) await rm(join(sourcesDir, entry.name), { recursive: true, force: true });
  }
}

async function cardSource(dir: string, state: SourceState): Promise<CardSource> {
  const placed = state.lock.shards.filter((shard) => shard.local !== null);
  const splits = orderedSplits([...new Set(placed.map((shard) => shard.split))]).map((split) => {
    const own = placed.filter((shard) => shard.split === split);
    return { split, files: own.map((shard) => shard.local!.name), records: own.reduce((sum, shard) => sum + shard.local!.records, 0) };
  });
  const footers = await Promise.all(placed.map(async (shard) => ({ id: state.lock.id, features: (await readShardFooter(join(dir, shard.local!.name))).features })));
  return {
    id: state.lock.id,
    node: state.lock.node,
    facts: state.facts,
    splits,
    features: unionFeatures(footers),
    droppedRecords: state.lock.shards.reduce((sum, shard) => sum + shard.droppedKeys.length, 0),
  };
}
