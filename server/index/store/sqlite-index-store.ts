import type { Statement as BetterSqlite3Statement } from 'better-sqlite3';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONNECTION_PRAGMAS, openDatabase, type Db } from '../../core/db.js';
import { IndexBusyError } from '../errors.js';
import { indexMigrations } from '../migrations/index.js';
import { ForwardedReads } from './forwarded-reads.js';
import type {
  DatasetQuery,
  DatasetRecord,
  DatasetSearchResult,
  EnvelopeRecord,
  FeedEntry,
  FeedEntryInput,
  IndexReads,
  IndexStore,
  IndexTransaction,
  ManifestRecord,
  NodeRecord,
  NoticeRecord,
  ShardRecord,
  SigningKeyRecord,
  StoreCounts,
} from './index-store.js';
import { datasetFromRow, searchTerms, type DatasetRow } from './sqlite-dataset-rows.js';
import { SqliteSearch } from './sqlite-search.js';
import { SqliteTreeStore } from './sqlite-tree-store.js';

export interface SqliteIndexStoreOptions {
  /** How long a transaction waits for another writer (another process) before `IndexBusy`. */
  busyTimeoutMs?: number;
}

/**
 * The index's SQLite store: one file in WAL mode, two connections. Reads outside transactions
 * go through a read-only connection and so see committed state only; transactions run on the
 * writer, one at a time per process (one connection holds one transaction), and each begins
 * IMMEDIATE, taking SQLite's write lock before its first read: another process on the same file
 * waits for it, and the log's size read inside cannot change before the transaction commits.
 * That wait is polled without blocking the event loop, so two stores in one process (tests, a
 * command beside a running index) cannot deadlock.
 *
 * `synchronous = FULL`: an acknowledged event survives a power cut too. A log that lost entries it
 * had served in a checkpoint would look to trainers like a rewritten history.
 */
export class SqliteIndexStore extends ForwardedReads implements IndexStore {
  readonly #writer: Db;
  readonly #reader: Db;
  protected readonly reads: SqliteReads;
  readonly #tx: SqliteTransaction;
  readonly #search: SqliteSearch;
  readonly #busyTimeoutMs: number;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(file: string, options: SqliteIndexStoreOptions = {}) {
    super();
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#writer = openDatabase(file, indexMigrations);
    this.#writer.pragma('synchronous = FULL');
    this.#reader = new Database(file);
    for (const pragma of CONNECTION_PRAGMAS) this.#reader.pragma(pragma);
    this.#reader.pragma('query_only = ON');
    this.reads = new SqliteReads(this.#reader);
    this.#search = new SqliteSearch(this.#reader);
    this.#tx = new SqliteTransaction(this.#writer);
  }

  transaction<T>(fn: (tx: IndexTransaction) => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => this.#run(fn));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #run<T>(fn: (tx: IndexTransaction) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('The index store is closed.');
    await this.#begin();
    let result: T;
    try {
      result = await fn(this.#tx);
      this.#writer.exec('COMMIT');
    } catch (error) {
      if (this.#writer.inTransaction) this.#writer.exec('ROLLBACK');
      throw error;
    }
    return result;
  }

  async #begin(): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        // BEGIN IMMEDIATE must fail at once when another writer holds the lock: waiting inside
        // SQLite would block this process's event loop, and with it the writer it waits for.
        // Once the lock is held, statements wait as usual (in WAL mode they hardly ever need to).
        this.#writer.pragma('busy_timeout = 0');
        this.#writer.exec('BEGIN IMMEDIATE');
        this.#writer.pragma('busy_timeout = 5000');
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
        if (Date.now() >= deadline) throw new IndexBusyError();
      }
      await sleep(wait);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    this.#reader.close();
    this.#writer.close();
  }

  async replicaLag(): Promise<null> {
    return null;
  }

  /** One file, no replica: its reads are its own. */
  get replica(): IndexReads {
    return this.reads;
  }

