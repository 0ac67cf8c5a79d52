import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import { AlreadyReportedError, AlreadyVotedError, OwnSampleError, ReportResolvedError, SampleOnHoldError, SampleWithdrawnError, VotingClosedError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import { decide, type VoteValue } from '../domain/quorum.js';
import type { NodeLanguages } from '../languages.js';
import type { Contributor } from '../stores/contributors.js';
import type { PromptStore } from '../stores/prompts.js';
import type { Report, ReportStatus, ReportStore } from '../stores/reports.js';
import type { Modality, Sample, SampleStore } from '../stores/samples.js';
import type { VoteStore } from '../stores/votes.js';
import type { WithdrawalFollowUp } from './withdrawal-cleanup.js';

export interface QueueRequest {
  language?: string;
  modality: Modality;
  limit: number;
}

/** What a report is about, as a moderator needs it to judge: the sentence, or the sample and what it says. */
export type ReportSubject =
  | { kind: 'prompt'; language: string; text: string }
  | {
      kind: 'sample';
      modality: Modality;
      language: string;
      /** A text sample's text, or the sentence a recording reads. */
      text: string | null;
      /** Whether GET /samples/:id/audio plays it to the moderator (held recordings may be heard by reviewers). */
      audio: boolean;
    };

export interface ReportInput {
  reason: string;
  detail?: string;
}

export class ValidationService {
  constructor(
    private readonly db: Db,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly samples: SampleStore,
    private readonly votes: VoteStore,
    private readonly reports: ReportStore,
    private readonly prompts: PromptStore,
    /** What follows a sample leaving published releases (a notice, a rebuild). */
    private readonly followUp: Pick<WithdrawalFollowUp, 'announce'>,
  ) {}

  queue(voter: Contributor, request: QueueRequest): Sample[] {
    const languages = request.language
      ? [this.languages.resolve(request.language).tag]
      : this.languages.tags.map((t) => t.tag);
    return this.samples.queue({ modality: request.modality, languages, voterId: voter.id, limit: request.limit });
  }

  /** One transaction: the vote, the tally and the decision it may cause stand or fall together. */
  vote(voter: Contributor, sampleId: string, value: VoteValue): Sample {
    return this.db.transaction(() => {
      const sample = this.samples.byId(sampleId);
      if (!sample) throw new NotFoundError('No such sample.');
      if (sample.status === 'withdrawn') throw new SampleWithdrawnError();
      if (sample.contributorId === voter.id) throw new OwnSampleError();
      if (this.votes.hasVoted(sampleId, voter.id)) throw new AlreadyVotedError();
      if (sample.status !== 'pending') throw new VotingClosedError();
      if (this.reports.isSampleHeld(sampleId)) throw new SampleOnHoldError();
      const at = nowIso();
      this.votes.insert({ targetId: sampleId, contributorId: voter.id, value, createdAt: at });
      const decision = decide(this.votes.tally(sampleId), this.config.votes);
      if (!decision) return sample;
      this.samples.decide(sampleId, decision, at);
      return { ...sample, status: decision, decidedAt: at };
    }).immediate();
  }

  report(reporter: Contributor, target: { sampleId?: string; promptId?: string }, input: ReportInput): Report {
    return this.db.transaction(() => {
      const sampleId = target.sampleId ?? null;
      const promptId = target.promptId ?? null;
      if (sampleId) {
        const sample = this.samples.byId(sampleId);
        if (!sample) throw new NotFoundError('No such sample.');
        if (sample.status === 'withdrawn') throw new SampleWithdrawnError();
      } else if (!promptId || !this.prompts.byId(promptId)) {
        throw new NotFoundError('No such prompt.');
      }
      if (this.reports.hasReported({ sampleId, promptId }, reporter.id)) throw new AlreadyReportedError();
      const report = {
        id: newId(),
        sampleId,
        promptId,
        reporterId: reporter.id,
        reason: input.reason,
        detail: input.detail ?? null,
        createdAt: nowIso(),
      };
      this.reports.insert(report);
      return { ...report, status: 'open' as const, resolvedAt: null, resolvedBy: null };
    }).immediate();
  }

  /**
   * The normalised clip of a speech sample. Validators hear it while it awaits their votes, and
   * moderators while a report on it is open; its speaker and admins always. Once decided, a
   * recording leaves the node only through releases, under their terms: to anyone else it does
   * not exist here. Withdrawn audio is gone, which anyone may be told (410): it reveals nothing.
   */
  clipOf(reader: Contributor, sampleId: string): { key: string; type: string } {
    const sample = this.samples.byId(sampleId);
    if (!sample || sample.modality !== 'speech') throw new NotFoundError('No such recording.');
    if (sample.status === 'withdrawn' || !sample.audio) throw new SampleWithdrawnError();
    if (!this.mayHear(reader, sample)) throw new NotFoundError('No such recording.');
    return { key: sample.audio.normalizedKey, type: 'audio/wav' };
  }

  private mayHear(reader: Contributor, sample: Sample): boolean {
    if (reader.id === sample.contributorId || reader.role === 'admin') return true;
    if (sample.status === 'pending') return true;
    return reader.role === 'reviewer' && this.reports.isSampleHeld(sample.id);
  }

  /** Open reports, oldest first, each with what it is about. */
  openReports(limit: number): Array<Report & { subject: ReportSubject | null }> {
    return this.reports.list('open', limit).map((report) => ({ ...report, subject: this.subjectOf(report) }));
  }

  private subjectOf(report: Report): ReportSubject | null {
    if (report.promptId) {
      const prompt = this.prompts.byId(report.promptId);
      return prompt ? { kind: 'prompt', language: prompt.language, text: prompt.text } : null;
    }
    const sample = report.sampleId ? this.samples.byId(report.sampleId) : undefined;
    if (!sample) return null;
    const read = sample.promptId ? this.prompts.byId(sample.promptId)?.text : undefined;
    return {
      kind: 'sample',
      modality: sample.modality,
      language: sample.language,
      text: sample.text ?? read ?? null,
      audio: sample.modality === 'speech' && sample.audio !== null && sample.status !== 'withdrawn',
    };
  }

  /**
   * Upholding a report rejects what it is about; dismissing puts a sample back in the queue. A
   * rejected sample that was published leaves its releases at once, as a withdrawal does: its
   * shards answer 410 (decided in this transaction), a notice with reason `moderation` goes out,
   * and the next version is built without it.
   */
  resolveReport(moderator: Contributor, reportId: string, decision: 'dismiss' | 'uphold'): Report {
    const resolved = this.db.transaction(() => {
      const report = this.reports.byId(reportId);
      if (!report) throw new NotFoundError('No such report.');
      if (report.status !== 'open') throw new ReportResolvedError();
      const at = nowIso();
      const status: ReportStatus = decision === 'uphold' ? 'upheld' : 'dismissed';
      this.reports.resolve(report, status, moderator.id, at);
      if (decision === 'uphold' && report.sampleId) this.samples.reject(report.sampleId, at);
      if (decision === 'uphold' && report.promptId) this.prompts.reject(report.promptId, at);
      return { ...report, status, resolvedAt: at, resolvedBy: moderator.id };
    }).immediate();
    if (resolved.status === 'upheld' && resolved.sampleId) this.followUp.announce();
    return resolved;
  }
}
