import { createHash } from 'node:crypto';
import { rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyRelease } from '../../pipelines/release/verify/verify-release.js';
import { askPeer, PeerUnreachableError } from '../core/http-client.js';
import { ConfigError, TributaryError } from '../core/errors.js';
import { AccessGrants, type AccessGrant } from './access-grants.js';
import { downloadFiles, type DownloadFile, type DownloadProgress } from './download.js';
import {
  AccessDetailsMissingError,
  AccessRequestFailedError,
  EnvelopeUntrustedError,
  LogProofFailedError,
  NotEnoughSpaceError,
  NotPermittedError,
  SourceMismatchError,
} from './errors.js';
import { holdingFolder } from './folder-lock.js';
import { downloadDir, finishPendingChange, folderSources, writeFolder, type PulledSource } from './folder.js';
import { IndexClient, type SearchFilters, type SearchManifest, type SearchTotals } from './index-client.js';
import { readLock, type Lock } from './lock.js';
import { LogTrust, type SignedHead } from './log-trust.js';
import { manifestFacts, type ManifestFacts } from './manifest-facts.js';
import { NodeKeyCache, type TrustedNode } from './node-keys.js';
import { permitsAction } from './permits.js';

/**
 * `tributary pull`: resolves manifests through the index's search, proves each one (signature by
 * the node's keys as the index pinned them, its `manifest.published` entry in the index's signed
 * log), asks nodes for access where a dataset is gated, downloads the shards from the nodes
 * (bounded, resumable, hash-checked) and writes the one folder (`writeFolder`). See README.md.
 */

export interface Requester {
  name?: string;
  contact?: string;
  purpose?: string;
}

export interface PullOptions {
  index: string;
  out: string;
  filters: SearchFilters;
  /** The action the trainer means to take (`train-asr`, `commercial-model`, …): datasets whose terms do not permit it are skipped. */
  permits?: string;
  /** Who asks nodes for access to gated datasets. */
  requester: Requester;
  /** Shards downloaded at once. Default 4. */
  concurrency?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /** Bounds on the index's answers. */
  timeoutMs?: number;
  /** Disk space the pull leaves free where it writes (default 250 MB): refused before any download when it would not. */
  keepFreeBytes?: number;
}

export type DatasetOutcome =
  /** Downloaded and written into the folder. */
  | 'pulled'
  /** Already in the folder with this manifest: nothing fetched. */
  | 'unchanged'
  /** Terms that do not permit the action asked for, or access details missing: not fetched. */
  | 'skipped'
  /** On-request access asked for and not yet approved; a later pull picks it up. */
  | 'pending'
  /** Access refused by the node. */
  | 'refused'
  /** Something failed (an envelope that does not verify, a shard the node would not serve); the rest went on. */
  | 'failed';

export interface PullDataset {
  manifest: string;
  dataset: string;
  version: string;
  node: { did: string; name: string; url: string; stale: boolean };
  language: string | null;
  modality: string;
  license: string;
  accessClass: string;
  permits: string[];
  records: number;
  hours: number | null;
  outcome: DatasetOutcome;
  /** For skipped, pending, refused and failed: why, for people. */
  reason: string | null;
  /** A stable code for scripts (an error code, or `NotPermitted`, `AccessPending`). */
  code: string | null;
  /** Source id in the folder, once there. */
  source: string | null;
  shards: number;
  bytes: number;
  /** Bytes of earlier `.part` files this run continued. */
  resumedBytes: number;
}

export interface PullReport {
  index: { url: string; logKey: string; checkpoint: { size: number; rootHash: string }; feedCursor: string };
  out: string;
  datasets: PullDataset[];
  /** Sources the folder held and that this search did not return: kept as they were. */
  kept: string[];
  totals: SearchTotals;
  /** Sources in the folder after the pull. */
  sources: number;
}

interface Resolved {
  item: SearchManifest;
  row: PullDataset;
  envelope: string;
  manifest: Record<string, unknown>;
  facts: ManifestFacts;
  node: TrustedNode;
  token?: string;
  files: DownloadFile[];
  /** The dataset's URL in the signed manifest (`<node>/api/v1/datasets/<id>`) and its origin: where access requests, tokens and card requests go. */
  datasetUrl: string;
  origin: string;
}

const METADATA_CONCURRENCY = 4;
const DEFAULT_KEEP_FREE = 250e6;