  async searchDatasets(query: DatasetQuery): Promise<DatasetSearchResult> {
    if (this.#closed) throw new Error('The index store is closed.');
    return this.#search.search(query);
  }

  /** What the search catalogue holds in this process (its size, for measurements). */
  searchMemory(): { datasets: number; bytes: number } {
    return this.#search.memory();
  }
}

type Statement = BetterSqlite3Statement<unknown[]>;

interface NodeRow {
  did: string;
  name: string;
  url: string;
  languages: string;
  rotation_key_id: string;
  rotation_key: string;
  signing_key_id: string;
  signing_key: string;
  rotation_sequence: number;
  last_rotation: string | null;
  registration: string;
  registration_issued: string;
  registered_at: string;
  last_heard_at: string;
  heartbeat_sequence: number;
  heartbeat_at: string | null;
  heartbeat_datasets: string;
  stale: number;
  suspended_at: string | null;
  suspended_reason: string | null;
}

const MANIFEST_COLUMNS = `sha256, node_did AS nodeDid, dataset_id AS datasetId, version, rev, envelope, published, expires,
  received_at AS receivedAt, log_index AS logIndex, superseded_by AS supersededBy`;
const NOTICE_COLUMNS = `node_did AS nodeDid, id, kind, dataset_id AS datasetId, envelope, issued, received_at AS receivedAt, log_index AS logIndex`;
const FEED_COLUMNS = `log_index AS "index", type, node_did AS nodeDid, dataset_id AS datasetId, at, leaf`;

/** The reads, over either connection: the reader for the store, the writer inside a transaction. */
class SqliteReads implements IndexReads {
  readonly log: SqliteTreeStore;
  readonly #statements = new Map<string, Statement>();

  constructor(protected readonly db: Db) {
    this.log = new SqliteTreeStore(db);
  }

  /** Prepared once per connection, on first use. */
  protected sql(text: string): Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  async node(did: string): Promise<NodeRecord | undefined> {
    const row = this.sql('SELECT * FROM nodes WHERE did = ?').get(did) as NodeRow | undefined;
    return row && nodeFromRow(row);
  }

  async signingKeys(nodeDid: string): Promise<SigningKeyRecord[]> {
    return this.sql(
      'SELECT key_id AS id, public_key AS publicKeyMultibase, sequence FROM node_keys WHERE node_did = ? ORDER BY sequence, key_id',
    ).all(nodeDid) as SigningKeyRecord[];
  }

  async keyHolders(keyId: string): Promise<string[]> {
    return this.sql('SELECT node_did FROM node_keys WHERE key_id = ? ORDER BY node_did').pluck().all(keyId) as string[];
  }

  async dataset(nodeDid: string, datasetId: string): Promise<DatasetRecord | undefined> {
    const row = this.sql('SELECT * FROM datasets WHERE node_did = ? AND dataset_id = ?').get(nodeDid, datasetId) as DatasetRow | undefined;
    return row && datasetFromRow(row);
  }

  async manifest(sha256: string): Promise<ManifestRecord | undefined> {
    return this.sql(`SELECT ${MANIFEST_COLUMNS} FROM manifests WHERE sha256 = ?`).get(sha256) as ManifestRecord | undefined;
  }

  async releaseShards(nodeDid: string, datasetId: string, version: string): Promise<ShardRecord[] | undefined> {
    const manifests = this.sql('SELECT count(*) FROM manifests WHERE node_did = ? AND dataset_id = ? AND version = ?')
      .pluck()
      .get(nodeDid, datasetId, version) as number;
    if (manifests === 0) return undefined;
    return this.sql(
      `SELECT DISTINCT s.name, s.sha256 FROM manifest_shards s JOIN manifests m ON m.sha256 = s.manifest
       WHERE m.node_did = ? AND m.dataset_id = ? AND m.version = ? ORDER BY s.name, s.sha256`,
    ).all(nodeDid, datasetId, version) as ShardRecord[];
  }

  async notice(nodeDid: string, id: string): Promise<NoticeRecord | undefined> {
    return this.sql(`SELECT ${NOTICE_COLUMNS} FROM notices WHERE node_did = ? AND id = ?`).get(nodeDid, id) as NoticeRecord | undefined;
  }

  async envelope(sha256: string): Promise<string | undefined> {
    return this.sql('SELECT body FROM envelopes WHERE sha256 = ?').pluck().get(sha256) as string | undefined;
  }

  async feed(fromIndex: number, limit: number): Promise<FeedEntry[]> {
    return this.sql(`SELECT ${FEED_COLUMNS} FROM feed_events WHERE log_index >= ? ORDER BY log_index LIMIT ?`).all(fromIndex, limit) as FeedEntry[];
  }

  async logSize(): Promise<number> {
    const last = this.sql('SELECT max(log_index) FROM feed_events').pluck().get() as number | null;
    return last === null ? 0 : last + 1;
  }

  async quietNodes(before: string): Promise<string[]> {
    return this.sql('SELECT did FROM nodes WHERE stale = 0 AND suspended_at IS NULL AND last_heard_at < ? ORDER BY did')
      .pluck()
      .all(before) as string[];
  }

  async activeNodes(): Promise<string[]> {
    return this.sql('SELECT did FROM nodes WHERE suspended_at IS NULL ORDER BY did').pluck().all() as string[];
  }

