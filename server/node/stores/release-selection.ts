import type { Db } from '../../core/db.js';
import { newId } from '../../core/ids.js';

/** Records the shard writer has written, marked in the selection as they come. */
export interface WrittenRecords {
  add(sampleId: string, shard: number): void;
  flush(): void;
}

const WRITTEN_BATCH = 1000;

export interface SelectionCriteria {
  language: string;
  modality: 'text' | 'speech';
  license: string;
  purposes: string[];
  /** At most this many recordings of one sentence (speech). */
  maxPerSentence: number;
}

export interface SelectedRecord {
  id: string;
  contributorId: string;
  text: string;
  language: string;
  audioKey: string | null;
  durationSeconds: number | null;
  ageBand: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
}

/**
 * The records a release may contain, held in a temporary table so that the build streams
 * through them page by page and compares them with the previous release in SQL: memory stays
 * flat however large the dataset. A sample qualifies when it is validated, not held by a
 * report, and its consent record is active and covers every release purpose and the license.
 * As the shards are written, the table records which records they hold (`written`), and then
 * narrows to them (`keepWritten`), so what the release is compared and counted on is what it
 * contains, not what was chosen before a withdrawal took some of it away. No list of the
 * records is held in memory at any step: a large node's release has millions.
 */
export class ReleaseSelection {
  private readonly table = `selection_${newId().toLowerCase()}`;

  constructor(
    private readonly db: Db,
    criteria: SelectionCriteria | { remainderOf: string },
  ) {
    db.exec(
      `CREATE TEMP TABLE ${this.table} (sample_id TEXT PRIMARY KEY, contributor_id TEXT NOT NULL, split TEXT, shard TEXT,
         shard_number INTEGER, written INTEGER NOT NULL DEFAULT 0);
       -- Splits are assigned a speaker at a time: without it, each speaker's UPDATE read every
       -- record (50,000 speakers × 1,000,000 records on a large node).
       CREATE INDEX ${this.table}_speaker ON ${this.table} (contributor_id);`,
    );
    if ('remainderOf' in criteria) {
      this.fillWithRemainder(criteria.remainderOf);
      return;
    }
    db.prepare(
      `INSERT INTO ${this.table} (sample_id, contributor_id)
       SELECT id, contributor_id FROM (
         SELECT s.id, s.contributor_id,
                row_number() OVER (PARTITION BY coalesce(s.prompt_id, s.id) ORDER BY s.id) AS nth
         FROM samples s JOIN consent_records cr ON cr.id = s.consent_record_id
         WHERE s.status = 'validated' AND s.modality = @modality
           AND (s.language = @language OR s.language LIKE @languagePrefix)
           AND cr.withdrawn_at IS NULL AND cr.license = @license
           AND NOT EXISTS (SELECT 1 FROM json_each(@purposes) wanted
                           WHERE wanted.value NOT IN (SELECT value FROM json_each(cr.purposes)))
           AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.sample_id = s.id AND r.status = 'open')
       ) WHERE nth <= @maxPerSentence`,
    ).run({
      modality: criteria.modality,
      language: criteria.language,
      languagePrefix: `${criteria.language}-%`,
      license: criteria.license,
      purposes: JSON.stringify(criteria.purposes),
      maxPerSentence: criteria.maxPerSentence,
    });
  }

  /**
   * What a redaction keeps of a published release: its records that are still validated and have
   * not left it (ReleaseStore removals), each in the split and shard it was published in.
   */
  static remainderOf(db: Db, releaseId: string): ReleaseSelection {
    return new ReleaseSelection(db, { remainderOf: releaseId });
  }

  private fillWithRemainder(releaseId: string): void {
    this.db
      .prepare(
        `INSERT INTO ${this.table} (sample_id, contributor_id, split, shard)
         SELECT rr.sample_id, s.contributor_id, sh.split, rr.shard
         FROM release_records rr
         JOIN samples s ON s.id = rr.sample_id
         JOIN shards sh ON sh.release_id = rr.release_id AND sh.name = rr.shard
         WHERE rr.release_id = ? AND s.status = 'validated'
           AND NOT EXISTS (SELECT 1 FROM release_removals rm WHERE rm.release_id = rr.release_id AND rm.sample_id = rr.sample_id)`,
      )
      .run(releaseId);
  }