/**
 * Refuses a pull the disk cannot hold, before the first byte: what is still to download (less what
 * earlier runs left of each file) must fit, leaving `keepFree` bytes. Shards then move into data/
 * by hard link, taking no more room.
 */
async function ensureRoom(out: string, files: DownloadFile[], keepFree: number): Promise<void> {
  let needed = 0;
  for (const file of files) {
    const have = await stat(file.path).then((s) => s.size, () => 0);
    needed += Math.max(0, file.size - have);
  }
  if (needed === 0) return;
  const disk = await statfs(out);
  const free = disk.bavail * disk.bsize;
  if (needed + keepFree > free) {
    throw new NotEnoughSpaceError(
      `the datasets need ${sizeText(needed)} more in ${out}, and ${sizeText(free)} is free` +
        (keepFree > 0 ? ` (of which ${sizeText(keepFree)} is to stay free, --keep-free)` : '') +
        ': free some space, pull fewer datasets (--lang, --node, …), or pull into another disk',
    );
  }
}

/** 1,234.5 MB, 12 kB: decimal units, as disks are sold and `--keep-free` reads them. */
function sizeText(bytes: number): string {
  const [unit, scale] = bytes >= 1e12 ? ['TB', 1e12] : bytes >= 1e9 ? ['GB', 1e9] : bytes >= 1e6 ? ['MB', 1e6] : bytes >= 1e3 ? ['kB', 1e3] : ['bytes', 1];
  return `${(bytes / scale).toLocaleString('en', { maximumFractionDigits: 1 })} ${unit}`;
}

/** `tributary pull`: one at a time per folder (a second is refused with FolderBusy). */
export async function pull(options: PullOptions): Promise<PullReport> {
  return holdingFolder(options.out, () => pullInto(options), { create: true });
}

