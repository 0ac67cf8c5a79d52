import type { TreeNodeReader, TreeNodeStore } from '../../../pipelines/transparency/tree-store.js';

/**
 * Everything an index keeps, behind one asynchronous interface, so that a PostgreSQL store can
 * join the SQLite one without a service changing (DESIGN "Scale"). Both pass
 * test/contracts/index-store.contract.ts.
 *
 * Reads on the store see committed state only. Changes happen in `transaction(fn)`: `fn` gets an
 * `IndexTransaction` that reads its own writes, and everything it wrote commits together when
 * the promise it returns resolves, or nothing does when it rejects. Transactions are serialised
 * in the database, across every process using it (SQLite: BEGIN IMMEDIATE; PostgreSQL: a lock
 * taken first), so a log append that reads the log's size inside one cannot race another
 * writer. `fn` must do no network I/O: it holds the write lock.
 */
export interface IndexStore extends IndexReads {
  /**
   * Search over current datasets (not retracted, node not suspended, manifest not expired at
   * the instant `query.at`): one page in search order (newest `published` first, then manifest
   * id) after `query.after`, and the totals of the whole match. A dataset's row always describes
   * its current manifest, so superseded manifests never match. It sees committed state, whichever
   * process wrote it, and one state throughout (page, totals and words agree); it is not offered
   * inside a transaction, so a store may serve it from a catalogue of committed rows.
   */
  searchDatasets(query: DatasetQuery): Promise<DatasetSearchResult>;
  /**
   * Where reads that may trail the latest commit are served from (the feed, checkpoints, proofs,
   * envelopes; search reads from it too): a read replica when one is set, which shows a state the
   * store had a moment ago, complete up to some commit; else the store's own reads.
   */
  readonly replica: IndexReads;
  /** How far the replica was behind when last compared (every second), and whether reads go to it now; null without one. */
  replicaLag(): Promise<ReplicaLag | null>;
  transaction<T>(fn: (tx: IndexTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ReplicaLag {
  /** Log entries the primary holds that the replica does not yet; null when it cannot be reached. */
  entries: number | null;
  /** How long ago the oldest of them was appended (0 when none); null when it cannot be reached. */
  seconds: number | null;
  /** Where the reads that may trail go: the replica, or the primary while it is too far behind or unreachable. */
  serving: 'replica' | 'primary';
}

export interface IndexTransaction extends IndexReads {
  /** Stores an envelope; one already stored under the same sha256 is left as it is. */
  putEnvelope(envelope: EnvelopeRecord): Promise<void>;
  /** Inserts or replaces a node's row. */
  putNode(node: NodeRecord): Promise<void>;
  addSigningKey(nodeDid: string, key: SigningKeyRecord): Promise<void>;
  putManifest(manifest: ManifestRecord, shards: readonly ShardRecord[]): Promise<void>;
  supersedeManifest(sha256: string, by: string): Promise<void>;
  /** Inserts or replaces a dataset's row. */
  putDataset(dataset: DatasetRecord): Promise<void>;
  putNotice(notice: NoticeRecord): Promise<void>;
  /** Remembers where harvesting the node's notice feed stopped. */
  putHarvestCursor(nodeDid: string, noticeSeq: number, at: string): Promise<void>;
  /** Appends feed entries at `firstIndex`, `firstIndex + 1`, …; the log's subtree hashes go through `log`. */
  appendFeed(firstIndex: number, entries: readonly FeedEntryInput[]): Promise<void>;
  readonly log: TreeNodeStore;
}

export interface IndexReads {
  node(did: string): Promise<NodeRecord | undefined>;
  /** Every signing key the node has had, oldest first. */
  signingKeys(nodeDid: string): Promise<SigningKeyRecord[]>;
  /** The nodes that have had a signing key with this id (one, but for a node registered under two DIDs). */
  keyHolders(keyId: string): Promise<string[]>;
  dataset(nodeDid: string, datasetId: string): Promise<DatasetRecord | undefined>;
  manifest(sha256: string): Promise<ManifestRecord | undefined>;
  /** The shards of every manifest of this release version (a re-signed manifest repeats them). */
  releaseShards(nodeDid: string, datasetId: string, version: string): Promise<ShardRecord[] | undefined>;
  notice(nodeDid: string, id: string): Promise<NoticeRecord | undefined>;
  /** The envelope's body as stored (and served). */
  envelope(sha256: string): Promise<string | undefined>;
  /** Feed entries from `fromIndex`, in log order. */
  feed(fromIndex: number, limit: number): Promise<FeedEntry[]>;
  /** Entries in the feed, which is the log's size. */
  logSize(): Promise<number>;
  /** Nodes neither stale nor suspended that were last heard from before `before`. */
  quietNodes(before: string): Promise<string[]>;
  /** Registered nodes that are not suspended, for harvesting. */
  activeNodes(): Promise<string[]>;
  /** The `seq` of the last notice harvested from the node's notice feed; 0 when none. */
  harvestCursor(nodeDid: string): Promise<number>;
  /** Row counts, for operators and for tests that a refusal changed nothing. */
  counts(): Promise<StoreCounts>;
  /** The stored subtree hashes, for roots and proofs. */
  readonly log: TreeNodeReader;
}

export interface PublishedKey {
  id: string;
  publicKeyMultibase: string;
}

export interface EnvelopeRecord {
  sha256: string;
  payloadType: string;
  nodeDid: string;
  body: string;
  receivedAt: string;
}

export interface NodeRecord {
  did: string;
  name: string;
  url: string;
  languages: string[];
  rotationKey: PublishedKey;
  signingKey: PublishedKey;
  rotationSequence: number;
  lastRotation: string | null;
  /** sha256 of the registration envelope the index holds. */
  registration: string;
  registrationIssued: string;
  registeredAt: string;
  lastHeardAt: string;
  heartbeat: { sequence: number; at: string | null; datasets: HeartbeatDataset[] };
  stale: boolean;
  suspended: { at: string; reason: string } | null;
}

export interface HeartbeatDataset {
  id: string;
  version: string;
  manifestSha256: string;
}

export interface SigningKeyRecord extends PublishedKey {
  /** The rotation that introduced the key; 0 for the key the index first pinned. */
  sequence: number;
}

export interface ManifestRecord {
  sha256: string;
  nodeDid: string;
  datasetId: string;
  version: string;
  rev: number;
  envelope: string;
  published: string;
  expires: string;
  receivedAt: string;
  logIndex: number;
  supersededBy: string | null;
}

export interface ShardRecord {
  name: string;
  sha256: string;
}

export type AccessClass = 'open' | 'gated' | 'on-request';

/** A dataset as its current manifest describes it, plus what notices changed since. */
export interface DatasetRecord {
  nodeDid: string;
  datasetId: string;
  manifest: string;
  version: string;
  rev: number;
  name: string;
  description: string;
  languageTag: string | null;
  iso639_3: string | null;
  modality: 'text' | 'speech';
  license: string;
  licenseUrl: string;
  accessClass: AccessClass;
  permittedActions: string[];
  /** The consent purposes the ODRL `train` permission is limited to (train-asr, …). */
  purposes: string[];
  records: number;
  hours: number | null;
  speakers: number | null;
  /** datePublished of the current manifest. */
  published: string;
  expires: string;
  /** `issued` of the last access-change notice applied. */
  accessChanged: string | null;
  retracted: { at: string; notice: string } | null;
  updatedAt: string;
}

export type NoticeKind = 'withdrawal' | 'retraction' | 'access-change';

export interface NoticeRecord {
  nodeDid: string;
  id: string;
  kind: NoticeKind;
  datasetId: string;
  envelope: string;
  issued: string;
  receivedAt: string;
  logIndex: number;
}

export interface FeedEntryInput {
  type: string;
  nodeDid: string;
  datasetId: string | null;
  at: string;
  /** The leaf's bytes as text (canonical JSON). */
  leaf: string;
}

export interface FeedEntry extends FeedEntryInput {
  index: number;
}

export interface StoreCounts {
  nodes: number;
  signingKeys: number;
  envelopes: number;
  manifests: number;
  datasets: number;
  notices: number;
  feed: number;
  logNodes: number;
}

/** What search asks a store for. Empty lists and nulls do not filter. */
export interface DatasetQuery {
  /** RFC 4647 basic language ranges, lower case, without `*` (which matches anything: no filter). */
  languages: string[];
  modality: 'text' | 'speech' | null;
  /** SPDX ids, lower case. */
  licenses: string[];
  access: AccessClass[];
  /** Actions every match must permit (train, evaluate, commercial-model, redistribute). */
  actions: string[];
  /** Consent purposes every match's train permission must cover (train-asr, …). */
  purposes: string[];
  minHours: number | null;
  minRecords: number | null;
  node: string | null;
  /** Words each of which must begin a word of the name or the description (letters and digits only). */
  words: string[];
  /** The instant a match must not have expired at. */
  at: string;
  /** Where the previous page ended. */
  after: SearchPosition | null;
  limit: number;
}

export interface SearchPosition {
  published: string;
  manifest: string;
}

export interface DatasetMatch extends DatasetRecord {
  /** Log index of the current manifest's manifest.published event. */
  logIndex: number;
  /** sha256 of the current manifest's stored envelope. */
  envelope: string;
  node: { name: string; url: string; stale: boolean; lastHeardAt: string };
}

export interface SearchTotals {
  datasets: number;
  records: number;
  hours: number;
  speakers: number;
  nodes: number;
}

export interface DatasetSearchResult {
  datasets: DatasetMatch[];
  totals: SearchTotals;
}
