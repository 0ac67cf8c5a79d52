/**
 * Withdrawal takes effect at once, and the community's authority over a dataset as a whole.
 *
 * `release_removals`: records of a current release that left it (consent withdrawn, erasure,
 * moderation), with the shard that holds them. A shard with a removal answers 410 from that
 * moment; the node rebuilds the dataset without them after a delay; `notice_id` is the signed
 * withdrawal notice that named them, NULL until it is issued (so one lost to a crash is issued at
 * the next start). The trigger writes a removal in the same transaction as the change of status,
 * whichever code path makes it, so no withdrawal can skip it; a release published with records
 * already withdrawn gets its removals when it is published (ReleaseStore.publish).
 *
 * Records already withdrawn or rejected in current releases when this runs are removed too:
 * they are what the node kept serving before. Their notices are issued again at the next start
 * (for a withdrawal a second notice naming the same records, which a trainer drops again at no
 * cost; a moderation decision never had one).
 */
export const releaseRemovals = `
CREATE TABLE release_removals (
  release_id  TEXT NOT NULL REFERENCES releases(id),
  sample_id   TEXT NOT NULL REFERENCES samples(id),
  shard       TEXT NOT NULL,
  reason      TEXT NOT NULL CHECK (reason IN ('consent-withdrawn', 'moderation')),
  removed_at  TEXT NOT NULL,
  notice_id   TEXT,
  PRIMARY KEY (release_id, sample_id)
);
CREATE INDEX release_removals_shard ON release_removals(release_id, shard);
CREATE INDEX release_removals_unannounced ON release_removals(release_id) WHERE notice_id IS NULL;

CREATE TRIGGER samples_leave_releases AFTER UPDATE OF status ON samples
WHEN OLD.status = 'validated' AND NEW.status IN ('withdrawn', 'rejected')
BEGIN
  INSERT OR IGNORE INTO release_removals (release_id, sample_id, shard, reason, removed_at)
  SELECT rr.release_id, rr.sample_id, rr.shard,
         CASE NEW.status WHEN 'withdrawn' THEN 'consent-withdrawn' ELSE 'moderation' END,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM release_records rr JOIN releases r ON r.id = rr.release_id AND r.status = 'current'
  WHERE rr.sample_id = NEW.id;
END;

INSERT INTO release_removals (release_id, sample_id, shard, reason, removed_at)
SELECT rr.release_id, rr.sample_id, rr.shard,
       CASE s.status WHEN 'withdrawn' THEN 'consent-withdrawn' ELSE 'moderation' END,
       coalesce(s.withdrawn_at, s.decided_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
FROM release_records rr
JOIN releases r ON r.id = rr.release_id AND r.status = 'current'
JOIN samples s ON s.id = rr.sample_id
WHERE s.status IN ('withdrawn', 'rejected');

-- A retracted dataset is served nowhere and built again only when the operator says so.
ALTER TABLE datasets ADD COLUMN retracted_at TEXT;
ALTER TABLE datasets ADD COLUMN retraction_reason TEXT;

-- The demographic cells (JSON ["field", "value"] pairs) whose values a release's shards show:
-- a redaction rewrites every shard whose shown values would change.
ALTER TABLE releases ADD COLUMN shown_cells TEXT;
`;
