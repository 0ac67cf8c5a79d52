import type { AudioFacts } from '../../../pipelines/audio/facts.js';
import { tagMatchesRange } from '../../../pipelines/language/tags.js';
import type { Db } from '../../core/db.js';

export type Modality = 'text' | 'speech';
export type SampleStatus = 'pending' | 'validated' | 'rejected' | 'withdrawn';

export interface LidRecord {
  code: string;
  score: number;
  script: string;
  model: string;
  mismatch: 'language' | 'script' | null;
  /** Why the code is `und`, when it is (the declared language stands). */
  reason: string | null;
}

export interface SampleAudio {
  originalKey: string;
  originalType: string;
  sha256: string;
  normalizedKey: string;
  facts: AudioFacts;
  flags: string[];
}

export interface Sample {
  id: string;
  contributorId: string;
  consentRecordId: string;
  modality: Modality;
  language: string;
  iso639_3: string;
  text: string | null;
  promptId: string | null;
  lid: LidRecord | null;
  audio: SampleAudio | null;
  license: string;
  status: SampleStatus;
  createdAt: string;
  decidedAt: string | null;
  withdrawnAt: string | null;
}

export type NewSample = Omit<Sample, 'status' | 'decidedAt' | 'withdrawnAt'> & {
  textKey: string | null;
  uploadId: string | null;
};

interface Row {
  id: string;
  contributor_id: string;
  /** Up and down votes so far (migration 012), the queue's order. */
  votes: number;
  consent_record_id: string;
  modality: Modality;
  language: string;
  iso639_3: string;
  text: string | null;
  prompt_id: string | null;
  lid_code: string | null;
  lid_score: number | null;
  lid_script: string | null;
  lid_model: string | null;
  lid_mismatch: 'language' | 'script' | null;
  lid_reason: string | null;
  audio_original: string | null;
  audio_original_type: string | null;
  audio_sha256: string | null;
  audio_normalized: string | null;
  audio_facts: string | null;
  audio_flags: string | null;
  license: string;
  status: SampleStatus;
  created_at: string;
  decided_at: string | null;
  withdrawn_at: string | null;
}

const toSample = (row: Row): Sample => ({
  id: row.id,
  contributorId: row.contributor_id,
  consentRecordId: row.consent_record_id,
  modality: row.modality,
  language: row.language,
  iso639_3: row.iso639_3,
  text: row.text,
  promptId: row.prompt_id,
  lid:
    row.lid_code === null
      ? null
      : {
          code: row.lid_code,
          score: row.lid_score ?? 0,
          script: row.lid_script ?? 'Zyyy',
          model: row.lid_model ?? '',
          mismatch: row.lid_mismatch,
          reason: row.lid_reason,
        },
  audio:
    row.audio_original === null
      ? null
      : {
          originalKey: row.audio_original,
          originalType: row.audio_original_type ?? 'application/octet-stream',
          sha256: row.audio_sha256 ?? '',
          normalizedKey: row.audio_normalized ?? '',
          facts: JSON.parse(row.audio_facts ?? '{}') as AudioFacts,
          flags: JSON.parse(row.audio_flags ?? '[]') as string[],
        },
  license: row.license,
  status: row.status,
  createdAt: row.created_at,
  decidedAt: row.decided_at,
  withdrawnAt: row.withdrawn_at,
});

export interface QueueQuery {
  modality: Modality;
  /** Canonical BCP-47 tags; a sample matches a tag or any more specific tag under it. */
  languages: string[];
  voterId: string;
  limit: number;
}

const WITHDRAW_SET = `status = 'withdrawn', text = NULL, text_key = NULL, withdrawn_at = @at,
  audio_original = NULL, audio_original_type = NULL, audio_normalized = NULL`;

export interface WithdrawnSamples {
  count: number;
  ids: string[];
  /** Audio blobs of the withdrawn samples, to delete once the transaction has committed. */
  blobKeys: string[];
}

/**
 * Inserting a sample is the one write on the intake path, so it runs on the sample writer's
 * thread (see sample-writer.ts) from this statement. A text already on the node (same language,
 * same text key) inserts nothing.
 */
