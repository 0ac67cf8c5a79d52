import pg from 'pg';
import { refuseNewerSchema, type Migration } from '../../core/db.js';
import { IndexBusyError } from '../errors.js';
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
  ReplicaLag,
  ShardRecord,
  SigningKeyRecord,
  StoreCounts,
} from './index-store.js';
import { postgresIndexMigrations } from './postgres-migrations.js';
import { PostgresSearch } from './postgres-search.js';
import { PostgresTreeStore, type Queryable } from './postgres-tree-store.js';
import { prepared } from './postgres-prepared.js';
import { datasetColumns, datasetFromRow, searchTerms, type DatasetRow } from './sqlite-dataset-rows.js';

export interface PostgresIndexStoreOptions {
  /** How long a transaction waits for another writer (another process) before `IndexBusy`. */
  busyTimeoutMs?: number;
  /** Connections this process keeps at most (to the primary, and as many to the replica). */
  maxConnections?: number;
  /**
   * A read replica's URL (a hot standby of the same database): the feed, proofs, envelopes and
   * search read from it (`IndexStore.replica`).
   */
  replica?: string;
  /**
   * A replica whose oldest missing log entry is older than this, or that cannot be reached, is
   * passed over for the primary until it has caught up. Default 30 s.
   */
  maxReplicaLagSeconds?: number;
}

/** How often a store with a replica compares it with the primary. */
const REPLICA_CHECK_MS = 1000;

/** `migrations` runs once per database at a time, under this advisory lock (any fixed number). */
const MIGRATION_LOCK = 0x7472_6962;

/** int8 (counts, log indices, sequences) as numbers: they stay far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** The database URL with its password hidden, for log lines and messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * The index's PostgreSQL store (DESIGN "Scale"), for several index processes on one database.
 * Reads outside transactions are single statements on pooled connections, so they see committed
 * state. A transaction runs on one connection and first locks the `log_head` row
 * (`SELECT … FOR UPDATE`): a writer in any process waits for the one before it, and the log's
 * size read after the lock cannot change before commit (READ COMMITTED reads the latest commit
 * per statement). In one process transactions also take turns, as SQLite's do, so waiting
 * writers never hold every pooled connection from the reads.
 *
 * The schema is brought up to date on first use (`ready`), once per database at a time, and a
 * database migrated by newer code is refused. Credentials come only from the URL or libpq's
 * environment (PGPASSWORD, PGUSER, …); the URL is never logged unredacted.
 */
export class PostgresIndexStore extends ForwardedReads implements IndexStore {
  readonly #pool: pg.Pool;
  readonly #replicaPool: pg.Pool | undefined;
  protected readonly reads: PostgresReads;
  readonly #replicaReads: PostgresReads | undefined;
  readonly #maxReplicaLagSeconds: number;
  #replicaLag: ReplicaLag | null = null;
  #replicaCheck: NodeJS.Timeout | undefined;
  readonly #search: PostgresSearch;
  readonly #busyTimeoutMs: number;
  readonly #migrations: Migration[];
  #ready: Promise<void> | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(url: string, options: PostgresIndexStoreOptions = {}, migrations: Migration[] = postgresIndexMigrations) {
    super();
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#migrations = migrations;
    this.#pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types, application_name: 'tributary-index' });
    // An idle connection the server dropped is discarded by the pool; the next query opens another.
    this.#pool.on('error', () => undefined);
    this.reads = new PostgresReads(this.#pool, () => this.ready());
    this.#maxReplicaLagSeconds = options.maxReplicaLagSeconds ?? 30;
    if (options.replica) {
      this.#replicaPool = new pg.Pool({ connectionString: options.replica, max: options.maxConnections ?? 10, types, application_name: 'tributary-index' });
      this.#replicaPool.on('error', () => undefined);
      // The primary is migrated first: a replica's schema is the primary's, a moment later.
      this.#replicaReads = new PostgresReads(this.#replicaPool, () => this.ready());
      this.#replicaCheck = setInterval(() => void this.#checkReplica(), REPLICA_CHECK_MS).unref();
    }
    this.#search = new PostgresSearch(() => (this.#onReplica() ? this.#replicaPool! : this.#pool));
  }

