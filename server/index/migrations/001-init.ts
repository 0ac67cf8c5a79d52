/**
 * The index's first schema. What nodes sent is kept verbatim in `envelopes`; the other tables
 * are what the index made of it, and `feed_events` + `log_nodes` are the append-only log.
 */
export const init = `
CREATE TABLE envelopes (
  sha256 TEXT PRIMARY KEY,            -- of body, the bytes served back
  payload_type TEXT NOT NULL,
  node_did TEXT NOT NULL,
  body TEXT NOT NULL,                 -- the DSSE envelope as canonical JSON; payload and signatures as received
  received_at TEXT NOT NULL
);

CREATE TABLE nodes (
  did TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  languages TEXT NOT NULL,            -- JSON array of BCP-47 tags
  rotation_key_id TEXT NOT NULL,
  rotation_key TEXT NOT NULL,         -- publicKeyMultibase, pinned on first use
  signing_key_id TEXT NOT NULL,
  signing_key TEXT NOT NULL,          -- the current signing key
  rotation_sequence INTEGER NOT NULL, -- rotation statements accepted
  last_rotation TEXT,                 -- sha256:<hex> of the last accepted statement's payload
  registration TEXT NOT NULL REFERENCES envelopes(sha256),
  registration_issued TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  last_heard_at TEXT NOT NULL,        -- last accepted registration, manifest, notice or heartbeat
  heartbeat_sequence INTEGER NOT NULL DEFAULT 0,
  heartbeat_at TEXT,
  heartbeat_datasets TEXT NOT NULL DEFAULT '[]',
  stale INTEGER NOT NULL DEFAULT 0,
  suspended_at TEXT,
  suspended_reason TEXT
);
CREATE INDEX nodes_heard ON nodes(stale, last_heard_at);

-- Every signing key a node has had, so envelopes signed before a rotation still verify.
CREATE TABLE node_keys (
  node_did TEXT NOT NULL REFERENCES nodes(did),
  key_id TEXT NOT NULL,
  public_key TEXT NOT NULL,           -- publicKeyMultibase
  sequence INTEGER NOT NULL,          -- the rotation that introduced it; 0 for the first key
  PRIMARY KEY (node_did, key_id)
);
CREATE INDEX node_keys_key ON node_keys(key_id);

CREATE TABLE manifests (
  sha256 TEXT PRIMARY KEY,            -- of the signed manifest bytes: the manifest's id
  node_did TEXT NOT NULL REFERENCES nodes(did),
  dataset_id TEXT NOT NULL,
  version TEXT NOT NULL,
  rev INTEGER NOT NULL,
  envelope TEXT NOT NULL REFERENCES envelopes(sha256),
  published TEXT NOT NULL,            -- datePublished
  expires TEXT NOT NULL,
  received_at TEXT NOT NULL,
  log_index INTEGER NOT NULL,         -- its manifest.published event
  superseded_by TEXT REFERENCES manifests(sha256),
  UNIQUE (node_did, dataset_id, rev)
);
CREATE INDEX manifests_version ON manifests(node_did, dataset_id, version);

CREATE TABLE manifest_shards (
  manifest TEXT NOT NULL REFERENCES manifests(sha256),
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (manifest, name)
);

-- One row per dataset, describing its current manifest: the columns search filters on.
CREATE TABLE datasets (
  node_did TEXT NOT NULL REFERENCES nodes(did),
  dataset_id TEXT NOT NULL,
  manifest TEXT NOT NULL REFERENCES manifests(sha256),
  version TEXT NOT NULL,
  rev INTEGER NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  language_tag TEXT,
  iso639_3 TEXT,
  modality TEXT NOT NULL,
  license TEXT NOT NULL,              -- SPDX id
  license_url TEXT NOT NULL,
  access_class TEXT NOT NULL,
  permitted_actions TEXT NOT NULL,    -- JSON array: train, evaluate, commercial-model, redistribute
  records INTEGER NOT NULL,
  hours REAL,
  speakers INTEGER,
  expires TEXT NOT NULL,
  access_changed TEXT,                -- issued time of the last access-change notice applied
  retracted_at TEXT,
  retraction TEXT,                    -- the retraction notice's id
  updated_at TEXT NOT NULL,
  PRIMARY KEY (node_did, dataset_id)
);
CREATE INDEX datasets_language ON datasets(language_tag);
CREATE INDEX datasets_iso639_3 ON datasets(iso639_3);
CREATE INDEX datasets_modality ON datasets(modality, access_class);

CREATE TABLE notices (
  node_did TEXT NOT NULL REFERENCES nodes(did),
  id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('withdrawal', 'retraction', 'access-change')),
  dataset_id TEXT NOT NULL,
  envelope TEXT NOT NULL REFERENCES envelopes(sha256),
  issued TEXT NOT NULL,
  received_at TEXT NOT NULL,
  log_index INTEGER NOT NULL,
  PRIMARY KEY (node_did, id)
);
CREATE INDEX notices_dataset ON notices(node_did, dataset_id, kind);

-- The change feed: entry i is leaf i of the log; leaf is the canonical JSON that was hashed.
CREATE TABLE feed_events (
  log_index INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  node_did TEXT NOT NULL,
  dataset_id TEXT,
  at TEXT NOT NULL,
  leaf TEXT NOT NULL
);
CREATE INDEX feed_events_node ON feed_events(node_did, log_index);

-- Every complete subtree of the log (pipelines/transparency): written once, never changed.
CREATE TABLE log_nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
`;
