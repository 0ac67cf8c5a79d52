import { openStatement, PAYLOAD_TYPES, type WithdrawalNotice } from '../../pipelines/federation/statements.js';
import { ConfigError } from '../core/errors.js';
import { EnvelopeUntrustedError, LockInvalidError } from './errors.js';
import { holdingFolder } from './folder-lock.js';
import { dropRecords, finishPendingChange, removeSource, setIndexState, type DropRecords } from './folder.js';
import { IndexClient, type FeedEntry } from './index-client.js';
import { readLock, type Lock, type LockSource } from './lock.js';
import { LogTrust } from './log-trust.js';
import { NodeKeyCache } from './node-keys.js';

/**
 * `tributary verify DIR --index URL`: brings a pulled folder up to date with the index. It proves
 * that the index's log still extends the checkpoint the folder last saw (a log that dropped or
 * rewrote an entry fails here), reads the feed from the folder's cursor, and for the folder's own
 * sources applies what their nodes signed: withdrawals (records dropped from the shards that hold
 * them), retractions (the source removed); access changes, newer versions and node events are
 * reported, not acted on. Each notice acted on is proven in the log and verified against the
 * node's keys as the index pinned them, so neither the index nor a node alone can remove data.
 */

export interface VerifyOptions {
  dir: string;
  index: string;
  timeoutMs?: number;
}

export type ChangeKind =
  | 'withdrawal'
  | 'retraction'
  | 'access-change'
  | 'newer-version'
  | 'node-key-rotated'
  | 'node-stale'
  | 'node-suspended';

export interface VerifyChange {
  kind: ChangeKind;
  logIndex: number;
  node: string;
  /** The folder's source it concerns (null for a node event). */
  source: string | null;
  dataset: string | null;
  /** What was done to the folder: records dropped, source removed, or only reported. */
  applied: boolean;
  /** Records removed from the folder's shards (withdrawals). */
  records: number;
  detail: string;
}

export interface VerifyReport {
  dir: string;
  index: string;
  log: { from: number; to: number; cursorFrom: number; cursorTo: number };
  /** Feed events read. */
  eventsRead: number;
  changes: VerifyChange[];
  /** Whether any file of the folder changed. */
  changed: boolean;
  /** Whether a change a killed run had left half done (journalled, lock not written) was finished first. */
  recovered: boolean;
  sources: number;
}

interface Withdrawal {
  entry: FeedEntry;
  source: LockSource;
  drop: DropRecords;
  keys: string[];
}

/** `tributary verify`: one at a time per folder, pulls included (a second is refused with FolderBusy). */
export async function verifyFolder(options: VerifyOptions): Promise<VerifyReport> {
  return holdingFolder(options.dir, () => verifyIn(options), { create: false });
}