  count(): number {
    return this.db.prepare(`SELECT count(*) FROM ${this.table}`).pluck().get() as number;
  }

  speakers(): Array<{ speaker: string; records: number }> {
    return this.db
      .prepare<[], { speaker: string; records: number }>(
        `SELECT contributor_id AS speaker, count(*) AS records FROM ${this.table} GROUP BY contributor_id`,
      )
      .all();
  }

  assign(splits: Map<string, string>): void {
    const update = this.db.prepare(`UPDATE ${this.table} SET split = ? WHERE contributor_id = ?`);
    this.db.transaction(() => {
      for (const [speaker, split] of splits) update.run(split, speaker);
    })();
  }

  /**
   * Where the shard writer reports what it has written (`writeShards`' `onRecord`): each record
   * is marked in the table with its shard's number in the split, a thousand to a transaction.
   * `flush` before reading the marks.
   */
  written(): WrittenRecords {
    const mark = this.db.prepare(`UPDATE ${this.table} SET written = 1, shard_number = ? WHERE sample_id = ?`);
    const pending: Array<[string, number]> = [];
    const flush = this.db.transaction(() => {
      for (const [sampleId, shard] of pending) mark.run(shard, sampleId);
      pending.length = 0;
    });
    return {
      add(sampleId, shard) {
        pending.push([sampleId, shard]);
        if (pending.length >= WRITTEN_BATCH) flush();
      },
      flush: () => flush(),
    };
  }

  /** Names a split's shards once the writer has closed them (their names carry the count). */
  nameShards(split: string, names: readonly string[]): void {
    this.db
      .prepare(`UPDATE ${this.table} SET shard = json_extract(?, '$[' || shard_number || ']') WHERE split = ? AND written = 1`)
      .run(JSON.stringify(names), split);
  }

  /**
   * Narrows the selection to the records that were written (a record withdrawn while the build
   * ran is left out of the shards), with every record of `wholeShards` (carried over unchanged):
   * speakers, demographics and `compare` then describe the release as published.
   */
  keepWritten(wholeShards: readonly string[] = []): void {
    const markShard = this.db.prepare(`UPDATE ${this.table} SET written = 1 WHERE shard = ?`);
    this.db.transaction(() => {
      for (const shard of wholeShards) markShard.run(shard);
      this.db.prepare(`DELETE FROM ${this.table} WHERE written = 0`).run();
    })();
  }

  /** Each record and the shard it is in, in id order, a page at a time. */
  *recordShards(pageSize = 1000): Generator<[string, string]> {
    // A page is read whole, so the caller may write to the database between pages.
    const page = this.db.prepare(`SELECT sample_id, shard FROM ${this.table} WHERE sample_id > ? ORDER BY sample_id LIMIT ?`).raw();
    let after = '';
    for (;;) {
      const rows = page.all(after, pageSize) as Array<[string, string]>;
      if (rows.length === 0) return;
      yield* rows;
      after = rows[rows.length - 1]![0];
    }
  }

  /** Per split: records, distinct speakers and seconds of audio. */
  splitCounts(): Array<{ split: string; records: number; speakers: number; seconds: number }> {
    return this.db
      .prepare<[], { split: string; records: number; speakers: number; seconds: number }>(
        `SELECT t.split, count(*) AS records, count(DISTINCT t.contributor_id) AS speakers,
                total(json_extract(s.audio_facts, '$.durationSeconds')) AS seconds
         FROM ${this.table} t JOIN samples s ON s.id = t.sample_id GROUP BY t.split`,
      )
      .all();
  }