  /** Whether the reads that may trail go to the replica now (one is set, and it is not too far behind). */
  #onReplica(): boolean {
    return this.#replicaPool !== undefined && this.#replicaLag?.serving !== 'primary';
  }

  get replica(): IndexReads {
    return this.#onReplica() ? this.#replicaReads! : this.reads;
  }

  /** The latest comparison of the replica with the primary (made every second); null without a replica. */
  async replicaLag(): Promise<ReplicaLag | null> {
    if (!this.#replicaPool || this.#closed) return null;
    return this.#replicaLag ?? this.#checkReplica();
  }

  /**
   * Compares the replica with the primary, and decides where the reads that may trail go until
   * the next comparison: to the replica, unless the oldest log entry it does not hold yet is
   * older than `maxReplicaLagSeconds` or it cannot be reached.
   */
  async #checkReplica(): Promise<ReplicaLag> {
    let lag: ReplicaLag;
    try {
      await this.ready();
      // The replica first: what the primary holds then is at least as much.
      const replicaSize = await this.#replicaReads!.logSize();
      const [row] = await this.reads.logSizeAndEntryTime(replicaSize);
      const entries = Math.max(0, row!.size - replicaSize);
      const seconds = entries === 0 || row!.at === null ? 0 : Math.max(0, (Date.now() - Date.parse(row!.at)) / 1000);
      lag = { entries, seconds: Math.round(seconds * 10) / 10, serving: seconds > this.#maxReplicaLagSeconds ? 'primary' : 'replica' };
    } catch {
      lag = { entries: null, seconds: null, serving: 'primary' };
    }
    if (!this.#closed) this.#replicaLag = lag;
    return lag;
  }

  /** Connects and brings the schema up to date (once; every other call waits for it). */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The index store is closed.'));
    this.#ready ??= migrate(this.#pool, this.#migrations).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  transaction<T>(fn: (tx: IndexTransaction) => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => this.#run(fn));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #run<T>(fn: (tx: IndexTransaction) => Promise<T>): Promise<T> {
    await this.ready();
    const client = await this.#pool.connect();
    let broken = false;
    try {
      try {
        // One round trip: a lock that is not free within the busy timeout fails the SELECT, and the statements after it are not run.
        await client.query(
          `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.#busyTimeoutMs))}; SELECT id FROM log_head WHERE id = 1 FOR UPDATE; SET LOCAL lock_timeout = 0`,
        );
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') throw new IndexBusyError();
        throw error;
      }
      const result = await fn(new PostgresTransaction(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#replicaCheck);
    await this.#tail;
    await Promise.all([this.#pool.end(), this.#replicaPool?.end()]);
  }

  async searchDatasets(query: DatasetQuery): Promise<DatasetSearchResult> {
    await this.ready();
    return this.#search.search(query);
  }

  /** What the search catalogue holds in this process (its size, for measurements). */
  searchMemory(): { datasets: number; bytes: number } {
    return this.#search.memory();
  }

}

async function migrate(pool: pg.Pool, migrations: Migration[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    refuseNewerSchema(applied, migrations, 'The index database');
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, new Date().toISOString()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

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
  stale: boolean;
  suspended_at: string | null;
  suspended_reason: string | null;
}

const NODE_COLUMNS = `did, name, url, languages, rotation_key_id, rotation_key, signing_key_id, signing_key, rotation_sequence, last_rotation,
  registration, registration_issued, registered_at, last_heard_at, heartbeat_sequence, heartbeat_at, heartbeat_datasets, stale, suspended_at, suspended_reason`;
const MANIFEST_COLUMNS = `sha256, node_did AS "nodeDid", dataset_id AS "datasetId", version, rev, envelope, published, expires,
  received_at AS "receivedAt", log_index AS "logIndex", superseded_by AS "supersededBy"`;
const NOTICE_COLUMNS = `node_did AS "nodeDid", id, kind, dataset_id AS "datasetId", envelope, issued, received_at AS "receivedAt", log_index AS "logIndex"`;
const FEED_COLUMNS = `log_index AS "index", type, node_did AS "nodeDid", dataset_id AS "datasetId", at, leaf`;

/** The reads, over the pool (the store's, after `ready`) or the transaction's client. */
class PostgresReads implements IndexReads {
  readonly log: PostgresTreeStore;

  constructor(
    protected readonly db: Queryable,
    private readonly ready: () => Promise<void> = async () => undefined,
  ) {
    this.log = new PostgresTreeStore(db, ready);
  }

  protected async rows<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    await this.ready();
    return (await this.db.query<R>(prepared(text, values))).rows;
  }

  async node(did: string): Promise<NodeRecord | undefined> {
    const [row] = await this.rows<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE did = $1`, [did]);
    return row && nodeFromRow(row);
  }

  async signingKeys(nodeDid: string): Promise<SigningKeyRecord[]> {
    return this.rows<SigningKeyRecord>(
      'SELECT key_id AS id, public_key AS "publicKeyMultibase", sequence FROM node_keys WHERE node_did = $1 ORDER BY sequence, key_id',
      [nodeDid],
    );
  }

  async keyHolders(keyId: string): Promise<string[]> {
    return (await this.rows<{ node_did: string }>('SELECT node_did FROM node_keys WHERE key_id = $1 ORDER BY node_did', [keyId])).map((row) => row.node_did);
  }

  async dataset(nodeDid: string, datasetId: string): Promise<DatasetRecord | undefined> {
    const [row] = await this.rows<DatasetRow>(`SELECT ${datasetColumns()} FROM datasets WHERE node_did = $1 AND dataset_id = $2`, [nodeDid, datasetId]);
    return row && datasetFromRow(row);
  }

  async manifest(sha256: string): Promise<ManifestRecord | undefined> {
    const [row] = await this.rows<ManifestRecord>(`SELECT ${MANIFEST_COLUMNS} FROM manifests WHERE sha256 = $1`, [sha256]);
    return row;
  }

  async releaseShards(nodeDid: string, datasetId: string, version: string): Promise<ShardRecord[] | undefined> {
    const rows = await this.rows<{ manifests: number; name: string | null; sha256: string | null }>(
      `SELECT (SELECT count(*) FROM manifests WHERE node_did = $1 AND dataset_id = $2 AND version = $3) AS manifests, s.name, s.sha256
       FROM (SELECT 1) one LEFT JOIN (
         SELECT DISTINCT s.name, s.sha256 FROM manifest_shards s JOIN manifests m ON m.sha256 = s.manifest
         WHERE m.node_did = $1 AND m.dataset_id = $2 AND m.version = $3) s ON true
       ORDER BY s.name, s.sha256`,
      [nodeDid, datasetId, version],
    );
    if (rows.length === 0 || rows[0]!.manifests === 0) return undefined;
    return rows.flatMap((row) => (row.name === null || row.sha256 === null ? [] : [{ name: row.name, sha256: row.sha256 }]));
  }

  async notice(nodeDid: string, id: string): Promise<NoticeRecord | undefined> {
    const [row] = await this.rows<NoticeRecord>(`SELECT ${NOTICE_COLUMNS} FROM notices WHERE node_did = $1 AND id = $2`, [nodeDid, id]);
    return row;
  }

  async envelope(sha256: string): Promise<string | undefined> {
    const [row] = await this.rows<{ body: string }>('SELECT body FROM envelopes WHERE sha256 = $1', [sha256]);
    return row?.body;
  }

  async feed(fromIndex: number, limit: number): Promise<FeedEntry[]> {
    return this.rows<FeedEntry>(`SELECT ${FEED_COLUMNS} FROM feed_events WHERE log_index >= $1 ORDER BY log_index LIMIT $2`, [fromIndex, limit]);
  }

  /** The log's size, and when the entry at `index` was appended (null when there is none). */
  logSizeAndEntryTime(index: number): Promise<Array<{ size: number; at: string | null }>> {
    return this.rows(
      `SELECT coalesce((SELECT max(log_index) FROM feed_events), -1) + 1 AS size, (SELECT at FROM feed_events WHERE log_index = $1) AS at`,
      [index],
    );
  }

  async logSize(): Promise<number> {
    const [row] = await this.rows<{ last: number | null }>('SELECT max(log_index) AS last FROM feed_events');
    return row?.last === null || row?.last === undefined ? 0 : row.last + 1;
  }

  async quietNodes(before: string): Promise<string[]> {
    return (await this.rows<{ did: string }>('SELECT did FROM nodes WHERE NOT stale AND suspended_at IS NULL AND last_heard_at < $1 ORDER BY did', [before])).map(
      (row) => row.did,
    );
  }

  async activeNodes(): Promise<string[]> {
    return (await this.rows<{ did: string }>('SELECT did FROM nodes WHERE suspended_at IS NULL ORDER BY did')).map((row) => row.did);
  }

  async harvestCursor(nodeDid: string): Promise<number> {
    const [row] = await this.rows<{ notice_seq: number }>('SELECT notice_seq FROM harvest_cursors WHERE node_did = $1', [nodeDid]);
    return row?.notice_seq ?? 0;
  }

  async counts(): Promise<StoreCounts> {
    const [row] = await this.rows<StoreCounts>(
      `SELECT (SELECT count(*) FROM nodes) AS nodes, (SELECT count(*) FROM node_keys) AS "signingKeys",
         (SELECT count(*) FROM envelopes) AS envelopes, (SELECT count(*) FROM manifests) AS manifests,
         (SELECT count(*) FROM datasets) AS datasets, (SELECT count(*) FROM notices) AS notices,
         (SELECT count(*) FROM feed_events) AS feed, (SELECT count(*) FROM log_nodes) AS "logNodes"`,
    );
    return row!;
  }
}

/** Reads and writes on the connection holding the write lock, inside the transaction the store began. */
class PostgresTransaction extends PostgresReads implements IndexTransaction {
  async #run(text: string, values: unknown[]): Promise<void> {
    await this.db.query(prepared(text, values));
  }

  async putEnvelope(envelope: EnvelopeRecord): Promise<void> {
    await this.#run(
      `INSERT INTO envelopes (sha256, payload_type, node_did, body, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`,
      [envelope.sha256, envelope.payloadType, envelope.nodeDid, envelope.body, envelope.receivedAt],
    );
  }

  async putNode(node: NodeRecord): Promise<void> {
    await this.#run(
      `INSERT INTO nodes (did, name, url, languages, rotation_key_id, rotation_key, signing_key_id, signing_key,
         rotation_sequence, last_rotation, registration, registration_issued, registered_at, last_heard_at,
         heartbeat_sequence, heartbeat_at, heartbeat_datasets, stale, suspended_at, suspended_reason, search_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
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
      [
        node.did,
        node.name,
        node.url,
        JSON.stringify(node.languages),
        node.rotationKey.id,
        node.rotationKey.publicKeyMultibase,
        node.signingKey.id,
        node.signingKey.publicKeyMultibase,
        node.rotationSequence,
        node.lastRotation,
        node.registration,
        node.registrationIssued,
        node.registeredAt,
        node.lastHeardAt,
        node.heartbeat.sequence,
        node.heartbeat.at,
        JSON.stringify(node.heartbeat.datasets),
        node.stale,
        node.suspended?.at ?? null,
        node.suspended?.reason ?? null,
      ],
    );
  }

  async addSigningKey(nodeDid: string, key: SigningKeyRecord): Promise<void> {
    await this.#run(
      'INSERT INTO node_keys (node_did, key_id, public_key, sequence) VALUES ($1, $2, $3, $4) ON CONFLICT (node_did, key_id) DO NOTHING',
      [nodeDid, key.id, key.publicKeyMultibase, key.sequence],
    );
  }

  async putManifest(manifest: ManifestRecord, shards: readonly ShardRecord[]): Promise<void> {
    await this.#run(
      `INSERT INTO manifests (sha256, node_did, dataset_id, version, rev, envelope, published, expires, received_at, log_index, superseded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [manifest.sha256, manifest.nodeDid, manifest.datasetId, manifest.version, manifest.rev, manifest.envelope, manifest.published, manifest.expires, manifest.receivedAt, manifest.logIndex, manifest.supersededBy],
    );
    if (shards.length === 0) return;
    await this.#run('INSERT INTO manifest_shards (manifest, name, sha256) SELECT $1, * FROM unnest($2::text[], $3::text[])', [
      manifest.sha256,
      shards.map((shard) => shard.name),
      shards.map((shard) => shard.sha256),
    ]);
  }

  async supersedeManifest(sha256: string, by: string): Promise<void> {
    await this.#run('UPDATE manifests SET superseded_by = $1 WHERE sha256 = $2', [by, sha256]);
  }

  async putDataset(dataset: DatasetRecord): Promise<void> {
    // The id is the next above the highest, taken under the write lock: dense, as the catalogue wants.
    await this.#run(
      `INSERT INTO datasets (id, node_did, dataset_id, manifest, version, rev, name, description, language_tag, iso639_3,
         modality, license, license_url, access_class, permitted_actions, purposes, terms, records, hours, speakers, published,
         expires, access_changed, retracted_at, retraction, updated_at, search_seq)
       VALUES ((SELECT coalesce(max(id), 0) + 1 FROM datasets), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
         (SELECT coalesce(max(search_seq), 0) + 1 FROM datasets))
       ON CONFLICT (node_did, dataset_id) DO UPDATE SET
         manifest = excluded.manifest, version = excluded.version, rev = excluded.rev, name = excluded.name,
         description = excluded.description, language_tag = excluded.language_tag, iso639_3 = excluded.iso639_3,
         modality = excluded.modality, license = excluded.license, license_url = excluded.license_url,
         access_class = excluded.access_class, permitted_actions = excluded.permitted_actions,
         purposes = excluded.purposes, terms = excluded.terms, records = excluded.records, hours = excluded.hours,
         speakers = excluded.speakers, published = excluded.published, expires = excluded.expires,
         access_changed = excluded.access_changed, retracted_at = excluded.retracted_at,
         retraction = excluded.retraction, updated_at = excluded.updated_at,
         search_seq = excluded.search_seq`,
      [
        dataset.nodeDid,
        dataset.datasetId,
        dataset.manifest,
        dataset.version,
        dataset.rev,
        dataset.name,
        dataset.description,
        dataset.languageTag,
        dataset.iso639_3,
        dataset.modality,
        dataset.license,
        dataset.licenseUrl,
        dataset.accessClass,
        JSON.stringify(dataset.permittedActions),
        JSON.stringify(dataset.purposes),
        searchTerms(dataset),
        dataset.records,
        dataset.hours,
        dataset.speakers,
        dataset.published,
        dataset.expires,
        dataset.accessChanged,
        dataset.retracted?.at ?? null,
        dataset.retracted?.notice ?? null,
        dataset.updatedAt,
      ],
    );
  }

  async putNotice(notice: NoticeRecord): Promise<void> {
    await this.#run(
      `INSERT INTO notices (node_did, id, kind, dataset_id, envelope, issued, received_at, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [notice.nodeDid, notice.id, notice.kind, notice.datasetId, notice.envelope, notice.issued, notice.receivedAt, notice.logIndex],
    );
  }

  async putHarvestCursor(nodeDid: string, noticeSeq: number, at: string): Promise<void> {
    await this.#run(
      `INSERT INTO harvest_cursors (node_did, notice_seq, harvested_at) VALUES ($1, $2, $3)
       ON CONFLICT (node_did) DO UPDATE SET notice_seq = excluded.notice_seq, harvested_at = excluded.harvested_at`,
      [nodeDid, noticeSeq, at],
    );
  }

  async appendFeed(firstIndex: number, entries: readonly FeedEntryInput[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#run(
      `INSERT INTO feed_events (log_index, type, node_did, dataset_id, at, leaf)
       SELECT $1::bigint + ordinality - 1, type, node_did, dataset_id, at, leaf
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(type, node_did, dataset_id, at, leaf)`,
      [
        firstIndex,
        entries.map((entry) => entry.type),
        entries.map((entry) => entry.nodeDid),
        entries.map((entry) => entry.datasetId),
        entries.map((entry) => entry.at),
        entries.map((entry) => entry.leaf),
      ],
    );
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
    stale: row.stale,
    suspended: row.suspended_at ? { at: row.suspended_at, reason: row.suspended_reason ?? '' } : null,
  };
}