async function verifyIn(options: VerifyOptions): Promise<VerifyReport> {
  // A change a killed run journalled (shards placed, lock not yet written) is finished first.
  const recovered = (await finishPendingChange(options.dir)) !== null;
  let lock = await readLock(options.dir);
  if (!lock) throw new LockInvalidError(`${options.dir} holds no tributary.lock.json: run tributary pull first`);
  const client = new IndexClient(options.index, { timeoutMs: options.timeoutMs });
  if (lock.index.url && lock.index.url !== client.url) {
    throw new ConfigError(`${options.dir} was pulled from ${lock.index.url}; verify it against that index`);
  }
  const trust = LogTrust.pin(client, await client.document(), lock.index.logKey);
  const head = await trust.head();
  const from = lock.index.checkpoint;
  if (from) await trust.proveConsistent(from, head);

  const cursorFrom = lock.index.feedCursor === null ? 0 : Number(lock.index.feedCursor);
  if (!Number.isSafeInteger(cursorFrom) || cursorFrom < 0) throw new LockInvalidError(`tributary.lock.json: feed cursor ${lock.index.feedCursor} is not a log index`);
  const keys = new NodeKeyCache(client, lock.index.nodes, { timeoutMs: options.timeoutMs });
  const bySource = (node: string, dataset: unknown) => lock!.sources.find((source) => source.node.did === node && source.datasetId === dataset);
  const nodes = new Set(lock.sources.map((source) => source.node.did));

  const changes: VerifyChange[] = [];
  const withdrawals: Withdrawal[] = [];
  const retractions: Array<{ entry: FeedEntry; source: LockSource }> = [];
  // Every entry from the cursor to the checkpoint is read and proven (their leaves recompute its
  // root), events of other nodes too; only those about the folder's nodes are kept.
  const { kept, read: eventsRead } = await trust.proveRange(cursorFrom, head, (entry) => nodes.has(entry.event.node));
  // The registration the log names last for each node is the one its keys must come from.
  for (const entry of kept) {
    if ((entry.event.type === 'node.registered' || entry.event.type === 'node.key-rotated') && typeof entry.event.envelopeSha256 === 'string') {
      keys.logRegistration(entry.event.node, entry.event.envelopeSha256);
    }
  }
  for (const entry of kept) {
    const event = entry.event as Record<string, unknown> & { type: string; node: string };
    const source = bySource(event.node, event.dataset);
    switch (event.type) {
      case 'withdrawal': {
        if (!source) break;
        withdrawals.push(await withdrawalOf(entry, source));
        break;
      }
      case 'dataset.retracted': {
        // A retraction logged before the folder's release was published was lifted for it (release build --unretract).
        if (!source || (source.logIndex !== null && entry.index < source.logIndex)) break;
        await opened(entry, PAYLOAD_TYPES.retraction, source);
        retractions.push({ entry, source });
        break;
      }
      case 'dataset.access-changed':
        if (source) note('access-change', entry, source, `access is now ${String(event.accessClass)}`);
        break;
      case 'manifest.superseded':
        if (source && event.manifestSha256 === source.manifestId) {
          note('newer-version', entry, source, `version ${source.version} was superseded by manifest ${String(event.supersededBy)}: newer version available (tributary pull to fetch it)`);
        }
        break;
      case 'node.key-rotated':
        note('node-key-rotated', entry, null, `signing key rotated to ${(event.newKey as { id?: string } | undefined)?.id ?? '?'}`);
        break;
      case 'node.stale':
        note('node-stale', entry, null, `not heard from since ${String(event.lastHeardAt)}`);
        break;
      case 'node.suspended':
        note('node-suspended', entry, null, `suspended by the index: ${String(event.reason)}`);
        break;
      default:
        break;
    }
  }

  let changed = recovered;
  const retracted = new Set(retractions.map((r) => r.source.id));
  const drops = withdrawals.filter((w) => !retracted.has(w.source.id));
  if (drops.length > 0) {
    const outcome = await dropRecords(options.dir, lock, drops.map((w) => w.drop));
    lock = outcome.lock;
    const gone = new Set(outcome.dropped);
    changed ||= outcome.dropped.length > 0;
    for (const w of drops) {
      const count = w.keys.filter((key) => gone.has(key)).length;
      const notice = `${w.keys.length} record(s) withdrawn from ${w.source.datasetId}`;
      changes.push({
        kind: 'withdrawal',
        logIndex: w.entry.index,
        node: w.source.node.did,
        source: w.source.id,
        dataset: w.source.datasetId,
        applied: count > 0,
        records: count,
        detail: count > 0 ? `${notice}: ${count} dropped from the folder` : `${notice}: none in the folder (already dropped)`,
      });
    }
  }
  for (const { entry, source } of retractions) {
    if (!lock.sources.some((s) => s.id === source.id)) continue;
    lock = await removeSource(options.dir, lock, source.id);
    changed = true;
    changes.push({
      kind: 'retraction',
      logIndex: entry.index,
      node: source.node.did,
      source: source.id,
      dataset: source.datasetId,
      applied: true,
      records: source.shards.reduce((sum, shard) => sum + (shard.local?.records ?? 0), 0),
      detail: `retracted by its community (${String(entry.event.reason)}): removed from the folder`,
    });
  }
  changes.sort((a, b) => a.logIndex - b.logIndex);

  lock = await setIndexState(options.dir, lock, {
    url: client.url,
    logKey: trust.logKey,
    feedCursor: String(head.size),
    checkpoint: { size: head.size, rootHash: head.rootHash, note: head.note },
    nodes: await keys.pins(),
  });
  return {
    dir: options.dir,
    index: client.url,
    log: { from: from?.size ?? 0, to: head.size, cursorFrom, cursorTo: head.size },
    eventsRead,
    changes,
    changed,
    recovered,
    sources: lock.sources.length,
  };

  function note(kind: ChangeKind, entry: FeedEntry, source: LockSource | null, detail: string): void {
    changes.push({
      kind,
      logIndex: entry.index,
      node: entry.event.node,
      source: source?.id ?? null,
      dataset: source?.datasetId ?? null,
      applied: false,
      records: 0,
      detail,
    });
  }

  /** The notice an event names: proven in the log, the envelope the event commits to, signed by the node's pinned keys. */
  async function opened<T extends typeof PAYLOAD_TYPES.withdrawal | typeof PAYLOAD_TYPES.retraction>(entry: FeedEntry, type: T, source: LockSource) {
    // The entry itself is proven (proveRange); its envelope is the one it names, by sha256.
    const sha256 = entry.event.envelopeSha256;
    if (typeof sha256 !== 'string') throw new EnvelopeUntrustedError(`log entry ${entry.index} names no envelope`);
    const text = await client.envelope(sha256);
    const node = await keys.get(source.node.did);
    const statement = openStatement(JSON.parse(text), type, node.keys);
    if (!statement.ok) {
      throw new EnvelopeUntrustedError(`log entry ${entry.index} (${entry.event.type}): the notice does not verify against ${node.name}'s keys: ${statement.reason}`);
    }
    const body = statement.statement as { node: string; dataset: string };
    if (body.node !== source.node.did || body.dataset !== source.datasetId || body.dataset !== entry.event.dataset) {
      throw new EnvelopeUntrustedError(`log entry ${entry.index}: the notice is about ${body.node} ${body.dataset}, not what the log says`);
    }
    return statement.statement;
  }

  async function withdrawalOf(entry: FeedEntry, source: LockSource): Promise<Withdrawal> {
    const notice = (await opened(entry, PAYLOAD_TYPES.withdrawal, source)) as WithdrawalNotice;
    if (notice.release.version !== entry.event.version) {
      throw new EnvelopeUntrustedError(`log entry ${entry.index}: the notice withdraws from version ${notice.release.version}, not the ${String(entry.event.version)} the log says`);
    }
    if (notice.release.version === source.version) {
      const unknown = notice.shards.find((named) => !source.shards.some((shard) => shard.name === named.name && shard.sha256 === named.sha256));
      if (unknown) {
        throw new EnvelopeUntrustedError(`log entry ${entry.index}: the notice names shard ${unknown.name} (sha256 ${unknown.sha256}), which ${source.datasetId} ${source.version} does not hold`);
      }
    }
    // The shards the notice names are that version's; in another version the records may sit in any shard.
    const sameVersion = notice.release.version === source.version;
    return {
      entry,
      source,
      keys: notice.records,
      drop: { source: source.id, ...(sameVersion ? { shards: notice.shards.map((shard) => shard.name) } : {}), recordKeys: notice.records },
    };
  }
}

export type { Lock };