  /** The self-declared demographics of the speakers of each shard (a remainder's), one row per speaker and shard. */
  shardSpeakers(): Array<{ shard: string; age_band: string | null; gender: string | null; variant: string | null; accent: string | null }> {
    return this.db
      .prepare<[], { shard: string; age_band: string | null; gender: string | null; variant: string | null; accent: string | null }>(
        `SELECT DISTINCT t.shard, c.age_band, c.gender, c.variant, c.accent
         FROM ${this.table} t JOIN contributors c ON c.id = t.contributor_id`,
      )
      .all();
  }

  /** Whether a selected sample has been withdrawn since the selection (its content is erased). */
  withdrawn(sampleId: string): boolean {
    return this.db.prepare("SELECT 1 FROM samples WHERE id = ? AND status = 'withdrawn'").pluck().get(sampleId) === 1;
  }

  /** Against a previous release: records it had that this selection drops, and new ones. */
  compare(previousReleaseId: string): { removed: number; added: number } {
    const removed = this.db
      .prepare(
        `SELECT count(*) FROM release_records rr WHERE rr.release_id = ?
         AND NOT EXISTS (SELECT 1 FROM ${this.table} t WHERE t.sample_id = rr.sample_id)`,
      )
      .pluck()
      .get(previousReleaseId) as number;
    const added = this.db
      .prepare(
        `SELECT count(*) FROM ${this.table} t WHERE NOT EXISTS
         (SELECT 1 FROM release_records rr WHERE rr.release_id = ? AND rr.sample_id = t.sample_id)`,
      )
      .pluck()
      .get(previousReleaseId) as number;
    return { removed, added };
  }

  /**
   * One split's records in id order, a page at a time. A record withdrawn since the selection
   * (a build takes minutes) is skipped: its content is already erased; so is one a moderator
   * rejected meanwhile, which would otherwise be published only to answer 410. One withdrawn after its
   * page was read is left out by the builder if its clip is already gone (`withdrawn`), else
   * caught when the release is published (`ReleaseStore.publish`).
   */
  records(split: string, pageSize = 256): AsyncGenerator<SelectedRecord> {
    return this.pages('split', split, pageSize);
  }

  /**
   * One shard's records (a remainder's), in the order the shard holds them: id order, as the
   * build wrote them. Withdrawn or rejected since the selection: skipped, as in `records`.
   */
  shardRecords(shard: string, pageSize = 256): AsyncGenerator<SelectedRecord> {
    return this.pages('shard', shard, pageSize);
  }

  private async *pages(column: 'split' | 'shard', value: string, pageSize: number): AsyncGenerator<SelectedRecord> {
    const page = this.db.prepare<[string, string, number], SelectedRecord>(
      `SELECT s.id, s.contributor_id AS contributorId, s.text, s.language, s.audio_normalized AS audioKey,
              json_extract(s.audio_facts, '$.durationSeconds') AS durationSeconds,
              c.age_band AS ageBand, c.gender, c.variant, c.accent
       FROM ${this.table} t JOIN samples s ON s.id = t.sample_id JOIN contributors c ON c.id = s.contributor_id
       WHERE t.${column} = ? AND t.sample_id > ? AND s.status NOT IN ('withdrawn', 'rejected') ORDER BY t.sample_id LIMIT ?`,
    );
    let after = '';
    for (;;) {
      const rows = page.all(value, after, pageSize);
      if (rows.length === 0) return;
      for (const row of rows) yield row;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Demographic cells (field, value) with their number of distinct speakers, all of them. */
  demographics(): Array<{ field: 'age_band' | 'gender' | 'variant' | 'accent'; value: string; speakers: number }> {
    const fields = ['age_band', 'gender', 'variant', 'accent'] as const;
    return fields.flatMap((field) =>
      this.db
        .prepare<[], { value: string; speakers: number }>(
          `SELECT c.${field} AS value, count(DISTINCT c.id) AS speakers
           FROM ${this.table} t JOIN contributors c ON c.id = t.contributor_id
           WHERE c.${field} IS NOT NULL GROUP BY c.${field}`,
        )
        .all()
        .map((row) => ({ field, ...row })),
    );
  }

  dispose(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
  }
}
