import type { Migration } from '../../core/db.js';

/**
 * The index's schema on PostgreSQL: the tables of the SQLite migrations (server/index/migrations)
 * as they stand after 003, numbered the same way and append only. Text stays text (timestamps
 * too: a signed document's times are served as they came), sorted keys are `COLLATE "C"` so that
 * every ordering is by bytes, as SQLite's BINARY is, whatever the database's locale.
 *
 * `datasets.words` stood for FTS5 (a GIN-indexed tsvector) until search matched words in memory
 * (migration 2). `log_head` is the row whose lock, taken first in every write transaction,
 * serialises writers across processes.
 */
const init = `
CREATE TABLE envelopes (
  sha256 TEXT COLLATE "C" PRIMARY KEY,
  payload_type TEXT NOT NULL,
  node_did TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL
);

CREATE TABLE nodes (
  did TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  languages TEXT NOT NULL,
  rotation_key_id TEXT NOT NULL,
  rotation_key TEXT NOT NULL,
  signing_key_id TEXT NOT NULL,
  signing_key TEXT NOT NULL,
  rotation_sequence INTEGER NOT NULL,
  last_rotation TEXT,
  registration TEXT NOT NULL REFERENCES envelopes(sha256),
  registration_issued TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  last_heard_at TEXT COLLATE "C" NOT NULL,
  heartbeat_sequence INTEGER NOT NULL DEFAULT 0,
  heartbeat_at TEXT,
  heartbeat_datasets TEXT NOT NULL DEFAULT '[]',
  stale BOOLEAN NOT NULL DEFAULT false,
  suspended_at TEXT,
  suspended_reason TEXT,
  search_seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX nodes_heard ON nodes(stale, last_heard_at);
CREATE INDEX nodes_search_seq ON nodes(search_seq);

CREATE TABLE node_keys (
  node_did TEXT COLLATE "C" NOT NULL REFERENCES nodes(did),
  key_id TEXT COLLATE "C" NOT NULL,
  public_key TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  PRIMARY KEY (node_did, key_id)
);
CREATE INDEX node_keys_key ON node_keys(key_id);

CREATE TABLE manifests (
  sha256 TEXT COLLATE "C" PRIMARY KEY,
  node_did TEXT COLLATE "C" NOT NULL REFERENCES nodes(did),
  dataset_id TEXT COLLATE "C" NOT NULL,
  version TEXT COLLATE "C" NOT NULL,
  rev INTEGER NOT NULL,
  envelope TEXT NOT NULL REFERENCES envelopes(sha256),
  published TEXT NOT NULL,
  expires TEXT NOT NULL,
  received_at TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  superseded_by TEXT REFERENCES manifests(sha256),
  UNIQUE (node_did, dataset_id, rev)
);
CREATE INDEX manifests_version ON manifests(node_did, dataset_id, version);

CREATE TABLE manifest_shards (
  manifest TEXT COLLATE "C" NOT NULL REFERENCES manifests(sha256),
  name TEXT COLLATE "C" NOT NULL,
  sha256 TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (manifest, name)
);

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,               -- dense (the next above the highest, under the write lock): the catalogue's key
  node_did TEXT COLLATE "C" NOT NULL REFERENCES nodes(did),
  dataset_id TEXT COLLATE "C" NOT NULL,
  manifest TEXT COLLATE "C" NOT NULL REFERENCES manifests(sha256),
  version TEXT NOT NULL,
  rev INTEGER NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  language_tag TEXT,
  iso639_3 TEXT,
  modality TEXT NOT NULL,
  license TEXT NOT NULL,
  license_url TEXT NOT NULL,
  access_class TEXT NOT NULL,
  permitted_actions TEXT NOT NULL,
  purposes TEXT NOT NULL DEFAULT '[]',
  terms TEXT NOT NULL DEFAULT ' ',
  records BIGINT NOT NULL,
  hours DOUBLE PRECISION,
  speakers BIGINT,
  published TEXT COLLATE "C" NOT NULL,
  expires TEXT NOT NULL,
  access_changed TEXT,
  retracted_at TEXT,
  retraction TEXT,
  updated_at TEXT NOT NULL,
  words TSVECTOR NOT NULL,
  search_seq BIGINT NOT NULL DEFAULT 0,
  UNIQUE (node_did, dataset_id)
);
CREATE INDEX datasets_published ON datasets(published DESC, manifest);
CREATE INDEX datasets_search_seq ON datasets(search_seq);
CREATE INDEX datasets_words ON datasets USING GIN (words);

CREATE TABLE notices (
  node_did TEXT COLLATE "C" NOT NULL REFERENCES nodes(did),
  id TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('withdrawal', 'retraction', 'access-change')),
  dataset_id TEXT NOT NULL,
  envelope TEXT NOT NULL REFERENCES envelopes(sha256),
  issued TEXT NOT NULL,
  received_at TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  PRIMARY KEY (node_did, id)
);
CREATE INDEX notices_dataset ON notices(node_did, dataset_id, kind);

CREATE TABLE harvest_cursors (
  node_did TEXT COLLATE "C" PRIMARY KEY REFERENCES nodes(did),
  notice_seq BIGINT NOT NULL,
  harvested_at TEXT NOT NULL
);

CREATE TABLE feed_events (
  log_index BIGINT PRIMARY KEY,
  type TEXT NOT NULL,
  node_did TEXT NOT NULL,
  dataset_id TEXT,
  at TEXT NOT NULL,
  leaf TEXT NOT NULL
);
CREATE INDEX feed_events_node ON feed_events(node_did, log_index);

CREATE TABLE log_nodes (
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (level, idx)
);

-- One row, locked (SELECT … FOR UPDATE) first by every write transaction of every process.
CREATE TABLE log_head (
  id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO log_head (id) VALUES (1);
`;

/** Append only: a running index may have applied any prefix of this list. */
/** Free-text search matches words in memory (store/word-index.ts): the lexemes column and its GIN index go. */
const wordsInMemory = `
DROP INDEX datasets_words;
ALTER TABLE datasets DROP COLUMN words;
`;

export const postgresIndexMigrations: Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'words-in-memory', sql: wordsInMemory },
];
