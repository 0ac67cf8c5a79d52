import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import { ConsentRequiredError, ConsentWithdrawnError, NoticeChangedError, PurposeNotOfferedError, RequiredPurposeMissingError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import { consentRecordView, type ConsentRecordView } from '../domain/consent-record.js';
import { coversPurposes } from '../domain/purposes.js';
import type { ConsentRecordRow, ConsentStore } from '../stores/consents.js';
import type { Contributor } from '../stores/contributors.js';
import type { SampleStore } from '../stores/samples.js';
import { pickNotice, type ConsentNotice } from './consent-notices.js';
import type { UnfinishedUploads } from './unfinished-uploads.js';
import type { WithdrawalFollowUp } from './withdrawal-cleanup.js';

export interface GiveConsent {
  noticeId: string;
  noticeSha256: string;
  purposes: string[];
}

export class ConsentService {
  constructor(
    private readonly db: Db,
    private readonly config: NodeConfig,
    private readonly notices: Map<string, ConsentNotice>,
    private readonly consents: ConsentStore,
    private readonly samples: SampleStore,
    private readonly uploads: UnfinishedUploads,
    private readonly followUp: WithdrawalFollowUp,
  ) {}

  /**
   * Keeps a copy of every notice the node shows, so that records can always be traced to the
   * exact text agreed to, even after the notice changes. A node does this when it starts serving.
   */
  recordNotices(): void {
    for (const notice of this.notices.values()) {
      this.consents.saveNotice({
        id: notice.id,
        language: notice.document.language,
        version: notice.document.version,
        sha256: notice.sha256,
        document: notice.json,
        createdAt: nowIso(),
      });
    }
  }

  notice(locale: string | undefined): ConsentNotice {
    return pickNotice(this.notices, locale);
  }

  /**
   * The notice must be one the node shows now and its hash must match: that is what proves the
   * volunteer agreed to the exact text they were shown.
   */
  give(contributor: Contributor, input: GiveConsent): ConsentRecordView {
    const notice = [...this.notices.values()].find((n) => n.id === input.noticeId);
    if (!notice || notice.sha256 !== input.noticeSha256) throw new NoticeChangedError();
    const offered: readonly string[] = this.config.consent.purposes;
    const unknown = input.purposes.filter((p) => !offered.includes(p));
    if (unknown.length > 0) throw new PurposeNotOfferedError(undefined, { purposes: unknown });
    if (!coversPurposes(input.purposes, this.config.consent.required)) {
      throw new RequiredPurposeMissingError(undefined, { required: this.config.consent.required });
    }
    const record = {
      id: newId(),
      contributorId: contributor.id,
      noticeId: notice.id,
      noticeSha256: notice.sha256,
      purposes: [...new Set(input.purposes)],
      lawfulBasis: 'dpv:Consent',
      jurisdiction: this.config.jurisdiction,
      license: this.config.license,
      givenAt: nowIso(),
    };
    this.db.transaction(() => this.consents.insertRecord(record)).immediate();
    return this.view(contributor, { ...record, withdrawnAt: null });
  }

  /**
   * Withdrawal is immediate: the record, every sample given under it and every unfinished upload
   * started under it are withdrawn together.
   */
  async withdraw(
    contributor: Contributor,
    recordId: string,
    reason: string | null,
  ): Promise<{ record: ConsentRecordView; withdrawnSamples: number }> {
    const record = this.consents.recordById(recordId);
    if (!record || record.contributorId !== contributor.id) throw new NotFoundError('No such consent record.');
    if (record.withdrawnAt) throw new ConsentWithdrawnError();
    const at = nowIso();
    const withdrawn = this.db.transaction(() => {
      this.consents.withdraw(record.id, at, reason);
      return { samples: this.samples.withdrawByConsent(record.id, at), uploadIds: this.uploads.takeOfConsentRecord(record.id) };
    }).immediate();
    await this.followUp.settle(withdrawn);
    return { record: this.view(contributor, { ...record, withdrawnAt: at }), withdrawnSamples: withdrawn.samples.count };
  }

  /** The newest active record that covers the node's required purposes, or a 403. */
  activeRecordFor(contributor: Contributor, recordId?: string): ConsentRecordRow {
    const { required } = this.config.consent;
    const record = this.consents
      .activeRecordsOf(contributor.id)
      .find((r) => (recordId === undefined || r.id === recordId) && coversPurposes(r.purposes, required));
    if (!record) throw new ConsentRequiredError();
    return record;
  }

  recordsOf(contributor: Contributor): ConsentRecordView[] {
    return this.consents.recordsOf(contributor.id).map((record) => this.view(contributor, record));
  }

  view(contributor: Contributor, record: ConsentRecordRow): ConsentRecordView {
    const notice = this.consents.noticeById(record.noticeId);
    return consentRecordView({
      record,
      contributorId: contributor.id,
      controllerName: this.config.name,
      notice: {
        id: record.noticeId,
        language: notice?.language ?? 'und',
        version: notice?.version ?? 'unknown',
        sha256: record.noticeSha256,
      },
      events: this.consents.eventsOf(record.id),
    });
  }
}
