/**
 * Each unfinished resumable upload, with the bytes it may still claim and the consent it was
 * started under: quotas are checked against these rows before any byte is stored, and erasure
 * or withdrawal finds a contributor's uploads here instead of scanning upload files.
 */
export const unfinishedUploads = `
CREATE TABLE unfinished_uploads (
  id TEXT PRIMARY KEY,
  contributor_id TEXT NOT NULL REFERENCES contributors(id),
  consent_record_id TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX unfinished_uploads_contributor ON unfinished_uploads(contributor_id);
CREATE INDEX unfinished_uploads_consent ON unfinished_uploads(consent_record_id);
`;