async function pullInto(options: PullOptions): Promise<PullReport> {
  const client = new IndexClient(options.index, { timeoutMs: options.timeoutMs });
  // A change a killed run left half done is finished before the folder is read.
  await finishPendingChange(options.out);
  const previous = await readLock(options.out);
  if (previous?.index.url && previous.index.url !== client.url) {
    throw new ConfigError(`${options.out} was pulled from ${previous.index.url}; pull from that index, or into another folder`);
  }
  const document = await client.document();
  const trust = LogTrust.pin(client, document, previous?.index.logKey);

  // The feed cursor is the log's size before resolving: `verify` reads every event from there,
  // so nothing logged while this pull runs is missed (events before it are already in what search shows).
  const start = await trust.head();
  if (previous?.index.checkpoint) await trust.proveConsistent(previous.index.checkpoint, start);

  const { manifests, totals } = await client.searchAll(options.filters);
  const head = await trust.head();
  await trust.proveConsistent(start, head);
  const newest = Math.max(-1, ...manifests.map((item) => item.logIndex));
  if (newest >= head.size) {
    throw new LogProofFailedError(`the index lists a manifest at log entry ${newest}, but its signed log has only ${head.size} entries`);
  }

  const grants = await AccessGrants.open(options.out);
  const keys = new NodeKeyCache(client, previous?.index.nodes ?? [], { timeoutMs: options.timeoutMs });
  const rows: PullDataset[] = [];
  const resolved: Resolved[] = [];
  const unchanged: Resolved[] = [];
  await forEachLimited(manifests, METADATA_CONCURRENCY, async (item) => {
    const row = rowOf(item);
    rows.push(row);
    try {
      const source = await resolve(item, row, { client, trust, head, keys, previous, out: options.out });
      if (!source) return;
      // Search hides a suspended node's datasets, but one may be suspended after the search.
      if (source.node.status === 'suspended') {
        const why = source.node.suspended?.reason ? `: ${source.node.suspended.reason}` : '';
        return settle(row, 'skipped', 'NodeSuspended', `the index suspended ${source.node.name} (${source.node.did})${why}; its datasets are not pulled`);
      }
      if (options.permits) {
        const verdict = permitsAction(source.facts, options.permits);
        if (!verdict.ok) return settle(row, 'skipped', NotPermittedError.code, verdict.reason);
      }
      const held = previous?.sources.find((s) => s.node.did === item.node.did && s.datasetId === item.dataset && s.manifestId === item.id);
      if (held) {
        row.source = held.id;
        row.outcome = 'unchanged';
        unchanged.push(source);
        return;
      }
      if (source.facts.accessClass !== 'open') {
        const access = await askAccess(source, grants, options.requester);
        if (!access.ok) return settle(row, access.outcome, access.code, access.reason);
        source.token = access.token;
      }
      source.files = source.facts.shards.map((shard) => ({
        url: shard.contentUrl,
        sha256: shard.sha256,
        size: shard.bytes,
        path: join(downloadDir(options.out, item.id), shard.name),
        ...(source.token ? { token: source.token } : {}),
      }));
      resolved.push(source);
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      settle(row, 'failed', error.code, error.message);
    }
  });

  // Every shard of every dataset in one bounded pool, so one slow node does not idle the others.
  const files = resolved.flatMap((source) => source.files);
  await ensureRoom(options.out, files, options.keepFreeBytes ?? DEFAULT_KEEP_FREE);
  const report = await downloadFiles(files, { concurrency: options.concurrency ?? 4, onProgress: options.onProgress });
  const outcomes = new Map(files.map((file, i) => [file, report.files[i]!]));
  const pulled: Resolved[] = [];
  for (const source of resolved) {
    const results = source.files.map((file) => outcomes.get(file)!);
    const failed = results.find((result) => !result.ok);
    if (failed && !failed.ok) {
      if (failed.code === 'AccessPending') {
        await markGrant(grants, source, 'pending');
        settle(source.row, 'pending', 'AccessPending', `access was asked for and the node has not approved it yet; pull again later`);
      } else if (failed.code === 'AccessRefused') {
        await markGrant(grants, source, 'refused');
        settle(source.row, 'refused', 'AccessRefused', 'the node refused access');
      } else {
        settle(source.row, 'failed', failed.code, failed.message);
      }
      continue;
    }
    if (source.token) await markGrant(grants, source, 'approved');
    source.row.outcome = 'pulled';
    source.row.bytes = results.reduce((sum, result) => sum + (result.ok ? result.bytes : 0), 0);
    source.row.resumedBytes = results.reduce((sum, result) => sum + (result.ok ? result.resumedFrom : 0), 0);
    pulled.push(source);
  }

  // What the folder holds after: the new and unchanged sources, and every source it held that
  // this pull did not replace (another search, or a dataset whose new version failed to download).
  const replaced = new Set([...pulled, ...unchanged].map((source) => `${source.item.node.did}\n${source.item.dataset}`));
  const keptLocks = (previous?.sources ?? []).filter((source) => !replaced.has(`${source.node.did}\n${source.datasetId}`));
  const sources: PulledSource[] = [];
  if (previous) {
    const held = await folderSources(options.out, previous);
    const keep = new Set([...keptLocks.map((s) => s.id), ...unchanged.map((s) => previous.sources.find((p) => p.node.did === s.item.node.did && p.datasetId === s.item.dataset)!.id)]);
    previous.sources.forEach((source, i) => {
      if (keep.has(source.id)) sources.push(held[i]!);
    });
  }
  for (const source of pulled) {
    sources.push({
      node: { did: source.node.did, name: source.node.name, url: source.node.url },
      envelope: source.envelope,
      manifest: source.manifest,
      card: await fetchCard(source),
      logIndex: source.item.logIndex,
      shards: source.files.map((file) => ({ name: file.path.slice(downloadDir(options.out, source.item.id).length + 1), path: file.path })),
    });
  }

  // verify reads the feed from the earliest publication pulled (or the folder's own cursor, if
  // earlier): a withdrawal logged after a release was published is applied to it, however long
  // its shards sat on disk (a pull interrupted, then resumed from complete downloads).
  const previousCursor = previous?.index.feedCursor != null ? Number(previous.index.feedCursor) : null;
  const starts = [...pulled.map((source) => source.item.logIndex), ...(previousCursor !== null ? [previousCursor] : [])];
  const feedCursor = String(starts.length > 0 ? Math.min(...starts) : head.size);

  let lock: Lock | null = previous;
  if (sources.length > 0 || previous) {
    const verified = new Map(
      report.files.flatMap((outcome) => (outcome.ok ? [[outcome.path, { sha256: outcome.sha256, bytes: outcome.bytes }] as const] : [])),
    );
    lock = await writeFolder(options.out, sources, {
      verified,
      index: {
        url: client.url,
        logKey: trust.logKey,
        feedCursor,
        checkpoint: { size: head.size, rootHash: head.rootHash, note: head.note },
        nodes: await keys.pins(),
      },
    });
    await Promise.all(pulled.map((source) => rm(downloadDir(options.out, source.item.id), { recursive: true, force: true })));
  }
  for (const row of rows) {
    if (row.outcome !== 'pulled') continue;
    row.source = lock?.sources.find((s) => s.manifestId === row.manifest)?.id ?? null;
  }
  rows.sort((a, b) => a.node.name.localeCompare(b.node.name) || a.dataset.localeCompare(b.dataset));
  return {
    index: { url: client.url, logKey: trust.logKey, checkpoint: { size: head.size, rootHash: head.rootHash }, feedCursor },
    out: options.out,
    datasets: rows,
    kept: keptLocks.map((source) => source.id),
    totals,
    sources: lock?.sources.length ?? 0,
  };

  function settle(row: PullDataset, outcome: DatasetOutcome, code: string, reason: string): void {
    row.outcome = outcome;
    row.code = code;
    row.reason = reason;
  }
}

