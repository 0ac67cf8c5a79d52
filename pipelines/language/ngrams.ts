import { codePointTable } from './code-point-table.js';

/**
 * The character n-grams a learned language model reads, hashed into a fixed number of buckets
 * (the "hashing trick"): no vocabulary to store, any script, and a model's size is fixed by
 * `buckets × labels` whatever the text. Training (train.ts) and scoring (learned-model.ts) both
 * go through `forEachNgram`, so the two can never read text differently.
 */
export interface NgramShape {
  /** n-gram lengths, in code points: [1, 2, 3, 4]. */
  orders: readonly number[];
  /** A power of two. */
  buckets: number;
  /**
   * Whole words too, each as one feature, however long: close varieties (Bosnian and Croatian,
   * Nynorsk and Bokmål) differ in whole words more than in any few letters.
   */
  words?: boolean;
}

// Seeds whole words apart from every n-gram order (orders are 1–8).
const WORD_SEED = 0xff;

// Letters and combining marks are kept (lower-cased); digits, punctuation, symbols and spaces
// all become one word boundary. 1 = keep, 0 = boundary.
const isWordChar = codePointTable((char) => (/[\p{L}\p{M}]/u.test(char) ? 1 : 0));
const SPACE = 0x20;

/**
 * The text's code points as the model reads them: lower-cased, NFC, word characters kept,
 * every run of other characters one space, one space before and after. At most `limit` code points.
 */
export function modelCodePoints(text: string, limit: number): Uint32Array {
  const normalised = text.normalize('NFC').toLowerCase();
  const out = new Uint32Array(Math.min(normalised.length, limit) + 2);
  let length = 0;
  out[length++] = SPACE;
  for (let i = 0; i < normalised.length && length < out.length - 1; i++) {
    const codePoint = normalised.codePointAt(i)!;
    if (codePoint > 0xffff) i++;
    if (isWordChar(codePoint) === 1) out[length++] = codePoint;
    else if (out[length - 1] !== SPACE) out[length++] = SPACE;
  }
  if (out[length - 1] !== SPACE) out[length++] = SPACE;
  return out.subarray(0, length);
}

/**
 * How much each n-gram occurrence weighs in a text of `count` n-grams: the mean, as fastText
 * pools. (1/√count, which lets a longer text give a surer answer, fitted the training text
 * within one pass and did worse on held-out text: 93.3% of sentences against 94.4%.)
 */
export function ngramWeight(count: number): number {
  return count > 0 ? 1 / count : 0;
}

/**
 * Calls `visit(bucket)` once per n-gram occurrence (so a repeated n-gram counts again) and
 * returns how many there were. FNV-1a over the code points, seeded by the order so that "a"
 * and "a " land apart; a lone space is not an n-gram.
 */
export function forEachNgram(codePoints: Uint32Array, shape: NgramShape, visit: (bucket: number) => void): number {
  const mask = shape.buckets - 1;
  let count = 0;
  for (const order of shape.orders) {
    for (let start = 0; start + order <= codePoints.length; start++) {
      if (order === 1 && codePoints[start] === SPACE) continue;
      let hash = (0x811c9dc5 ^ order) >>> 0;
      for (let k = start; k < start + order; k++) hash = Math.imul(hash ^ codePoints[k]!, 0x01000193);
      // Fold the high bits in: the low bits of FNV-1a alone spread short keys poorly.
      visit(((hash ^ (hash >>> 15)) >>> 0) & mask);
      count++;
    }
  }
  if (shape.words) {
    // Every run between two spaces (modelCodePoints starts and ends with one).
    let hash = (0x811c9dc5 ^ WORD_SEED) >>> 0;
    for (let k = 1; k < codePoints.length; k++) {
      if (codePoints[k] !== SPACE) {
        hash = Math.imul(hash ^ codePoints[k]!, 0x01000193);
        continue;
      }
      if (codePoints[k - 1] !== SPACE) {
        visit(((hash ^ (hash >>> 15)) >>> 0) & mask);
        count++;
      }
      hash = (0x811c9dc5 ^ WORD_SEED) >>> 0;
    }
  }
  return count;
}