  async harvestCursor(nodeDid: string): Promise<number> {
    return (this.sql('SELECT notice_seq FROM harvest_cursors WHERE node_did = ?').pluck().get(nodeDid) as number | undefined) ?? 0;
  }

  async counts(): Promise<StoreCounts> {
    return this.sql(
      `SELECT (SELECT count(*) FROM nodes) AS nodes, (SELECT count(*) FROM node_keys) AS signingKeys,
         (SELECT count(*) FROM envelopes) AS envelopes, (SELECT count(*) FROM manifests) AS manifests,
         (SELECT count(*) FROM datasets) AS datasets, (SELECT count(*) FROM notices) AS notices,
         (SELECT count(*) FROM feed_events) AS feed, (SELECT count(*) FROM log_nodes) AS logNodes`,
    ).get() as StoreCounts;
  }
}

/** Reads and writes on the writer connection, inside the transaction `SqliteIndexStore` began. */
class SqliteTransaction extends SqliteReads implements IndexTransaction {
  async putEnvelope(envelope: EnvelopeRecord): Promise<void> {
    this.sql(
      `INSERT INTO envelopes (sha256, payload_type, node_did, body, received_at) VALUES (@sha256, @payloadType, @nodeDid, @body, @receivedAt)
       ON CONFLICT (sha256) DO NOTHING`,
    ).run(envelope);
  }

  async putNode(node: NodeRecord): Promise<void> {
    this.sql(
      `INSERT INTO nodes (did, name, url, languages, rotation_key_id, rotation_key, signing_key_id, signing_key,
         rotation_sequence, last_rotation, registration, registration_issued, registered_at, last_heard_at,
         heartbeat_sequence, heartbeat_at, heartbeat_datasets, stale, suspended_at, suspended_reason, search_seq)
       VALUES (@did, @name, @url, @languages, @rotationKeyId, @rotationKey, @signingKeyId, @signingKey,
         @rotationSequence, @lastRotation, @registration, @registrationIssued, @registeredAt, @lastHeardAt,
         @heartbeatSequence, @heartbeatAt, @heartbeatDatasets, @stale, @suspendedAt, @suspendedReason,
         (SELECT coalesce(max(search_seq), 0) + 1 FROM nodes))
       ON CONFLICT (did) DO UPDATE SET
         name = excluded.name, url = excluded.url, languages = excluded.languages,
         rotation_key_id = excluded.rotation_key_id, rotation_key = excluded.rotation_key,
         signing_key_id = excluded.signing_key_id, signing_key = excluded.signing_key,
         rotation_sequence = excluded.rotation_sequence, last_rotation = excluded.last_rotation,
         registration = excluded.registration, registration_issued = excluded.registration_issued,
         registered_at = excluded.registered_at, last_heard_at = excluded.last_heard_at,
         heartbeat_sequence = excluded.heartbeat_sequence, heartbeat_at = excluded.heartbeat_at,
         heartbeat_datasets = excluded.heartbeat_datasets, stale = excluded.stale,
         suspended_at = excluded.suspended_at, suspended_reason = excluded.suspended_reason,
         search_seq = excluded.search_seq`,
    ).run({
      did: node.did,
      name: node.name,
      url: node.url,
      languages: JSON.stringify(node.languages),
      rotationKeyId: node.rotationKey.id,
      rotationKey: node.rotationKey.publicKeyMultibase,
      signingKeyId: node.signingKey.id,
      signingKey: node.signingKey.publicKeyMultibase,
      rotationSequence: node.rotationSequence,
      lastRotation: node.lastRotation,
      registration: node.registration,
      registrationIssued: node.registrationIssued,
      registeredAt: node.registeredAt,
      lastHeardAt: node.lastHeardAt,
      heartbeatSequence: node.heartbeat.sequence,
      heartbeatAt: node.heartbeat.at,
      heartbeatDatasets: JSON.stringify(node.heartbeat.datasets),
      stale: node.stale ? 1 : 0,
      suspendedAt: node.suspended?.at ?? null,
      suspendedReason: node.suspended?.reason ?? null,
    });
  }

  async addSigningKey(nodeDid: string, key: SigningKeyRecord): Promise<void> {
    this.sql(
      `INSERT INTO node_keys (node_did, key_id, public_key, sequence) VALUES (?, ?, ?, ?) ON CONFLICT (node_did, key_id) DO NOTHING`,
    ).run(nodeDid, key.id, key.publicKeyMultibase, key.sequence);
  }

