import { languageMismatch } from '../../../pipelines/language/identify.js';
import { parseLanguageTag, type LanguageTag } from '../../../pipelines/language/tags.js';
import type { Db } from '../../core/db.js';
import type { NodeLanguages } from '../languages.js';
import type { NodeLanguageId } from './node-language-id.js';

export interface RescoreProgress {
  done: number;
  total: number;
}

/** What a rescore changed, per declared language and in all. */
export interface RescoreSummary {
  model: string;
  scanned: number;
  /** Samples whose detected language changed. */
  relabelled: number;
  /** Samples flagged now that were not, and the other way round. */
  newlyFlagged: number;
  unflagged: number;
  /** Samples whose detected language and flag stay as they were (score and model are still rewritten). */
  unchanged: number;
  byLanguage: Array<{ language: string; scanned: number; flaggedBefore: number; flaggedAfter: number }>;
}

const PAGE = 500;

interface Row {
  id: string;
  language: string;
  text: string;
  lid_code: string | null;
  lid_mismatch: 'language' | 'script' | null;
}

/**
 * Re-runs language ID on a node's stored text samples (withdrawn ones have no text left) and
 * updates their result and flag, recording the model that decided. Pages by id in short
 * transactions, so a serving node's writer waits at most one page.
 */
export function rescoreTextSamples(
  db: Db,
  languages: NodeLanguages,
  langid: NodeLanguageId,
  onProgress: (progress: RescoreProgress) => void = () => {},
): RescoreSummary {
  const total = db
    .prepare("SELECT count(*) FROM samples WHERE modality = 'text' AND text IS NOT NULL AND status != 'withdrawn'")
    .pluck()
    .get() as number;
  const page = db.prepare(
    `SELECT id, language, text, lid_code, lid_mismatch FROM samples
     WHERE modality = 'text' AND text IS NOT NULL AND status != 'withdrawn' AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const update = db.prepare(
    `UPDATE samples SET lid_code = @code, lid_score = @score, lid_script = @script, lid_model = @model, lid_mismatch = @mismatch,
       lid_reason = @reason
     WHERE id = @id AND status != 'withdrawn'`,
  );
  const tags = new Map<string, LanguageTag | null>();
  const tagOf = (language: string): LanguageTag | null => {
    if (!tags.has(language)) tags.set(language, parseLanguageTag(language));
    return tags.get(language)!;
  };
  const summary: RescoreSummary = { model: langid.model, scanned: 0, relabelled: 0, newlyFlagged: 0, unflagged: 0, unchanged: 0, byLanguage: [] };
  const perLanguage = new Map<string, RescoreSummary['byLanguage'][number]>();

  let after = '';
  onProgress({ done: 0, total });
  for (;;) {
    const rows = page.all(after) as Row[];
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const row of rows) {
        const tag = tagOf(row.language);
        const result = langid.identify(row.text);
        const mismatch = tag ? languageMismatch(tag, result) : null;
        const stats = perLanguage.get(row.language) ?? { language: row.language, scanned: 0, flaggedBefore: 0, flaggedAfter: 0 };
        perLanguage.set(row.language, stats);
        stats.scanned++;
        if (row.lid_mismatch) stats.flaggedBefore++;
        if (mismatch) stats.flaggedAfter++;
        summary.scanned++;
        if (row.lid_code !== result.code) summary.relabelled++;
        if (mismatch && !row.lid_mismatch) summary.newlyFlagged++;
        if (!mismatch && row.lid_mismatch) summary.unflagged++;
        if (row.lid_code === result.code && row.lid_mismatch === mismatch) summary.unchanged++;
        update.run({ id: row.id, code: result.code, score: result.score, script: result.script, model: result.model, mismatch, reason: result.reason ?? null });
      }
    }).immediate();
    after = rows[rows.length - 1]!.id;
    onProgress({ done: summary.scanned, total: Math.max(total, summary.scanned) });
  }
  summary.byLanguage = [...perLanguage.values()].sort((a, b) => a.language.localeCompare(b.language));
  return summary;
}