export const INSERT_SAMPLE_SQL = `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, text,
    text_key, prompt_id, lid_code, lid_score, lid_script, lid_model, lid_mismatch, lid_reason, audio_original, audio_original_type,
    audio_sha256, audio_normalized, audio_facts, audio_flags, upload_id, license, status, created_at)
  VALUES (@id, @contributorId, @consentRecordId, @modality, @language, @iso639_3, @text, @textKey,
    @promptId, @lidCode, @lidScore, @lidScript, @lidModel, @lidMismatch, @lidReason, @audioOriginal, @audioOriginalType,
    @audioSha256, @audioNormalized, @audioFacts, @audioFlags, @uploadId, @license, 'pending', @createdAt)
  ON CONFLICT (language, text_key) WHERE modality = 'text' DO NOTHING`;

export type SampleRowParams = Record<string, string | number | null>;

/** The named parameters of `INSERT_SAMPLE_SQL` for a sample. */
export function insertParams(sample: NewSample): SampleRowParams {
  const { audio, lid } = sample;
  return {
    id: sample.id,
    contributorId: sample.contributorId,
    consentRecordId: sample.consentRecordId,
    modality: sample.modality,
    language: sample.language,
    iso639_3: sample.iso639_3,
    text: sample.text,
    textKey: sample.textKey,
    promptId: sample.promptId,
    lidCode: lid?.code ?? null,
    lidScore: lid?.score ?? null,
    lidScript: lid?.script ?? null,
    lidModel: lid?.model ?? null,
    lidMismatch: lid?.mismatch ?? null,
    lidReason: lid?.reason ?? null,
    audioOriginal: audio?.originalKey ?? null,
    audioOriginalType: audio?.originalType ?? null,
    audioSha256: audio?.sha256 ?? null,
    audioNormalized: audio?.normalizedKey ?? null,
    audioFacts: audio ? JSON.stringify(audio.facts) : null,
    audioFlags: audio ? JSON.stringify(audio.flags) : null,
    uploadId: sample.uploadId,
    license: sample.license,
    createdAt: sample.createdAt,
  };
}

export class SampleStore {
  private readonly byIdStmt;
  private readonly byUploadStmt;
  private readonly setDecisionStmt;
  private readonly rejectStmt;
  private readonly withdrawByConsentStmt;
  private readonly withdrawByContributorStmt;
  private readonly activeByConsentStmt;
  private readonly activeByContributorStmt;
  private readonly ofContributorStmt;
  private readonly pageOfContributorStmt;
  private readonly countsOfContributorStmt;
  private readonly pendingTagsStmt;
  private readonly queueStmt;

