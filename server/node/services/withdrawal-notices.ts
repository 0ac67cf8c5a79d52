import { randomBytes } from 'node:crypto';
import { PAYLOAD_TYPES, signStatement, type WithdrawalNotice } from '../../../pipelines/federation/statements.js';
import type { Db } from '../../core/db.js';
import { nowIso } from '../../core/ids.js';
import type { NodeIdentity } from '../identity.js';
import type { ReleaseStore, UnannouncedRemoval } from '../stores/releases.js';
import type { NoticeStore } from '../stores/notices.js';

export const NOTICE_PAYLOAD_TYPE = PAYLOAD_TYPES.withdrawal;

/**
 * Records one notice names at most: an erasure or a moderation sweep can remove many, and an
 * index takes bodies up to 1 MiB (5,000 ids are about 200 KB signed).
 */
export const MAX_RECORDS_PER_NOTICE = 5_000;
export type { WithdrawalNotice };

/**
 * When records leave a published release (a volunteer withdraws, an account is erased, a
 * moderator upholds a report), every current release holding them gets a signed notice naming
 * the records and the shards (by hash) they are in. Trainers read the notices from the node
 * (and the index) and drop those records.
 *
 * The records come from the release's removals (ReleaseStore), which the database writes in the
 * withdrawal's own transaction: `issuePending` names those no notice names yet, so a notice lost
 * to a crash between the withdrawal and its notice is issued at the next start.
 *
 * What a notice reveals is what a trainer needs to act on it, and no more: the dataset, the
 * release, the record keys and shards, and the day. One withdrawal touching several datasets
 * makes one notice per dataset, and nothing inside them ties them together: the id is random
 * (not a time-ordered ULID), the time is the day, and erasure and withdrawal share one reason.
 * What remains (pipelines/release/manifest/README.md, "Withdrawal notices"): notices of one
 * withdrawal are adjacent in the node's feed and appear at the same moment, so someone watching
 * the feed live, or holding the node's feed order, can still link them.
 */
export class WithdrawalNotices {
  constructor(
    private readonly db: Db,
    private readonly identity: NodeIdentity,
    private readonly releases: ReleaseStore,
    private readonly notices: NoticeStore,
  ) {}

  /**
   * Signs one notice per release and reason (per 5,000 records) for the removals no notice names yet, and
   * stores each with the removals it names, in one transaction (so none is issued twice).
   */
  issuePending(): WithdrawalNotice[] {
    return this.db.transaction(() => {
      const groups = new Map<string, UnannouncedRemoval[]>();
      for (const removal of this.releases.unannounced()) {
        const key = `${removal.releaseId}\u0000${removal.reason}`;
        (groups.get(key) ?? groups.set(key, []).get(key)!).push(removal);
      }
      const now = nowIso();
      const chunks = [...groups.values()].flatMap((removals) =>
        Array.from({ length: Math.ceil(removals.length / MAX_RECORDS_PER_NOTICE) }, (_, i) =>
          removals.slice(i * MAX_RECORDS_PER_NOTICE, (i + 1) * MAX_RECORDS_PER_NOTICE),
        ),
      );
      return chunks.map((removals) => {
        const [first] = removals as [UnannouncedRemoval];
        const shards = new Map(removals.map((r) => [r.shard, r.sha256]));
        const notice: WithdrawalNotice = {
          type: 'tributary:withdrawal-notice/1',
          id: randomBytes(16).toString('hex'),
          node: this.identity.did,
          dataset: first.datasetId,
          release: { version: first.version },
          records: removals.map((r) => r.sampleId).sort(),
          shards: [...shards].map(([name, sha256]) => ({ name, sha256 })).sort((a, b) => a.name.localeCompare(b.name)),
          reason: first.reason,
          issued: now.slice(0, 10),
        };
        const envelope = signStatement(NOTICE_PAYLOAD_TYPE, notice, this.identity.signingKey, this.identity.keyId);
        this.notices.append({
          id: notice.id,
          kind: 'withdrawal',
          datasetId: notice.dataset,
          records: notice.records.length,
          envelope: JSON.stringify(envelope),
          createdAt: now,
        });
        this.releases.announced(first.releaseId, notice.records, notice.id);
        return notice;
      });
    }).immediate();
  }
}
