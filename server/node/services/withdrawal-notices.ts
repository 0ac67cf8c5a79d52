import { signEnvelope } from '../../../pipelines/signing/dsse.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeIdentity } from '../identity.js';
import type { ReleaseStore } from '../stores/releases.js';
import type { StoredNotice, WithdrawalNoticeStore } from '../stores/withdrawal-notices.js';

export const NOTICE_PAYLOAD_TYPE = 'application/vnd.tributary.withdrawal-notice+json';

export interface WithdrawalNotice {
  type: 'tributary:withdrawal-notice/1';
  id: string;
  node: string;
  dataset: string;
  release: { version: string };
  /** Record keys (the `key` column of the shards) that trainers must drop. */
  records: string[];
  shards: Array<{ name: string; sha256: string }>;
  reason: 'consent-withdrawn' | 'erasure-requested';
  issued: string;
}

/**
 * When a volunteer withdraws after a release, every current release holding their records gets
 * a signed notice naming the records and the shards (by hash) they are in. Trainers read the
 * notices from the node (and, later, the index) and drop those records.
 */
export class WithdrawalNotices {
  constructor(
    private readonly identity: NodeIdentity,
    private readonly releases: ReleaseStore,
    private readonly notices: WithdrawalNoticeStore,
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
    const issued = nowIso();
    return [...byDataset].map(([dataset, entry]) => {
      const notice: WithdrawalNotice = {
        type: 'tributary:withdrawal-notice/1',
        id: newId(),
        node: this.identity.did,
        dataset,
        release: { version: entry.version },
        records: [...entry.records].sort(),
        shards: [...entry.shards].map(([name, sha256]) => ({ name, sha256 })).sort((a, b) => a.name.localeCompare(b.name)),
        reason,
        issued,
      };
      const envelope = signEnvelope(
        new TextEncoder().encode(JSON.stringify(notice)),
        NOTICE_PAYLOAD_TYPE,
        this.identity.signingKey,
        this.identity.keyId,
      );
      this.notices.append({ id: notice.id, datasetId: dataset, records: notice.records.length, envelope: JSON.stringify(envelope), createdAt: issued });
      return notice;
    });
  }

  since(seq: number, limit: number): StoredNotice[] {
    return this.notices.since(seq, limit);
  }
}