  constructor(private readonly db: Db) {
    this.byIdStmt = db.prepare<[string], Row>('SELECT * FROM samples WHERE id = ?');
    this.byUploadStmt = db.prepare<[string], Row>('SELECT * FROM samples WHERE upload_id = ?');
    this.setDecisionStmt = db.prepare(
      "UPDATE samples SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    );
    this.rejectStmt = db.prepare(
      "UPDATE samples SET status = 'rejected', decided_at = ? WHERE id = ? AND status IN ('pending', 'validated')",
    );
    this.withdrawByConsentStmt = db.prepare(
      `UPDATE samples SET ${WITHDRAW_SET} WHERE consent_record_id = @id AND status <> 'withdrawn'`,
    );
    this.withdrawByContributorStmt = db.prepare(
      `UPDATE samples SET ${WITHDRAW_SET} WHERE contributor_id = @id AND status <> 'withdrawn'`,
    );
    type Active = { id: string; original: string | null; normalized: string | null };
    const active = `SELECT id, audio_original AS original, audio_normalized AS normalized FROM samples
       WHERE status <> 'withdrawn' AND`;
    this.activeByConsentStmt = db.prepare<[string], Active>(`${active} consent_record_id = ?`);
    this.activeByContributorStmt = db.prepare<[string], Active>(`${active} contributor_id = ?`);
    this.ofContributorStmt = db.prepare<[string], Row>('SELECT * FROM samples WHERE contributor_id = ? ORDER BY id');
    // Ids are ULIDs, so newest first is id order, and the last id of a page is the next cursor.
    this.pageOfContributorStmt = db.prepare<[string, string, number], Row>(
      'SELECT * FROM samples WHERE contributor_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
    this.countsOfContributorStmt = db.prepare<[string], { status: SampleStatus; n: number }>(
      'SELECT status, count(*) AS n FROM samples WHERE contributor_id = ? GROUP BY status',
    );
    this.pendingTagsStmt = db
      .prepare<[string], string>("SELECT language FROM sample_counts WHERE status = 'pending' AND modality = ? AND count > 0")
      .pluck();
    this.queueStmt = db.prepare<[string, string, string, string, number], Row>(
      `SELECT s.* FROM samples s INDEXED BY samples_queue_order
       WHERE s.status = 'pending' AND s.modality = ? AND s.language = ?
         AND s.contributor_id <> ?
         AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.sample_id = s.id AND v.contributor_id = ?)
         AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.sample_id = s.id AND r.status = 'open')
       ORDER BY s.votes DESC, s.id
       LIMIT ?`,
    );
  }

  byId(id: string): Sample | undefined {
    const row = this.byIdStmt.get(id);
    return row && toSample(row);
  }

  /** The sample a finished resumable upload became (upload ids are unique among samples). */
  byUploadId(uploadId: string): Sample | undefined {
    const row = this.byUploadStmt.get(uploadId);
    return row && toSample(row);
  }

  /** Moves a pending sample to its decided state; a no-op for samples decided meanwhile. */
  decide(id: string, status: 'validated' | 'rejected', at: string): void {
    this.setDecisionStmt.run(status, at, id);
  }

  /** A moderator's ruling: overrides the votes, whether or not they had decided yet. */
  reject(id: string, at: string): void {
    this.rejectStmt.run(at, id);
  }

  /** Withdrawn samples keep their row (a release must name them later) but lose their content. */
  withdrawByConsent(consentRecordId: string, at: string): WithdrawnSamples {
    const active = this.activeByConsentStmt.all(consentRecordId);
    this.withdrawByConsentStmt.run({ id: consentRecordId, at });
    return withdrawn(active);
  }

  withdrawByContributor(contributorId: string, at: string): WithdrawnSamples {
    const active = this.activeByContributorStmt.all(contributorId);
    this.withdrawByContributorStmt.run({ id: contributorId, at });
    return withdrawn(active);
  }

  ofContributor(contributorId: string): Sample[] {
    return this.ofContributorStmt.all(contributorId).map(toSample);
  }

  /** A contributor's samples newest first, `limit` at a time, after the id `before` (exclusive). */
  pageOfContributor(contributorId: string, before: string | undefined, limit: number): Sample[] {
    // '~' sorts after every ULID character, so no cursor means "from the newest".
    return this.pageOfContributorStmt.all(contributorId, before ?? '~', limit).map(toSample);
  }

  /** How many of a contributor's samples are in each status, zero included. */
  countsOfContributor(contributorId: string): Record<SampleStatus, number> {
    const counts: Record<SampleStatus, number> = { pending: 0, validated: 0, rejected: 0, withdrawn: 0 };
    for (const { status, n } of this.countsOfContributorStmt.all(contributorId)) counts[status] = n;
    return counts;
  }

  /**
   * Samples a contributor can validate: pending, not theirs, not yet voted on by them, not held
   * by an open report. Those closest to a decision (most votes) come first so the backlog
   * drains, then the oldest. One index walk per language tag that has pending samples
   * (`sample_counts`, migration 012), each stopping at `limit`, merged here: the cost follows
   * what is served, not how many samples the node holds or how many wait in other languages.
   */
  queue(query: QueueQuery): Sample[] {
    const tags = this.pendingTagsStmt
      .all(query.modality)
      .filter((tag) => query.languages.some((range) => tagMatchesRange(tag, range)));
    const rows = tags.flatMap((tag) => this.queueStmt.all(query.modality, tag, query.voterId, query.voterId, query.limit));
    rows.sort((a, b) => b.votes - a.votes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows.slice(0, query.limit).map(toSample);
  }
}

function withdrawn(active: Array<{ id: string; original: string | null; normalized: string | null }>): WithdrawnSamples {
  return {
    count: active.length,
    ids: active.map((a) => a.id),
    blobKeys: active.flatMap((a) => [a.original, a.normalized]).filter((k): k is string => k !== null),
  };
}
