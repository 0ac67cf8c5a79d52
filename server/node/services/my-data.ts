import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import { LastAdminError } from '../errors.js';
import { nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import type { ConsentRecordView } from '../domain/consent-record.js';
import type { ConsentStore } from '../stores/consents.js';
import type { Contributor, ContributorStore } from '../stores/contributors.js';
import type { Prompt, PromptStore } from '../stores/prompts.js';
import type { Report, ReportStore } from '../stores/reports.js';
import type { Sample, SampleStore } from '../stores/samples.js';
import type { Vote, VoteStore } from '../stores/votes.js';
import type { ConsentService } from './consent.js';
import type { UnfinishedUploads } from './unfinished-uploads.js';
import type { WithdrawalFollowUp } from './withdrawal-cleanup.js';

export interface DataExport {
  format: 'tributary:export/1';
  exportedAt: string;
  node: { name: string; url: string | null };
  contributor: Contributor;
  tokens: Array<{ createdAt: string; revokedAt: string | null }>;
  consentRecords: ConsentRecordView[];
  samples: Sample[];
  votes: { samples: Vote[]; prompts: Vote[] };
  reports: Report[];
  proposedPrompts: Prompt[];
}

/** One page of a contributor's samples, newest first, with their counts by status. */
export interface MySamples {
  samples: Sample[];
  counts: Record<Sample['status'], number>;
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

export interface ErasureOutcome {
  withdrawnConsentRecords: number;
  withdrawnSamples: number;
  erasedAt: string;
}

/** What a volunteer can see, take away and erase of their own data: theirs, and nobody else's. */
export class MyDataService {
  constructor(
    private readonly db: Db,
    private readonly config: NodeConfig,
    private readonly stores: {
      contributors: ContributorStore;
      consents: ConsentStore;
      samples: SampleStore;
      sampleVotes: VoteStore;
      promptVotes: VoteStore;
      reports: ReportStore;
      prompts: PromptStore;
    },
    private readonly consent: ConsentService,
    private readonly uploads: UnfinishedUploads,
    private readonly followUp: WithdrawalFollowUp,
  ) {}

  export(contributor: Contributor): DataExport {
    const { stores } = this;
    // One read transaction, so the export is a consistent snapshot.
    return this.db.transaction(() => ({
      format: 'tributary:export/1' as const,
      exportedAt: nowIso(),
      node: { name: this.config.name, url: this.config.url ?? null },
      contributor,
      tokens: stores.contributors.tokensOf(contributor.id),
      consentRecords: this.consent.recordsOf(contributor),
      samples: stores.samples.ofContributor(contributor.id),
      votes: {
        samples: stores.sampleVotes.ofContributor(contributor.id),
        prompts: stores.promptVotes.ofContributor(contributor.id),
      },
      reports: stores.reports.ofReporter(contributor.id),
      proposedPrompts: stores.prompts.proposedBy(contributor.id),
    }))();
  }

  /** The volunteer's own samples, a page at a time; nobody else's are ever listed here. */
  samples(contributor: Contributor, cursor: string | undefined, limit: number): MySamples {
    return this.db.transaction(() => {
      // One more than asked says whether there is a next page without a second query.
      const page = this.stores.samples.pageOfContributor(contributor.id, cursor, limit + 1);
      const samples = page.slice(0, limit);
      return {
        samples,
        counts: this.stores.samples.countsOfContributor(contributor.id),
        nextCursor: page.length > limit ? (samples.at(-1)?.id ?? null) : null,
      };
    })();
  }

  /**
   * The sample one of my finished uploads became, so a client whose last answer was lost learns
   * its outcome instead of sending the recording again; someone else's upload is not found.
   */
  sampleOfUpload(contributor: Contributor, uploadId: string): Sample {
    const sample = this.stores.samples.byUploadId(uploadId);
    if (!sample || sample.contributorId !== contributor.id) throw new NotFoundError('No sample was made from this upload.');
    return sample;
  }

  /**
   * Withdraws every consent, sample and unfinished upload and erases the profile, in one
   * transaction. Kept: the
   * consent events (proof that consent was given and withdrawn, and when), the withdrawn
   * samples' ids (so later releases can name them in withdrawal notices), and votes, which
   * decided other people's samples and carry nothing about this person once the profile is gone.
   */
  async erase(contributor: Contributor): Promise<ErasureOutcome> {
    const { stores } = this;
    const erasedAt = nowIso();
    const outcome = this.db.transaction(() => {
      if (contributor.role === 'admin' && stores.contributors.countAdmins() <= 1) throw new LastAdminError();
      let withdrawnConsentRecords = 0;
      for (const record of stores.consents.activeRecordsOf(contributor.id)) {
        if (stores.consents.withdraw(record.id, erasedAt, 'erasure requested')) withdrawnConsentRecords++;
      }
      const withdrawn = {
        samples: stores.samples.withdrawByContributor(contributor.id, erasedAt),
        uploadIds: this.uploads.takeOfContributor(contributor.id),
      };
      stores.contributors.erase(contributor.id, erasedAt);
      return { withdrawnConsentRecords, withdrawn, erasedAt };
    }).immediate();
    await this.followUp.settle(outcome.withdrawn);
    return {
      withdrawnConsentRecords: outcome.withdrawnConsentRecords,
      withdrawnSamples: outcome.withdrawn.samples.count,
      erasedAt,
    };
  }
}