  async putManifest(manifest: ManifestRecord, shards: readonly ShardRecord[]): Promise<void> {
    this.sql(
      `INSERT INTO manifests (sha256, node_did, dataset_id, version, rev, envelope, published, expires, received_at, log_index, superseded_by)
       VALUES (@sha256, @nodeDid, @datasetId, @version, @rev, @envelope, @published, @expires, @receivedAt, @logIndex, @supersededBy)`,
    ).run(manifest);
    const insert = this.sql('INSERT INTO manifest_shards (manifest, name, sha256) VALUES (?, ?, ?)');
    for (const shard of shards) insert.run(manifest.sha256, shard.name, shard.sha256);
  }

  async supersedeManifest(sha256: string, by: string): Promise<void> {
    this.sql('UPDATE manifests SET superseded_by = ? WHERE sha256 = ?').run(by, sha256);
  }

  async putDataset(dataset: DatasetRecord): Promise<void> {
    this.sql(
      `INSERT INTO datasets (node_did, dataset_id, manifest, version, rev, name, description, language_tag, iso639_3,
         modality, license, license_url, access_class, permitted_actions, purposes, terms, records, hours, speakers, published,
         expires, access_changed, retracted_at, retraction, updated_at, search_seq)
       VALUES (@nodeDid, @datasetId, @manifest, @version, @rev, @name, @description, @languageTag, @iso639_3,
         @modality, @license, @licenseUrl, @accessClass, @permittedActions, @purposes, @terms, @records, @hours, @speakers, @published,
         @expires, @accessChanged, @retractedAt, @retraction, @updatedAt, (SELECT coalesce(max(search_seq), 0) + 1 FROM datasets))
       ON CONFLICT (node_did, dataset_id) DO UPDATE SET
         manifest = excluded.manifest, version = excluded.version, rev = excluded.rev, name = excluded.name,
         description = excluded.description, language_tag = excluded.language_tag, iso639_3 = excluded.iso639_3,
         modality = excluded.modality, license = excluded.license, license_url = excluded.license_url,
         access_class = excluded.access_class, permitted_actions = excluded.permitted_actions,
         purposes = excluded.purposes, terms = excluded.terms, records = excluded.records, hours = excluded.hours,
         speakers = excluded.speakers, published = excluded.published, expires = excluded.expires,
         access_changed = excluded.access_changed, retracted_at = excluded.retracted_at,
         retraction = excluded.retraction, updated_at = excluded.updated_at, search_seq = excluded.search_seq`,
    ).run({
      ...dataset,
      permittedActions: JSON.stringify(dataset.permittedActions),
      purposes: JSON.stringify(dataset.purposes),
      terms: searchTerms(dataset),
      retractedAt: dataset.retracted?.at ?? null,
      retraction: dataset.retracted?.notice ?? null,
      retracted: undefined,
    });
  }

  async putNotice(notice: NoticeRecord): Promise<void> {
    this.sql(
      `INSERT INTO notices (node_did, id, kind, dataset_id, envelope, issued, received_at, log_index)
       VALUES (@nodeDid, @id, @kind, @datasetId, @envelope, @issued, @receivedAt, @logIndex)`,
    ).run(notice);
  }

  async putHarvestCursor(nodeDid: string, noticeSeq: number, at: string): Promise<void> {
    this.sql(
      `INSERT INTO harvest_cursors (node_did, notice_seq, harvested_at) VALUES (?, ?, ?)
       ON CONFLICT (node_did) DO UPDATE SET notice_seq = excluded.notice_seq, harvested_at = excluded.harvested_at`,
    ).run(nodeDid, noticeSeq, at);
  }

  async appendFeed(firstIndex: number, entries: readonly FeedEntryInput[]): Promise<void> {
    const insert = this.sql(
      'INSERT INTO feed_events (log_index, type, node_did, dataset_id, at, leaf) VALUES (@index, @type, @nodeDid, @datasetId, @at, @leaf)',
    );
    entries.forEach((entry, i) => insert.run({ ...entry, index: firstIndex + i }));
  }
}

function nodeFromRow(row: NodeRow): NodeRecord {
  return {
    did: row.did,
    name: row.name,
    url: row.url,
    languages: JSON.parse(row.languages) as string[],
    rotationKey: { id: row.rotation_key_id, publicKeyMultibase: row.rotation_key },
    signingKey: { id: row.signing_key_id, publicKeyMultibase: row.signing_key },
    rotationSequence: row.rotation_sequence,
    lastRotation: row.last_rotation,
    registration: row.registration,
    registrationIssued: row.registration_issued,
    registeredAt: row.registered_at,
    lastHeardAt: row.last_heard_at,
    heartbeat: { sequence: row.heartbeat_sequence, at: row.heartbeat_at, datasets: JSON.parse(row.heartbeat_datasets) },
    stale: row.stale === 1,
    suspended: row.suspended_at ? { at: row.suspended_at, reason: row.suspended_reason ?? '' } : null,
  };
}
