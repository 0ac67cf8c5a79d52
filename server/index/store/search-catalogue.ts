import type { AccessClass, DatasetQuery, SearchPosition, SearchTotals } from './index-store.js';
import { WordIndex } from './word-index.js';

/**
 * What search filters, orders and totals on, for one dataset: its row as a store holds it.
 * `language` and `license` come lower-cased the way the store compares them (SQLite's
 * `lower()` folds ASCII only); `terms` is ` <action> … purpose:<id> … ` (see `searchTerms`).
 */
export interface CatalogueRow {
  /** The store's key for the row, which the full-text index also uses. */
  id: number;
  nodeDid: string;
  language: string | null;
  license: string;
  terms: string;
  modality: 'text' | 'speech';
  accessClass: AccessClass;
  retracted: boolean;
  records: number;
  hours: number | null;
  speakers: number | null;
  expires: string;
  published: string;
  /** sha256 hex of the current manifest: the order's second key. */
  manifest: string;
  /** Name and description, which free-text search reads (word-index.ts). */
  text: string;
}

export interface CatalogueAnswer {
  /** Row ids of the page, in search order. */
  ids: number[];
  totals: SearchTotals;
}

const SPEECH = 1;
const ACCESS_SHIFT = 1;
const RETRACTED = 8;
const ACCESS_CODES: Record<AccessClass, number> = { open: 0, gated: 1, 'on-request': 2 };
const HASH_BYTES = 32;

/**
 * The searchable columns of every dataset in compact arrays, so that one search is one pass
 * over memory: the page and the whole match's totals together, where SQLite had to aggregate
 * every matching row after finding the page (197 ms p95 at 100,000 datasets). Storage-neutral:
 * a store feeds it the rows changed since it last looked (`upsert`, then `settle`) and the
 * nodes' suspension, and answers a search with the row ids of the page; the page's full rows
 * stay in the database. Free text is matched here too (word-index.ts).
 *
 * Memory (`bytes()`, in test/bench/results.json as `index.search.catalogue`): per dataset 4-byte
 * ids, node, language, licence and terms indices, a flags byte, four float64s (records, hours,
 * speakers, expiry), the manifest's 32 bytes, the `published` string (~40 bytes on the V8 heap),
 * its place in the order and in the id map, a word mark: about 145 bytes, and 174 at 100,000
 * datasets counting the arrays' room to grow (17.4 MB; they double, so at most twice the need).
 * Languages, licences, terms and nodes are interned, so they cost per distinct value. The word
 * index comes on top (`index.search.catalogue` counts both).
 */
export class SearchCatalogue {
  #size = 0;
  #capacity = 0;
  #id = new Int32Array(0);
  #node = new Int32Array(0);
  #language = new Int32Array(0);
  #license = new Int32Array(0);
  #terms = new Int32Array(0);
  #flags = new Uint8Array(0);
  #records = new Float64Array(0);
  #hours = new Float64Array(0);
  #speakers = new Float64Array(0);
  #expires = new Float64Array(0);
  #manifest = Buffer.alloc(0);
  #published: string[] = [];
  /** Slots in search order: newest `published` first, then manifest id. */
  #order = new Int32Array(0);
  /** Row id → slot, -1 for none. Store ids are dense (SQLite rowids), so an array is the compact map. */
  #slotOfId = new Int32Array(0);
  /** Slots whose place in the order changed since the last `settle`. */
  #moved: number[] = [];
  #isMoved = new Uint8Array(0);
  /** Word matches: slot marked with the current search's stamp. */
  #mark = new Uint32Array(0);
  #stamp = 0;
  readonly #words = new WordIndex();

  readonly #languages = new Interned<string | null>();
  readonly #licenses = new Interned<string>();
  readonly #termSets = new Interned<string>();
  readonly #nodes = new Interned<string>();
  #suspended = new Uint8Array(0);
  #nodeSeen = new Uint32Array(0);

  get size(): number {
    return this.#size;
  }

  /** A node's suspension, which takes all its datasets out of search. */
  setNode(did: string, suspended: boolean): void {
    const index = this.#nodeIndex(did);
    this.#suspended[index] = suspended ? 1 : 0;
  }

