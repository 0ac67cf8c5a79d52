/**
 * Releases: what left the node, shard by shard and record by record, so that a later
 * withdrawal can be named precisely; who was given access to gated data and what they
 * downloaded; and the signed withdrawal notices, append-only.
 */
export const releases = `
CREATE TABLE datasets (
  id            TEXT PRIMARY KEY,          -- '<language>-<modality>', e.g. 'sw-speech'
  language      TEXT NOT NULL,
  modality      TEXT NOT NULL CHECK (modality IN ('text', 'speech')),
  access_class  TEXT NOT NULL CHECK (access_class IN ('open', 'gated', 'on-request')),
  created_at    TEXT NOT NULL
);

CREATE TABLE releases (
  id               TEXT PRIMARY KEY,
  dataset_id       TEXT NOT NULL REFERENCES datasets(id),
  version          TEXT NOT NULL,
  rev              INTEGER NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('current', 'superseded')),
  dir              TEXT NOT NULL,           -- '<dataset>/<version>', relative to <node>/releases
  license          TEXT NOT NULL,
  purposes         TEXT NOT NULL,           -- JSON array
  format           TEXT NOT NULL,
  seed             INTEGER NOT NULL,
  speaker_salt     TEXT NOT NULL,           -- never published: it would link pseudonyms to people
  manifest_sha256  TEXT NOT NULL,
  envelope         TEXT NOT NULL,           -- the DSSE envelope, verbatim
  records          INTEGER NOT NULL,
  created_at       TEXT NOT NULL,
  superseded_at    TEXT,
  UNIQUE (dataset_id, version),
  UNIQUE (dataset_id, rev)
);
CREATE UNIQUE INDEX releases_current ON releases(dataset_id) WHERE status = 'current';

CREATE TABLE shards (
  release_id  TEXT NOT NULL REFERENCES releases(id),
  name        TEXT NOT NULL,               -- 'data/train-00000-of-00002.parquet'
  split       TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  records     INTEGER NOT NULL,
  PRIMARY KEY (release_id, name)
);

CREATE TABLE release_records (
  release_id  TEXT NOT NULL REFERENCES releases(id),
  sample_id   TEXT NOT NULL REFERENCES samples(id),
  shard       TEXT NOT NULL,
  PRIMARY KEY (release_id, sample_id)
);
CREATE INDEX release_records_sample ON release_records(sample_id);

CREATE TABLE withdrawal_notices (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  dataset_id  TEXT NOT NULL REFERENCES datasets(id),
  records     INTEGER NOT NULL,
  envelope    TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE access_grants (
  id          TEXT PRIMARY KEY,
  dataset_id  TEXT NOT NULL REFERENCES datasets(id),
  token_hash  TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  contact     TEXT NOT NULL,
  purpose     TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused', 'revoked')),
  created_at  TEXT NOT NULL,
  decided_at  TEXT,
  decided_by  TEXT REFERENCES contributors(id)
);

CREATE TABLE download_receipts (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  grant_id    TEXT NOT NULL REFERENCES access_grants(id),
  release_id  TEXT NOT NULL REFERENCES releases(id),
  shard       TEXT NOT NULL,
  range       TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX download_receipts_grant ON download_receipts(grant_id);
`;
