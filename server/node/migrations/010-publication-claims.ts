/**
 * `release_claims`: which attempt is publishing a version of a dataset. Files of a version are
 * written in place (`<dataset>/<version>/…`) before the transaction that makes them served, so
 * two attempts at one version (two builds, a build and a rebuild, the CLI beside a serving node)
 * must not both write: the first to claim writes, the other is refused before touching a file.
 * `owner` is `<pid>-<random>`: a claim whose process is gone is taken over.
 *
 * `notices_dataset`: a dataset's notices, as every 410 links to them.
 */
export const publicationClaims = `
CREATE TABLE release_claims (
  dataset_id  TEXT NOT NULL,
  version     TEXT NOT NULL,
  owner       TEXT NOT NULL,
  claimed_at  TEXT NOT NULL,
  PRIMARY KEY (dataset_id, version)
);
CREATE INDEX notices_dataset ON notices (dataset_id, seq);
`;