  /** Takes a dataset's row, new or changed; the order follows at `settle`. */
  upsert(row: CatalogueRow): void {
    let slot = row.id < this.#slotOfId.length ? this.#slotOfId[row.id]! : -1;
    let moved = true;
    if (slot < 0) {
      if (this.#size === this.#capacity) this.#grow();
      slot = this.#size;
      this.#size += 1;
      this.#mapId(row.id, slot);
      this.#id[slot] = row.id;
    } else {
      moved = this.#published[slot] !== row.published || !this.#manifestIs(slot, row.manifest);
    }
    this.#node[slot] = this.#nodeIndex(row.nodeDid);
    this.#language[slot] = this.#languages.of(row.language);
    this.#license[slot] = this.#licenses.of(row.license);
    this.#terms[slot] = this.#termSets.of(row.terms);
    this.#flags[slot] = (row.modality === 'speech' ? SPEECH : 0) | (ACCESS_CODES[row.accessClass] << ACCESS_SHIFT) | (row.retracted ? RETRACTED : 0);
    this.#records[slot] = row.records;
    this.#hours[slot] = row.hours ?? Number.NaN;
    this.#speakers[slot] = row.speakers ?? Number.NaN;
    // Expiry is a time: `expires` may carry an offset, which a comparison of strings misreads.
    this.#expires[slot] = Date.parse(row.expires);
    this.#published[slot] = row.published;
    if (!/^[0-9a-f]{64}$/.test(row.manifest)) throw new Error(`A dataset row names manifest ${row.manifest}, not a sha256.`);
    this.#manifest.write(row.manifest, slot * HASH_BYTES, 'hex');
    this.#words.set(slot, row.text);
    if (moved && !this.#isMoved[slot]) {
      this.#isMoved[slot] = 1;
      this.#moved.push(slot);
    }
  }

  /**
   * Puts the slots taken since the last call in their place: the rest of the order stays sorted,
   * so sorting the moved ones and merging is O(n + k log k), a fraction of a millisecond at
   * 100,000 datasets for a few changes, and linear for a first load that arrives in order.
   */
  settle(): void {
    if (this.#moved.length === 0) return;
    const moved = Int32Array.from(this.#moved).sort((a, b) => this.#compare(a, b));
    const order = new Int32Array(this.#size);
    let out = 0;
    let m = 0;
    for (const slot of this.#order) {
      if (this.#isMoved[slot]) continue;
      while (m < moved.length && this.#compare(moved[m]!, slot) < 0) order[out++] = moved[m++]!;
      order[out++] = slot;
    }
    while (m < moved.length) order[out++] = moved[m++]!;
    for (const slot of this.#moved) this.#isMoved[slot] = 0;
    this.#moved = [];
    this.#order = order;
  }

  /**
   * One pass in search order: rows that match every filter are counted into the totals, and the
   * first `limit` after `query.after` make the page. `query.at` is compared as a time.
   */
  search(query: DatasetQuery): CatalogueAnswer {
    const wantedNode = query.node === null ? -1 : (this.#nodes.find(query.node) ?? -2);
    if (wantedNode === -2) return { ids: [], totals: { datasets: 0, records: 0, hours: 0, speakers: 0, nodes: 0 } };

    const stamp = this.#nextStamp();
    const words = query.words.length > 0;
    if (words) this.#words.match(query.words, this.#mark, stamp);
    const languageOk = query.languages.length > 0 ? this.#languages.table((tag) => tag !== null && query.languages.some((range) => inRange(tag, range))) : null;
    const licenseOk = query.licenses.length > 0 ? this.#licenses.table((license) => query.licenses.includes(license)) : null;
    const wantedTerms = [...query.actions, ...query.purposes.map((p) => `purpose:${p}`)].map((term) => ` ${term} `);
    const termsOk = wantedTerms.length > 0 ? this.#termSets.table((terms) => wantedTerms.every((term) => terms.includes(term))) : null;
    const modality = query.modality === null ? -1 : query.modality === 'speech' ? SPEECH : 0;
    const accessMask = query.access.reduce((mask, access) => mask | (1 << ACCESS_CODES[access]), 0);
    const minHours = query.minHours ?? Number.NEGATIVE_INFINITY;
    const minRecords = query.minRecords ?? Number.NEGATIVE_INFINITY;
    const checkHours = query.minHours !== null;
    const atMs = Date.parse(query.at);
    const start = query.after ? this.#after(query.after) : 0;

    return scan(
      {
        order: this.#order,
        flags: this.#flags,
        node: this.#node,
        suspended: this.#suspended,
        nodeSeen: this.#nodeSeen,
        mark: this.#mark,
        expires: this.#expires,
        language: this.#language,
        license: this.#license,
        terms: this.#terms,
        hours: this.#hours,
        records: this.#records,
        speakers: this.#speakers,
        id: this.#id,
      },
      { stamp, atMs, wantedNode, modality, accessMask, languageOk, licenseOk, termsOk, checkHours, minHours, minRecords, words, start, limit: query.limit },
    );
  }

  /** The catalogue's own arrays and word index, in bytes (strings estimated as V8 keeps them). */
  bytes(): number {
    const typed = [this.#id, this.#node, this.#language, this.#license, this.#terms, this.#flags, this.#records, this.#hours, this.#speakers, this.#expires, this.#manifest, this.#order, this.#slotOfId, this.#isMoved, this.#mark];
    let bytes = typed.reduce((sum, array) => sum + array.byteLength, 0);
    bytes += this.#published.length * 8;
    for (let slot = 0; slot < this.#size; slot += 1) bytes += 16 + Math.ceil(this.#published[slot]!.length / 8) * 8;
    return bytes + this.#suspended.byteLength + this.#nodeSeen.byteLength + this.#words.bytes();
  }

  /**
   * The first position in the order after `position` (the page after a cursor): later
   * `published`, or the same and a manifest id above it, as text (the cursor's is not trusted to be hex).
   */
  #after(position: SearchPosition): number {
    let low = 0;
    let high = this.#order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const slot = this.#order[middle]!;
      const published = this.#published[slot]!;
      const before = published > position.published || (published === position.published && this.#manifestOf(slot).toString('hex') <= position.manifest);
      if (before) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Search order: `published` descending, then manifest id ascending (lower-case hex sorts as its bytes). */
  #compare(a: number, b: number): number {
    const pa = this.#published[a]!;
    const pb = this.#published[b]!;
    if (pa !== pb) return pa > pb ? -1 : 1;
    return Buffer.compare(this.#manifestOf(a), this.#manifestOf(b));
  }

  #manifestOf(slot: number): Buffer {
    return this.#manifest.subarray(slot * HASH_BYTES, (slot + 1) * HASH_BYTES);
  }

  #manifestIs(slot: number, hex: string): boolean {
    return this.#manifestOf(slot).toString('hex') === hex;
  }

  #nextStamp(): number {
    this.#stamp = this.#stamp === 0xffffffff ? 1 : this.#stamp + 1;
    if (this.#stamp === 1) {
      this.#mark.fill(0);
      this.#nodeSeen.fill(0);
    }
    return this.#stamp;
  }

  #nodeIndex(did: string): number {
    const index = this.#nodes.of(did);
    if (index >= this.#suspended.length) {
      const length = Math.max(16, this.#suspended.length * 2, index + 1);
      this.#suspended = grown(this.#suspended, length);
      this.#nodeSeen = grown(this.#nodeSeen, length);
    }
    return index;
  }

  #mapId(id: number, slot: number): void {
    if (id >= this.#slotOfId.length) {
      const next = new Int32Array(Math.max(1024, this.#slotOfId.length * 2, id + 1)).fill(-1);
      next.set(this.#slotOfId);
      this.#slotOfId = next;
    }
    this.#slotOfId[id] = slot;
  }

  #grow(): void {
    const capacity = Math.max(1024, this.#capacity * 2);
    this.#id = grown(this.#id, capacity);
    this.#node = grown(this.#node, capacity);
    this.#language = grown(this.#language, capacity);
    this.#license = grown(this.#license, capacity);
    this.#terms = grown(this.#terms, capacity);
    this.#flags = grown(this.#flags, capacity);
    this.#records = grown(this.#records, capacity);
    this.#hours = grown(this.#hours, capacity);
    this.#speakers = grown(this.#speakers, capacity);
    this.#expires = grown(this.#expires, capacity);
    const manifest = Buffer.alloc(capacity * HASH_BYTES);
    this.#manifest.copy(manifest);
    this.#manifest = manifest;
    this.#isMoved = grown(this.#isMoved, capacity);
    this.#mark = grown(this.#mark, capacity);
    this.#capacity = capacity;
  }
}

interface Columns {
  order: Int32Array;
  flags: Uint8Array;
  node: Int32Array;
  suspended: Uint8Array;
  nodeSeen: Uint32Array;
  mark: Uint32Array;
  expires: Float64Array;
  language: Int32Array;
  license: Int32Array;
  terms: Int32Array;
  hours: Float64Array;
  records: Float64Array;
  speakers: Float64Array;
  id: Int32Array;
}

interface ScanFilter {
  stamp: number;
  atMs: number;
  /** -1: any node. */
  wantedNode: number;
  /** -1: any modality. */
  modality: number;
  /** 0: any access class. */
  accessMask: number;
  languageOk: Uint8Array | null;
  licenseOk: Uint8Array | null;
  termsOk: Uint8Array | null;
  checkHours: boolean;
  minHours: number;
  minRecords: number;
  /** Only slots marked with `stamp` (the words matched). */
  words: boolean;
  start: number;
  limit: number;
}

/** The one pass (a plain function over local arrays, which V8 compiles tighter than a method reading fields). */
function scan(columns: Columns, filter: ScanFilter): CatalogueAnswer {
  const { order, flags, node: nodeOf, suspended, nodeSeen, mark, expires, language, license, terms, hours: hoursOf, records: recordsOf, speakers: speakersOf, id: idOf } = columns;
  const { stamp, atMs, wantedNode, modality, accessMask, languageOk, licenseOk, termsOk, checkHours, minHours, minRecords, words, start, limit } = filter;
  const ids: number[] = [];
  let datasets = 0;
  let records = 0;
  let speakerSum = 0;
  let nodes = 0;
  let hoursSum = 0;
  let hoursError = 0;
    for (let i = 0; i < order.length; i += 1) {
      const slot = order[i]!;
      const f = flags[slot]!;
      if (f & RETRACTED || !(expires[slot]! > atMs)) continue;
      const node = nodeOf[slot]!;
      if (suspended[node] || (wantedNode >= 0 && node !== wantedNode)) continue;
      if (modality >= 0 && (f & SPEECH) !== modality) continue;
      if (accessMask !== 0 && (accessMask & (1 << ((f >> ACCESS_SHIFT) & 3))) === 0) continue;
      if (languageOk && !languageOk[language[slot]!]) continue;
      if (licenseOk && !licenseOk[license[slot]!]) continue;
      if (termsOk && !termsOk[terms[slot]!]) continue;
      if (checkHours && !(hoursOf[slot]! >= minHours)) continue;
      if (!(recordsOf[slot]! >= minRecords)) continue;
      if (words && mark[slot] !== stamp) continue;

      datasets += 1;
      records += recordsOf[slot]!;
      const hours = hoursOf[slot]!;
      if (hours === hours) {
        // Kahan-Babuska-Neumaier, as SQLite's sum() adds REALs: the total does not drift with order.
        const t = hoursSum + hours;
        hoursError += Math.abs(hoursSum) > Math.abs(hours) ? hoursSum - t + hours : hours - t + hoursSum;
        hoursSum = t;
      }
      const speakers = speakersOf[slot]!;
      if (speakers === speakers) speakerSum += speakers;
      if (nodeSeen[node] !== stamp) {
        nodeSeen[node] = stamp;
        nodes += 1;
      }
      if (i >= start && ids.length < limit) ids.push(idOf[slot]!);
    }
    return { ids, totals: { datasets, records, hours: hoursSum + hoursError, speakers: speakerSum, nodes } };
  }

/** Distinct values, each with a small index; a query turns its filter into one flag per value. */
class Interned<T> {
  readonly #values: T[] = [];
  readonly #index = new Map<T, number>();

  of(value: T): number {
    let index = this.#index.get(value);
    if (index === undefined) {
      index = this.#values.length;
      this.#values.push(value);
      this.#index.set(value, index);
    }
    return index;
  }

  find(value: T): number | undefined {
    return this.#index.get(value);
  }

  table(matches: (value: T) => boolean): Uint8Array {
    return Uint8Array.from(this.#values, (value) => (matches(value) ? 1 : 0));
  }
}

/**
 * RFC 4647 basic filtering, as the store's SQL had it: the tag is the range, or lies between
 * `<range>-` and `<range>.` ('.' follows '-'), compared as UTF-8 bytes (SQLite's BINARY).
 */
function inRange(tag: string, range: string): boolean {
  if (tag === range) return true;
  const bytes = Buffer.from(tag);
  return Buffer.compare(bytes, Buffer.from(`${range}-`)) >= 0 && Buffer.compare(bytes, Buffer.from(`${range}.`)) < 0;
}

function grown<A extends Int32Array | Uint32Array | Uint8Array | Float64Array>(array: A, length: number): A {
  const next = new (array.constructor as new (length: number) => A)(length);
  next.set(array);
  return next;
}
