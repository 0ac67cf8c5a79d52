/**
 * Search and harvest. `datasets` is rebuilt with an INTEGER PRIMARY KEY, so the full-text index
 * (FTS5, external content) can key on an id that VACUUM never renumbers; it gains `published`
 * (the order of search results), `purposes` (the consent purposes the ODRL `train` permission
 * is limited to) and `terms` (actions and purposes as ` train evaluate purpose:train-asr `, what
 * a `permits` filter looks up). Rows taken before this migration get their `published` from
 * their manifest, and no purposes until their node publishes again.
 * `harvest_cursors` remembers, per node, the last notice of its feed the index has read.
 */
export const search = `
CREATE TABLE datasets_next (
  id INTEGER PRIMARY KEY,
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
  license TEXT NOT NULL,
  license_url TEXT NOT NULL,
  access_class TEXT NOT NULL,
  permitted_actions TEXT NOT NULL,
  purposes TEXT NOT NULL DEFAULT '[]',  -- JSON array: consent purposes the train permission is limited to
  terms TEXT NOT NULL DEFAULT ' ',      -- ' ' + actions and 'purpose:<id>' + ' ', for the permits filter
  records INTEGER NOT NULL,
  hours REAL,
  speakers INTEGER,
  published TEXT NOT NULL,              -- datePublished of the current manifest
  expires TEXT NOT NULL,
  access_changed TEXT,
  retracted_at TEXT,
  retraction TEXT,
  updated_at TEXT NOT NULL,
  UNIQUE (node_did, dataset_id)
);
INSERT INTO datasets_next (node_did, dataset_id, manifest, version, rev, name, description, language_tag, iso639_3,
  modality, license, license_url, access_class, permitted_actions, terms, records, hours, speakers, published, expires,
  access_changed, retracted_at, retraction, updated_at)
SELECT d.node_did, d.dataset_id, d.manifest, d.version, d.rev, d.name, d.description, d.language_tag, d.iso639_3,
  d.modality, d.license, d.license_url, d.access_class, d.permitted_actions,
  ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(d.permitted_actions)), '') || ' ',
  d.records, d.hours, d.speakers, m.published, d.expires, d.access_changed, d.retracted_at, d.retraction, d.updated_at
FROM datasets d JOIN manifests m ON m.sha256 = d.manifest;
DROP TABLE datasets;
ALTER TABLE datasets_next RENAME TO datasets;

-- Search reads current rows newest first; the filters use these when they narrow the match.
CREATE INDEX datasets_published ON datasets(published DESC, manifest);
CREATE INDEX datasets_language ON datasets(lower(language_tag));
CREATE INDEX datasets_iso639_3 ON datasets(iso639_3);
CREATE INDEX datasets_modality ON datasets(modality, access_class);
CREATE INDEX datasets_license ON datasets(lower(license));
CREATE INDEX datasets_node ON datasets(node_did, published DESC);

CREATE VIRTUAL TABLE datasets_text USING fts5(
  name, description, content = 'datasets', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER datasets_text_insert AFTER INSERT ON datasets BEGIN
  INSERT INTO datasets_text (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER datasets_text_delete AFTER DELETE ON datasets BEGIN
  INSERT INTO datasets_text (datasets_text, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER datasets_text_update AFTER UPDATE OF name, description ON datasets BEGIN
  INSERT INTO datasets_text (datasets_text, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
  INSERT INTO datasets_text (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
INSERT INTO datasets_text (datasets_text) VALUES ('rebuild');

CREATE TABLE harvest_cursors (
  node_did TEXT PRIMARY KEY REFERENCES nodes(did),
  notice_seq INTEGER NOT NULL,          -- the seq of the last notice read from the node's /notices feed
  harvested_at TEXT NOT NULL
);
`;