function rowOf(item: SearchManifest): PullDataset {
  return {
    manifest: item.id,
    dataset: item.dataset,
    version: item.version,
    node: { did: item.node.did, name: item.node.name, url: item.node.url, stale: item.node.stale },
    language: item.language.tag,
    modality: item.modality,
    license: item.license,
    accessClass: item.accessClass,
    permits: item.permits,
    records: item.records,
    hours: item.hours,
    outcome: 'failed',
    reason: null,
    code: null,
    source: null,
    shards: 0,
    bytes: 0,
    resumedBytes: 0,
  };
}

/**
 * One search result, proven: the envelope the index holds, signed by the node's pinned keys, its
 * payload the manifest the search named, and its `manifest.published` entry in the signed log.
 */
async function resolve(
  item: SearchManifest,
  row: PullDataset,
  deps: { client: IndexClient; trust: LogTrust; head: SignedHead; keys: NodeKeyCache; previous: Lock | null; out: string },
): Promise<Resolved | null> {
  const node = await deps.keys.get(item.node.did);
  const entry = await deps.trust.provenEntry(item.logIndex, deps.head);
  const event = entry.event as Record<string, unknown>;
  if (event.type !== 'manifest.published' || event.manifestSha256 !== item.id || event.node !== item.node.did || typeof event.envelopeSha256 !== 'string') {
    throw new LogProofFailedError(`log entry ${item.logIndex} is not the publication of manifest ${item.id} of ${item.node.did}`);
  }
  const envelope = await deps.client.envelope(event.envelopeSha256);
  const verdict = await verifyRelease(envelope, { trustedKeys: node.keys, openShard: () => null, expectedDid: node.did });
  const failed = verdict.checks.find((check) => check.kind !== 'shard' && !check.ok);
  if (failed || !verdict.payload) {
    throw new EnvelopeUntrustedError(`${item.dataset} ${item.version} of ${node.name}: ${failed?.problem ?? 'unverified'}: ${failed?.detail ?? ''}`, {
      problem: failed?.problem,
    });
  }
  const id = createHash('sha256').update(verdict.payload).digest('hex');
  if (id !== item.id) throw new EnvelopeUntrustedError(`the index's envelope for ${item.dataset} holds manifest ${id}, not ${item.id}`);
  const manifest = JSON.parse(Buffer.from(verdict.payload).toString('utf8')) as Record<string, unknown>;
  const facts = manifestFacts(manifest);
  row.shards = facts.shards.length;
  const { datasetUrl, origin } = signedLocation(facts);
  return { item, row, envelope, manifest, facts, node, files: [], datasetUrl, origin };
}

/**
 * Where a dataset lives, from what its node signed (never from the index's answer): the
 * manifest's dataset URL, which every shard's contentUrl must lie under, on the same origin.
 * Access requests (with the trainer's details), tokens and card requests go there only.
 */
