import { randomBytes } from 'node:crypto';
import { PAYLOAD_TYPES, signStatement, type WithdrawalNotice } from '../../../pipelines/federation/statements.js';
import { nowIso } from '../../core/ids.js';
import type { NodeIdentity } from '../identity.js';
import type { ReleaseStore } from '../stores/releases.js';
import type { NoticeStore, StoredNotice } from '../stores/notices.js';

export const NOTICE_PAYLOAD_TYPE = PAYLOAD_TYPES.withdrawal;
export type { WithdrawalNotice };

/**
 * When a volunteer withdraws after a release, every current release holding their records gets
 * a signed notice naming the records and the shards (by hash) they are in. Trainers read the
 * notices from the node (and, later, the index) and drop those records.
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
    private readonly identity: NodeIdentity,
    private readonly releases: ReleaseStore,
    private readonly notices: NoticeStore,
  ) {}

  issue(sampleIds: readonly string[], reason: WithdrawalNotice['reason']): WithdrawalNotice[] {
    const byDataset = new Map<string, { version: string; records: Set<string>; shards: Map<string, string> }>();
    for (const sampleId of sampleIds) {
      for (const placement of this.releases.publishedIn(sampleId)) {
        let entry = byDataset.get(placement.datasetId);
        if (!entry) {
          entry = { version: placement.version, records: new Set(), shards: new Map() };
          byDataset.set(placement.datasetId, entry);
        }
        entry.records.add(sampleId);
        entry.shards.set(placement.shard, placement.sha256);
      }
    }
    const now = nowIso();
    const issued = now.slice(0, 10);
    return [...byDataset].map(([dataset, entry]) => {
      const notice: WithdrawalNotice = {
        type: 'tributary:withdrawal-notice/1',
        id: randomBytes(16).toString('hex'),
        node: this.identity.did,
        dataset,
        release: { version: entry.version },
        records: [...entry.records].sort(),
        shards: [...entry.shards].map(([name, sha256]) => ({ name, sha256 })).sort((a, b) => a.name.localeCompare(b.name)),
        reason,
        issued,
      };
      const envelope = signStatement(NOTICE_PAYLOAD_TYPE, notice, this.identity.signingKey, this.identity.keyId);
      this.notices.append({ id: notice.id, kind: 'withdrawal', datasetId: dataset, records: notice.records.length, envelope: JSON.stringify(envelope), createdAt: now });
      return notice;
    });
  }

  since(seq: number, limit: number): StoredNotice[] {
    return this.notices.since(seq, limit, 'withdrawal');
  }
}
