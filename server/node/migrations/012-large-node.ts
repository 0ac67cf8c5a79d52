/**
 * What a large node (a million samples) reads on every validator's and visitor's request, kept
 * up to date by the database as samples and votes are written, instead of counted again from
 * the whole table each time (test/bench/large-node.ts measures both):
 *
 * - `samples.votes`: a sample's up and down votes (skips are not votes), so the validation queue
 *   walks `samples_queue_order` for each language tag in the order it serves (most voted first:
 *   those are closest to a decision) and stops at its limit, instead of counting votes for every
 *   pending sample and sorting them.
 * - `sample_counts`: samples per language, modality and status, for /stats.
 * - `language_contributors`: who has samples (not withdrawn) in each language tag, for /stats.
 *
 * Samples are never deleted and their language never changes (a withdrawal is a change of
 * status), and votes are only ever inserted: the triggers below cover every write.
 */
export const largeNode = `
ALTER TABLE samples ADD COLUMN votes INTEGER NOT NULL DEFAULT 0;
UPDATE samples SET votes = (SELECT count(*) FROM votes v WHERE v.sample_id = samples.id AND v.value <> 'skip')
WHERE id IN (SELECT DISTINCT sample_id FROM votes);
CREATE TRIGGER votes_count AFTER INSERT ON votes WHEN NEW.value <> 'skip'
BEGIN
  UPDATE samples SET votes = votes + 1 WHERE id = NEW.sample_id;
END;
CREATE INDEX samples_queue_order ON samples(status, modality, language, votes DESC, id);

CREATE TABLE sample_counts (
  language  TEXT NOT NULL,
  modality  TEXT NOT NULL,
  status    TEXT NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (language, modality, status)
) WITHOUT ROWID;
INSERT INTO sample_counts (language, modality, status, count)
SELECT language, modality, status, count(*) FROM samples GROUP BY language, modality, status;
CREATE TRIGGER sample_counts_insert AFTER INSERT ON samples
BEGIN
  INSERT INTO sample_counts (language, modality, status, count) VALUES (NEW.language, NEW.modality, NEW.status, 1)
  ON CONFLICT (language, modality, status) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER sample_counts_status AFTER UPDATE OF status ON samples WHEN OLD.status <> NEW.status
BEGIN
  UPDATE sample_counts SET count = count - 1 WHERE language = OLD.language AND modality = OLD.modality AND status = OLD.status;
  INSERT INTO sample_counts (language, modality, status, count) VALUES (NEW.language, NEW.modality, NEW.status, 1)
  ON CONFLICT (language, modality, status) DO UPDATE SET count = count + 1;
END;

CREATE TABLE language_contributors (
  language        TEXT NOT NULL,
  contributor_id  TEXT NOT NULL,
  samples         INTEGER NOT NULL,
  PRIMARY KEY (language, contributor_id)
) WITHOUT ROWID;
INSERT INTO language_contributors (language, contributor_id, samples)
SELECT language, contributor_id, count(*) FROM samples WHERE status <> 'withdrawn' GROUP BY language, contributor_id;
CREATE TRIGGER language_contributors_insert AFTER INSERT ON samples WHEN NEW.status <> 'withdrawn'
BEGIN
  INSERT INTO language_contributors (language, contributor_id, samples) VALUES (NEW.language, NEW.contributor_id, 1)
  ON CONFLICT (language, contributor_id) DO UPDATE SET samples = samples + 1;
END;
CREATE TRIGGER language_contributors_withdraw AFTER UPDATE OF status ON samples
WHEN OLD.status <> 'withdrawn' AND NEW.status = 'withdrawn'
BEGIN
  UPDATE language_contributors SET samples = samples - 1 WHERE language = OLD.language AND contributor_id = OLD.contributor_id;
  DELETE FROM language_contributors WHERE language = OLD.language AND contributor_id = OLD.contributor_id AND samples <= 0;
END;
`;
