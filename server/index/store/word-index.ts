import { lexemes } from './words.js';

/**
 * Full-text search in memory, for the search catalogue of both stores: each dataset's words
 * (the lexemes of its name and description, words.ts) and, for each word, the slots holding it.
 * A query word matches every word it begins, as FTS5's `"word"*` and PostgreSQL's `'word':*` did.
 *
 * Asking the database instead cost more than the rest of a search together: a common word
 * matches a third of the catalogue, and every id crossed from the database to JavaScript (p95
 * 12 ms on SQLite and 48 ms on PostgreSQL at 100,000 datasets). Here a word's slots are one
 * array. Memory: 4 bytes per distinct word of a dataset, twice (its posting, and the dataset's
 * list of words to take back when it changes), plus each distinct word once (about 60 bytes;
 * a word no dataset holds any more keeps its place, with no slots).
 */
export class WordIndex {
  /** Distinct words sorted (UTF-16 order, so a prefix's words are one run), but for `#unsorted`. */
  #sorted: string[] = [];
  /** Words added since the last search: merged into `#sorted` when a search needs it. */
  #unsorted: string[] = [];
  #idOf = new Map<string, number>();
  /** Word id → the slots holding it, in no order (small arrays of small integers: 4 bytes a slot). */
  #postings: number[][] = [];
  /** Slot → the ids of its words. */
  #wordsOf: number[][] = [];
  /** Per search: how many query terms each slot has matched so far. */
  #progress = new Uint16Array(0);

  /** A slot's words, replacing what it held before. */
  set(slot: number, text: string): void {
    const old = this.#wordsOf[slot];
    const ids = lexemes(text).map((word) => this.#wordId(word));
    // Most changes (a new version, a retraction) keep the text: its postings stay as they are.
    if (old && old.length === ids.length && old.every((id, i) => id === ids[i])) return;
    if (old) for (const id of old) remove(this.#postings[id]!, slot);
    for (const id of ids) this.#postings[id]!.push(slot);
    this.#wordsOf[slot] = ids;
  }

  /**
   * Marks with `stamp` in `mark` the slots that, for every term of the query's words, hold a word
   * the term begins. A query word with no letter or digit matches nothing.
   */
  match(queryWords: readonly string[], mark: Uint32Array, stamp: number): void {
    const terms: string[] = [];
    for (const word of queryWords) {
      const parts = lexemes(word);
      if (parts.length === 0) return;
      terms.push(...parts);
    }
    if (terms.length === 0 || terms.length > 0xfffe) return;
    if (this.#progress.length < mark.length) this.#progress = new Uint16Array(mark.length);
    const progress = this.#progress;
    const touched = terms.map((term) => this.#prefixPostings(term));
    // A slot counts for term t only once it has matched terms 0…t−1, and once (a slot may hold
    // several words a prefix begins).
    touched.forEach((postings, t) => {
      for (const slots of postings) for (const slot of slots) if (progress[slot] === t) progress[slot] = t + 1;
    });
    const all = terms.length;
    for (const slots of touched[all - 1]!) for (const slot of slots) if (progress[slot] === all) mark[slot] = stamp;
    // Back to zero for the next search, touching only what this one touched.
    for (const postings of touched) for (const slots of postings) for (const slot of slots) progress[slot] = 0;
  }

  /** Words and postings, in bytes, estimated as V8 keeps them (pointer compression, one-byte strings). */
  bytes(): number {
    let bytes = this.#progress.byteLength;
    for (const word of this.#idOf.keys()) bytes += 12 + Math.ceil(word.length / 4) * 4 + 4 + 16;
    for (const slots of this.#postings) bytes += 16 + slots.length * 4;
    for (const ids of this.#wordsOf) if (ids) bytes += 16 + ids.length * 4;
    return bytes;
  }

  #prefixPostings(term: string): number[][] {
    if (this.#unsorted.length > 0) this.#merge();
    const found: number[][] = [];
    for (let i = lowerBound(this.#sorted, term); i < this.#sorted.length && this.#sorted[i]!.startsWith(term); i += 1) {
      found.push(this.#postings[this.#idOf.get(this.#sorted[i]!)!]!);
    }
    return found;
  }

  /** Sorts the words added since the last search into the rest: O(n + k log k), not k inserts of O(n). */
  #merge(): void {
    const added = this.#unsorted.sort((a, b) => (a < b ? -1 : 1));
    const merged: string[] = new Array(this.#sorted.length + added.length);
    let i = 0;
    let j = 0;
    let out = 0;
    while (i < this.#sorted.length && j < added.length) merged[out++] = this.#sorted[i]! < added[j]! ? this.#sorted[i++]! : added[j++]!;
    while (i < this.#sorted.length) merged[out++] = this.#sorted[i++]!;
    while (j < added.length) merged[out++] = added[j++]!;
    this.#sorted = merged;
    this.#unsorted = [];
  }

  #wordId(word: string): number {
    let id = this.#idOf.get(word);
    if (id === undefined) {
      id = this.#postings.length;
      this.#idOf.set(word, id);
      this.#postings.push([]);
      this.#unsorted.push(word);
    }
    return id;
  }
}

function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Takes `slot` out of a word's postings (order does not matter: the last takes its place). */
function remove(slots: number[], slot: number): void {
  const at = slots.indexOf(slot);
  if (at < 0) return;
  slots[at] = slots[slots.length - 1]!;
  slots.pop();
}
