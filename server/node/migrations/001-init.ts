/**
 * The node's first schema. Times are ISO-8601 UTC strings; ids are ULIDs. Status columns are
 * constrained so that a bug cannot invent a state the domain does not know.
 */
export const init = `
CREATE TABLE contributors (
  id          TEXT PRIMARY KEY,
  pseudonym   TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('volunteer', 'reviewer', 'admin')),
  age_band    TEXT,
  gender      TEXT,
  variant     TEXT,
  accent      TEXT,
  created_at  TEXT NOT NULL,
  erased_at   TEXT
);

CREATE TABLE tokens (
  hash            TEXT PRIMARY KEY,
  contributor_id  TEXT NOT NULL REFERENCES contributors(id),
  created_at      TEXT NOT NULL,
  revoked_at      TEXT
);
CREATE INDEX tokens_contributor ON tokens(contributor_id);

CREATE TABLE consent_notices (
  id          TEXT PRIMARY KEY,            -- '<language>-<version>-<first 12 hex of sha256>'
  language    TEXT NOT NULL,
  version     TEXT NOT NULL,
  sha256      TEXT NOT NULL UNIQUE,
  document    TEXT NOT NULL,               -- the exact JSON the hash is taken over
  created_at  TEXT NOT NULL
);

CREATE TABLE consent_records (
  id              TEXT PRIMARY KEY,
  contributor_id  TEXT NOT NULL REFERENCES contributors(id),
  notice_id       TEXT NOT NULL REFERENCES consent_notices(id),
  notice_sha256   TEXT NOT NULL,
  purposes        TEXT NOT NULL,           -- JSON array of purpose ids
  lawful_basis    TEXT NOT NULL,
  jurisdiction    TEXT NOT NULL,
  license         TEXT NOT NULL,
  given_at        TEXT NOT NULL,
  withdrawn_at    TEXT
);
CREATE INDEX consent_records_contributor ON consent_records(contributor_id);

-- Append-only: the proof of what was agreed and when it ended outlives the profile.
CREATE TABLE consent_events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id   TEXT NOT NULL REFERENCES consent_records(id),
  type        TEXT NOT NULL CHECK (type IN ('given', 'withdrawn')),
  at          TEXT NOT NULL,
  reason      TEXT
);
CREATE INDEX consent_events_record ON consent_events(record_id);

CREATE TABLE prompts (
  id           TEXT PRIMARY KEY,
  language     TEXT NOT NULL,
  text         TEXT NOT NULL,
  text_key     TEXT NOT NULL,
  source       TEXT,
  license      TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
  proposed_by  TEXT REFERENCES contributors(id),
  created_at   TEXT NOT NULL,
  decided_at   TEXT,
  UNIQUE (language, text_key)
);
CREATE INDEX prompts_language_status ON prompts(language, status);

CREATE TABLE prompt_votes (
  prompt_id       TEXT NOT NULL REFERENCES prompts(id),
  contributor_id  TEXT NOT NULL REFERENCES contributors(id),
  value           TEXT NOT NULL CHECK (value IN ('up', 'down', 'skip')),
  created_at      TEXT NOT NULL,
  PRIMARY KEY (prompt_id, contributor_id)
);

CREATE TABLE samples (
  id                 TEXT PRIMARY KEY,
  contributor_id     TEXT NOT NULL REFERENCES contributors(id),
  consent_record_id  TEXT NOT NULL REFERENCES consent_records(id),
  modality           TEXT NOT NULL CHECK (modality IN ('text', 'speech')),
  language           TEXT NOT NULL,        -- declared BCP-47 tag, canonical case
  iso639_3           TEXT NOT NULL,
  text               TEXT,                 -- NULL once withdrawn: the content is erased
  text_key           TEXT,
  prompt_id          TEXT REFERENCES prompts(id),
  lid_code           TEXT,
  lid_score          REAL,
  lid_script         TEXT,
  lid_model          TEXT,
  lid_mismatch       TEXT CHECK (lid_mismatch IN ('language', 'script')),
  license            TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'validated', 'rejected', 'withdrawn')),
  created_at         TEXT NOT NULL,
  decided_at         TEXT,
  withdrawn_at       TEXT
);
CREATE INDEX samples_queue ON samples(language, modality, status);
CREATE INDEX samples_contributor ON samples(contributor_id);
CREATE INDEX samples_consent ON samples(consent_record_id);
-- Exact duplicates add nothing to a corpus; withdrawn samples have a NULL key and never collide.
CREATE UNIQUE INDEX samples_text_key ON samples(language, text_key) WHERE modality = 'text';

CREATE TABLE votes (
  sample_id       TEXT NOT NULL REFERENCES samples(id),
  contributor_id  TEXT NOT NULL REFERENCES contributors(id),
  value           TEXT NOT NULL CHECK (value IN ('up', 'down', 'skip')),
  created_at      TEXT NOT NULL,
  PRIMARY KEY (sample_id, contributor_id)
);
CREATE INDEX votes_contributor ON votes(contributor_id);

CREATE TABLE reports (
  id              TEXT PRIMARY KEY,
  sample_id       TEXT REFERENCES samples(id),
  prompt_id       TEXT REFERENCES prompts(id),
  reporter_id     TEXT NOT NULL REFERENCES contributors(id),
  reason          TEXT NOT NULL,
  detail          TEXT,
  status          TEXT NOT NULL CHECK (status IN ('open', 'dismissed', 'upheld')),
  created_at      TEXT NOT NULL,
  resolved_at     TEXT,
  resolved_by     TEXT REFERENCES contributors(id),
  CHECK ((sample_id IS NULL) <> (prompt_id IS NULL))
);
CREATE UNIQUE INDEX reports_once_sample ON reports(sample_id, reporter_id) WHERE sample_id IS NOT NULL;
CREATE UNIQUE INDEX reports_once_prompt ON reports(prompt_id, reporter_id) WHERE prompt_id IS NOT NULL;
CREATE INDEX reports_open ON reports(status, sample_id);
`;
