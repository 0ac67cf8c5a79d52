/**
 * What choosing sentences to read and to review walks, kept by the database instead of counted
 * per request. Before this, `GET /prompts` counted the recordings of every accepted prompt of
 * the language and sorted them all on each request (4 ms for 2,000 prompts, growing with them:
 * Common Voice's largest languages hold over a million sentences), and the review queue and
 * /stats read every prompt of the language too.
 *
 * - `prompts.recordings`: the prompt's samples that are not withdrawn, kept by triggers on
 *   samples (a sample's prompt never changes, and samples are never deleted).
 * - `prompts.shuffle`: a random key given at insertion, so that readers are served the least
 *   recorded prompts in an order no one chose, walking `prompts_reading` instead of sorting.
 * - `prompts_review`: pending prompts of a language tag in id order, for reviewers.
 * - `prompt_counts`: prompts per language tag and status, for /stats and for the tags a
 *   language's prompts are written under (sw, sw-KE).
 */
export const promptReading = `
ALTER TABLE prompts ADD COLUMN recordings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE prompts ADD COLUMN shuffle INTEGER NOT NULL DEFAULT 0;
UPDATE prompts SET shuffle = random();
UPDATE prompts SET recordings = (SELECT count(*) FROM samples s WHERE s.prompt_id = prompts.id AND s.status <> 'withdrawn')
WHERE id IN (SELECT prompt_id FROM samples WHERE prompt_id IS NOT NULL);
CREATE TRIGGER prompts_recorded AFTER INSERT ON samples WHEN NEW.prompt_id IS NOT NULL AND NEW.status <> 'withdrawn'
BEGIN
  UPDATE prompts SET recordings = recordings + 1 WHERE id = NEW.prompt_id;
END;
CREATE TRIGGER prompts_recording_withdrawn AFTER UPDATE OF status ON samples
WHEN NEW.prompt_id IS NOT NULL AND OLD.status <> 'withdrawn' AND NEW.status = 'withdrawn'
BEGIN
  UPDATE prompts SET recordings = recordings - 1 WHERE id = NEW.prompt_id;
END;
CREATE INDEX prompts_reading ON prompts(status, language, recordings, shuffle);
CREATE INDEX prompts_review ON prompts(status, language, id);

CREATE TABLE prompt_counts (
  language  TEXT NOT NULL,
  status    TEXT NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (language, status)
) WITHOUT ROWID;
INSERT INTO prompt_counts (language, status, count) SELECT language, status, count(*) FROM prompts GROUP BY language, status;
CREATE TRIGGER prompt_counts_insert AFTER INSERT ON prompts
BEGIN
  INSERT INTO prompt_counts (language, status, count) VALUES (NEW.language, NEW.status, 1)
  ON CONFLICT (language, status) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER prompt_counts_status AFTER UPDATE OF status ON prompts WHEN OLD.status <> NEW.status
BEGIN
  UPDATE prompt_counts SET count = count - 1 WHERE language = OLD.language AND status = OLD.status;
  INSERT INTO prompt_counts (language, status, count) VALUES (NEW.language, NEW.status, 1)
  ON CONFLICT (language, status) DO UPDATE SET count = count + 1;
END;
`;
