/**
 * `language_contributor_counts`: how many people have samples (not withdrawn) under each
 * language tag, kept by triggers on `language_contributors` (migration 012) as rows come and go.
 * Counting that table's rows for a tag on every /stats read took 6–11 ms with 50,000 volunteers
 * (test/bench/large-node.ts), and grew with them; a node language written under one tag (the
 * usual case) now reads one row.
 */
export const contributorCounts = `
CREATE TABLE language_contributor_counts (
  language      TEXT PRIMARY KEY,
  contributors  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO language_contributor_counts (language, contributors)
SELECT language, count(*) FROM language_contributors GROUP BY language;
CREATE TRIGGER language_contributor_counts_insert AFTER INSERT ON language_contributors
BEGIN
  INSERT INTO language_contributor_counts (language, contributors) VALUES (NEW.language, 1)
  ON CONFLICT (language) DO UPDATE SET contributors = contributors + 1;
END;
CREATE TRIGGER language_contributor_counts_delete AFTER DELETE ON language_contributors
BEGIN
  UPDATE language_contributor_counts SET contributors = contributors - 1 WHERE language = OLD.language;
END;
`;
