import { createPublicKey } from 'node:crypto';
import { openStatement, PAYLOAD_TYPES, type WithdrawalNotice } from '../../../pipelines/federation/statements.js';
import type { Db } from '../../core/db.js';
import { nowIso } from '../../core/ids.js';
import { IndexClient } from '../../trainer/index-client.js';
import type { NodeContext } from '../context.js';
import { ConsentStore } from '../stores/consents.js';
import { NoticeStore } from '../stores/notices.js';
import { ReleaseStore } from '../stores/releases.js';
import { SampleStore } from '../stores/samples.js';
import { deleteBlobs } from './withdrawal-cleanup.js';

/** What recovery found at one index. */
export interface IndexRecovery {
  index: string;
  /** Withdrawal notices of this node the index holds. */
  notices: number;
  /** Of those, notices the node did not hold, now applied. */
  recovered: number;
  /** Why the index could not be read to the end, if it could not. */
  error?: string;
}

export interface WithdrawalRecovery {
  indexes: IndexRecovery[];
  /** Notices applied, over all indexes (one notice held by two counts once). */
  notices: number;
  /** Consent records found withdrawn through them, and samples withdrawn or rejected again. */
  consentRecords: number;
  samples: number;
  /** Notices signed by a key other than the node's current one (before a key rotation): not applied. */
  unverified: number;
}

const FEED_PAGE = 1000;
const RECOVERED = 'recovered from a withdrawal notice after a restore';

/**
 * Carries withdrawals made after a backup into the node restored from it. Every withdrawal that
 * touched a published release left a signed notice at the node's indexes; a notice the restored
 * database does not hold is applied again:
 * - `consent-withdrawn` (a volunteer withdrew consent, or erased their account): the consent
 *   record of each named sample is withdrawn, and with it every sample given under it, released
 *   or not, as the volunteer's own withdrawal did;
 * - `moderation` (a report upheld): the named samples are rejected.
 * The notice itself is stored as the node issued it (same id, same signature), so the node's
 * feed names it again and no second notice is signed for the same records; releases holding the
 * samples answer 410 at once and are rebuilt as after any withdrawal, and the audio is deleted.
 *
 * What it cannot recover: a withdrawal of samples no release held (no notice left the node), and
 * an erased account beyond its consent records. Back up often.
 */
export async function recoverWithdrawals(context: NodeContext, indexes: readonly string[], onIndex: (url: string) => void = () => {}): Promise<WithdrawalRecovery> {
  const { identity } = context;
  const trusted = new Map([[identity.keyId, createPublicKey(identity.signingKey)]]);
  const report: WithdrawalRecovery = { indexes: [], notices: 0, consentRecords: 0, samples: 0, unverified: 0 };
  const stores = {
    notices: new NoticeStore(context.db),
    samples: new SampleStore(context.db),
    consents: new ConsentStore(context.db),
    releases: new ReleaseStore(context.db),
  };
  for (const index of indexes) {
    onIndex(index);
    const found: IndexRecovery = { index, notices: 0, recovered: 0 };
    report.indexes.push(found);
    try {
      for await (const envelope of withdrawalEnvelopes(index, identity.did)) {
        found.notices++;
        const opened = openStatement(JSON.parse(envelope) as unknown, PAYLOAD_TYPES.withdrawal, trusted);
        if (!opened.ok) {
          report.unverified++;
          continue;
        }
        const applied = apply(context.db, stores, opened.statement, envelope);
        if (!applied) continue;
        found.recovered++;
        report.notices++;
        report.consentRecords += applied.consentRecords;
        report.samples += applied.samples;
        await deleteBlobs(context.blobs, applied.blobKeys, context.log);
      }
    } catch (error) {
      found.error = (error as Error).message;
    }
  }
  // Notices for current releases the recovered notices do not name, and the rebuilds.
  if (report.notices > 0) {
    context.notices.issuePending();
    context.redactions.check();
  }
  return report;
}

/**
 * The node's withdrawal notices at an index, byte for byte as it holds them: its feed read from
 * the start through the index client the trainer uses (pages and envelopes checked against what
 * the index API promises, each envelope against its sha256).
 */
async function* withdrawalEnvelopes(index: string, did: string): AsyncGenerator<string> {
  const client = new IndexClient(index);
  for (let cursor = 0; ; ) {
    const page = await client.feed(cursor, FEED_PAGE);
    for (const { event } of page.events) {
      if (event.type === 'withdrawal' && event.node === did && typeof event.envelopeSha256 === 'string') yield client.envelope(event.envelopeSha256);
    }
    if (page.events.length < FEED_PAGE) return;
    cursor = page.next;
  }
}

/** Applies one notice in one transaction; null when the node holds it already. */
function apply(
  db: Db,
  { notices, samples, consents, releases }: { notices: NoticeStore; samples: SampleStore; consents: ConsentStore; releases: ReleaseStore },
  notice: WithdrawalNotice,
  envelope: string,
) {
  return db
    .transaction(() => {
      if (notices.byId(notice.id)) return null;
      const at = nowIso();
      notices.append({ id: notice.id, kind: 'withdrawal', datasetId: notice.dataset, records: notice.records.length, envelope, createdAt: at });
      let consentRecords = 0;
      let count = 0;
      const blobKeys: string[] = [];
      for (const id of notice.records) {
        const sample = samples.byId(id);
        if (!sample || sample.status === 'withdrawn' || (notice.reason === 'moderation' && sample.status === 'rejected')) continue;
        if (notice.reason === 'moderation') {
          samples.reject(id, at);
          count++;
          continue;
        }
        if (consents.withdraw(sample.consentRecordId, at, RECOVERED)) consentRecords++;
        const withdrawn = samples.withdrawByConsent(sample.consentRecordId, at);
        count += withdrawn.count;
        blobKeys.push(...withdrawn.blobKeys);
      }
      // The removals the status changes wrote for this release are the ones this notice names.
      const release = releases.byVersion(notice.dataset, notice.release.version);
      if (release) releases.announced(release.id, notice.records, notice.id);
      return { consentRecords, samples: count, blobKeys };
    })
    .immediate();
}
