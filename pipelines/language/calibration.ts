/**
 * Turns franc's lead (the margin in `LanguageIdResult.score`) into a confidence that means what
 * it says: of the answers given with confidence 0.9, about 90% are right. The map is an isotonic
 * (monotone, piecewise linear) curve per text length, fitted on the calibration split of the
 * held-out set (`npx tsx test/bench/langid-calibrate.ts`) and stored
 * as data in calibration-data.ts.
 */
export interface CalibrationCurve {
  /** Increasing scores … */
  scores: number[];
  /** … and the share of right answers at each, never decreasing. */
  accuracy: number[];
}

/** Texts shorter than this many code units use the short-text curve. */
export const SHORT_TEXT_CHARS = 30;

/** The curve at `score`: linear between fitted points, flat beyond the ends. */
export function applyCurve(curve: CalibrationCurve, score: number): number {
  const { scores, accuracy } = curve;
  const n = scores.length;
  if (n === 0) return score;
  if (score <= scores[0]!) return accuracy[0]!;
  if (score >= scores[n - 1]!) return accuracy[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (scores[mid]! <= score) lo = mid;
    else hi = mid;
  }
  const span = scores[hi]! - scores[lo]!;
  const t = span > 0 ? (score - scores[lo]!) / span : 0;
  return accuracy[lo]! + t * (accuracy[hi]! - accuracy[lo]!);
}

/**
 * Pool-adjacent-violators over (score, right?) pairs: the monotone step function closest to the
 * outcomes in squared error, summarised as one point per block (mean score, share right).
 * Blocks smaller than `minBlock` are merged into a neighbour so that no point rests on a handful
 * of texts.
 */
export function fitIsotonic(points: ReadonlyArray<{ score: number; correct: boolean }>, minBlock = 50): CalibrationCurve {
  type Block = { n: number; score: number; right: number };
  const absorb = (into: Block, block: Block) => {
    into.n += block.n;
    into.score += block.score;
    into.right += block.right;
  };
  const sorted = [...points].sort((a, b) => a.score - b.score);
  const blocks: Block[] = [];
  for (const point of sorted) {
    blocks.push({ n: 1, score: point.score, right: point.correct ? 1 : 0 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const before = blocks[blocks.length - 2]!;
      if (before.right / before.n < last.right / last.n && before.n >= minBlock) break;
      absorb(before, blocks.pop()!);
    }
  }
  // The last block may still be small: merge it back while it is.
  while (blocks.length > 1 && blocks[blocks.length - 1]!.n < minBlock) absorb(blocks[blocks.length - 2]!, blocks.pop()!);
  const round = (value: number) => Number(value.toFixed(4));
  return { scores: blocks.map((b) => round(b.score / b.n)), accuracy: blocks.map((b) => round(b.right / b.n)) };
}