function signedLocation(facts: ManifestFacts): { datasetUrl: string; origin: string } {
  const refuse = (reason: string) => new SourceMismatchError(`${facts.datasetId} ${facts.version}: ${reason}`);
  let url: URL;
  try {
    url = new URL(facts.url);
  } catch {
    throw refuse(`the signed dataset URL ${facts.url} is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw refuse(`the signed dataset URL ${facts.url} is not a plain http(s) URL`);
  }
  const datasetUrl = url.href.replace(/\/+$/, '');
  if (!datasetUrl.endsWith(`/datasets/${encodeURIComponent(facts.datasetId)}`)) throw refuse(`the signed dataset URL ${facts.url} is not the dataset's`);
  for (const shard of facts.shards) {
    let content: URL;
    try {
      content = new URL(shard.contentUrl);
    } catch {
      throw refuse(`${shard.name}: contentUrl is not a URL`);
    }
    if (content.origin !== url.origin || !content.href.startsWith(`${datasetUrl}/`)) {
      throw refuse(`${shard.name}: contentUrl ${shard.contentUrl} is not under the dataset's signed URL ${datasetUrl}`);
    }
  }
  return { datasetUrl, origin: url.origin };
}

type AccessResult = { ok: true; token: string } | { ok: false; outcome: DatasetOutcome; code: string; reason: string };

/** A token for a gated or on-request dataset: one the folder holds, or one asked for now (terms accepted). */
async function askAccess(source: Resolved, grants: AccessGrants, requester: Requester): Promise<AccessResult> {
  // A grant asked of another origin (or kept before origins were) is not shown to this one: asked for again.
  const found = grants.find(source.node.did, source.item.dataset);
  const held = found?.origin === source.origin ? found : undefined;
  if (held?.status === 'refused') return { ok: false, outcome: 'refused', code: 'AccessRefused', reason: 'the node refused access' };
  if (held) return { ok: true, token: held.token };
  const { name, contact, purpose } = requester;
  if (!name || !contact || !purpose) {
    const missing = [!name && '--name', !contact && '--contact', !purpose && '--purpose'].filter(Boolean).join(', ');
    return { ok: false, outcome: 'skipped', code: AccessDetailsMissingError.code, reason: `${source.facts.accessClass} dataset: asking for access needs ${missing} (or the trainer config file)` };
  }
  const url = `${source.datasetUrl}/access`;
  let answer;
  try {
    answer = await askPeer(url, { method: 'POST', body: JSON.stringify({ name, contact, purpose, acceptTerms: true }), timeoutMs: 30_000, maxBytes: 64 * 1024 });
  } catch (error) {
    if (error instanceof PeerUnreachableError) return { ok: false, outcome: 'failed', code: error.code, reason: error.message };
    throw error;
  }
  if (answer.status !== 201) {
    return { ok: false, outcome: 'failed', code: answer.code ?? AccessRequestFailedError.code, reason: `the node answered ${answer.status} to the access request${answer.message ? `: ${answer.message}` : ''}` };
  }
  let body: { grant?: { id?: unknown; status?: unknown }; token?: unknown };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return { ok: false, outcome: 'failed', code: AccessRequestFailedError.code, reason: 'the node’s answer to the access request is not JSON' };
  }
  if (typeof body.token !== 'string' || typeof body.grant?.id !== 'string') {
    return { ok: false, outcome: 'failed', code: AccessRequestFailedError.code, reason: 'the node’s answer to the access request has no token' };
  }
  const status = body.grant.status === 'approved' ? 'approved' : body.grant.status === 'pending' ? 'pending' : 'refused';
  await grants.put({
    node: source.node.did,
    dataset: source.item.dataset,
    grantId: body.grant.id,
    token: body.token,
    status,
    requestedAt: new Date().toISOString(),
    origin: source.origin,
  });
  if (status === 'refused') return { ok: false, outcome: 'refused', code: 'AccessRefused', reason: 'the node refused access' };
  // A pending grant's token is tried anyway: the node answers AccessPending until the operator approves.
  return { ok: true, token: body.token };
}

async function markGrant(grants: AccessGrants, source: Resolved, status: AccessGrant['status']): Promise<void> {
  const held = grants.find(source.node.did, source.item.dataset);
  if (held && held.origin === source.origin && held.status !== status) await grants.put({ ...held, status });
}

/** The node's own dataset card, as it serves it (unsigned; the folder keeps it beside the envelope). */
async function fetchCard(source: Resolved): Promise<string> {
  const url = `${source.datasetUrl}/card?version=${encodeURIComponent(source.facts.version)}`;
  try {
    const answer = await askPeer(url, { timeoutMs: 30_000, maxBytes: 4 * 1024 * 1024, headers: source.token ? { authorization: `Bearer ${source.token}` } : {} });
    if (answer.status === 200) return answer.text;
  } catch (error) {
    if (!(error instanceof PeerUnreachableError)) throw error;
  }
  // No card from the node is no reason to refuse data already verified: the folder's card says what the manifest says.
  return `# ${source.facts.name}\n\nThe node did not serve its dataset card; see croissant.dsse.json beside this file.\n`;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
