import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatasetQuery } from '../../server/index/store/index-store.js';
import { SearchCatalogue, type CatalogueRow } from '../../server/index/store/search-catalogue.js';

/**
 * The in-memory catalogue against search as SQL said it before (the WHERE clause, order, cursor
 * and aggregates of migration 002's search, over the same rows): same page, same totals, for
 * random catalogues, changes and queries. Expiry instants are written the one way Tributary
 * writes them, where comparing text and comparing times agree.
 */
const LANGUAGES = [null, 'sw', 'sw-ke', 'sw-tz', 'swa', 'pa', 'pa-arab', 'yo', 'en-gb'];
const LICENSES = ['cc-by-4.0', 'cc0-1.0', 'cc-by-nc-4.0'];
const TERMS = [' ', ' evaluate ', ' train evaluate purpose:train-asr ', ' train evaluate redistribute purpose:train-lm ', ' train commercial-model '];
const NODES = ['did:web:a.example', 'did:web:b.example', 'did:web:c.example'];
// Words with case, diacritics and shared prefixes, for names and descriptions and for queries.
const WORDS = ['Radio', 'rádio', 'river', 'Songs', 'söngs', 'song', 'provincial', 'Province', 'Kiswahili', 'habari', '2024', 'ngoma', 'Ngömà'];
const QUERY_WORDS = ['rad', 'radio', 'RIV', 'song', 'songs', 'prov', 'kis', 'zzz', 'ngo', 'ngoma', '20', 'ó', 'habari-radio'];
const instant = (minutes: number) => new Date(Date.UTC(2027, 0, 1) + minutes * 60_000).toISOString();
const hex = (n: number) => n.toString(16).padStart(64, '0');

const rowArb = fc.record({
  node: fc.integer({ min: 0, max: 2 }),
  language: fc.integer({ min: 0, max: LANGUAGES.length - 1 }),
  license: fc.integer({ min: 0, max: LICENSES.length - 1 }),
  terms: fc.integer({ min: 0, max: TERMS.length - 1 }),
  speech: fc.boolean(),
  access: fc.constantFrom('open', 'gated', 'on-request') as fc.Arbitrary<CatalogueRow['accessClass']>,
  retracted: fc.boolean(),
  records: fc.integer({ min: 0, max: 10_000 }),
  // Quarters add exactly, so the totals' hours must match to the bit whatever order they are added in.
  hours: fc.option(fc.integer({ min: 0, max: 2000 }).map((q) => q / 4), { nil: null }),
  speakers: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
  expires: fc.integer({ min: 0, max: 100 }),
  // Few distinct instants, so ties (ordered by manifest id) are common.
  published: fc.integer({ min: 0, max: 8 }),
  manifest: fc.integer({ min: 1, max: 1_000_000 }),
  name: fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }),
  description: fc.array(fc.constantFrom(...WORDS), { maxLength: 5 }),
});

/** Most queries use one or two filters (each is left out three times in four), so pages are full enough to compare orders. */
const seldom = <T,>(arb: fc.Arbitrary<T>, none: T) => fc.oneof({ weight: 3, arbitrary: fc.constant(none) }, { weight: 1, arbitrary: arb });
const queryArb = fc.record({
  languages: seldom(fc.subarray(['sw', 'sw-ke', 'pa', 'en', 'yo', 's'], { minLength: 1 }), []),
  modality: seldom(fc.constantFrom('text', 'speech'), null) as fc.Arbitrary<DatasetQuery['modality']>,
  licenses: seldom(fc.subarray(LICENSES, { minLength: 1 }), []),
  access: seldom(fc.subarray(['open', 'gated', 'on-request'], { minLength: 1 }), []) as fc.Arbitrary<DatasetQuery['access']>,
  actions: seldom(fc.subarray(['train', 'evaluate', 'redistribute', 'commercial-model'], { minLength: 1 }), []),
  purposes: seldom(fc.subarray(['train-asr', 'train-lm'], { minLength: 1 }), []),
  minHours: seldom(fc.integer({ min: 0, max: 400 }), null),
  minRecords: seldom(fc.integer({ min: 0, max: 10_000 }), null),
  node: seldom(fc.constantFrom(...NODES, 'did:web:nobody.example'), null),
  at: fc.integer({ min: 0, max: 60 }),
  after: seldom(fc.record({ published: fc.integer({ min: 0, max: 8 }), manifest: fc.integer({ min: 1, max: 1_000_000 }) }), null),
  limit: fc.integer({ min: 1, max: 30 }),
  suspended: seldom(fc.subarray(NODES, { minLength: 1 }), []),
  words: seldom(fc.array(fc.constantFrom(...QUERY_WORDS), { minLength: 1, maxLength: 2 }), []),
});

/**
 * A query word for FTS5 as the SQLite store gave it before search moved into memory: a prefix.
 * A word of several (`habari-radio`) asks for each of them, as the PostgreSQL store read it; FTS5
 * alone would have read a phrase.
 */
const ftsWord = (word: string) =>
  word
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((part) => `"${part}"*`)
    .join(' ');

/** Search as migration 002's SQL had it, over a table of the same rows, words through FTS5 as the store asked it. */
function sqlSearch(db: Database.Database, query: DatasetQuery, suspended: readonly string[]) {
  const where = ['retracted = 0', 'expires > @at', `node_did NOT IN (SELECT value FROM json_each(@suspended))`];
  const params: Record<string, unknown> = { at: query.at, suspended: JSON.stringify(suspended) };
  if (query.languages.length > 0) {
    where.push(`(${query.languages.map((r, i) => ((params[`l${i}`] = r), (params[`lo${i}`] = `${r}-`), (params[`hi${i}`] = `${r}.`), `language = @l${i} OR (language >= @lo${i} AND language < @hi${i})`)).join(' OR ')})`);
  }
  if (query.modality) (where.push('modality = @modality'), (params.modality = query.modality));
  if (query.licenses.length > 0) where.push(`license IN (SELECT value FROM json_each(@licenses))`), (params.licenses = JSON.stringify(query.licenses));
  if (query.access.length > 0) where.push(`access_class IN (SELECT value FROM json_each(@access))`), (params.access = JSON.stringify(query.access));
  [...query.actions, ...query.purposes.map((p) => `purpose:${p}`)].forEach((term, i) => (where.push(`instr(terms, @t${i}) > 0`), (params[`t${i}`] = ` ${term} `)));
  if (query.minHours !== null) (where.push('hours >= @minHours'), (params.minHours = query.minHours));
  if (query.minRecords !== null) (where.push('records >= @minRecords'), (params.minRecords = query.minRecords));
  if (query.node) (where.push('node_did = @node'), (params.node = query.node));
  if (query.words.length > 0) {
    where.push('id IN (SELECT rowid FROM rows_text WHERE rows_text MATCH @words)');
    params.words = query.words.map(ftsWord).join(' ');
  }
  const page = [...where];
  if (query.after) {
    page.push('(published < @ap OR (published = @ap AND manifest > @am))');
    params.ap = query.after.published;
    params.am = query.after.manifest;
  }
  const ids = db.prepare(`SELECT id FROM rows WHERE ${page.join(' AND ')} ORDER BY published DESC, manifest LIMIT ${query.limit}`).pluck().all(params) as number[];
  const totals = db
    .prepare(
      `SELECT count(*) AS datasets, coalesce(sum(records), 0) AS records, coalesce(sum(hours), 0) AS hours,
         coalesce(sum(speakers), 0) AS speakers, count(DISTINCT node_did) AS nodes FROM rows WHERE ${where.join(' AND ')}`,
    )
    .get(params);
  return { ids, totals };
}

describe('SearchCatalogue', () => {
  it('answers as the SQL search did: page, order, cursor, totals and words, through changes', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 0, maxLength: 60 }), fc.array(fc.tuple(fc.nat(), rowArb), { maxLength: 20 }), fc.array(queryArb, { minLength: 1, maxLength: 5 }), (rows, changes, queries) => {
        const db = new Database(':memory:');
        db.exec(`CREATE TABLE rows (id INTEGER PRIMARY KEY, node_did TEXT, language TEXT, license TEXT, terms TEXT, modality TEXT, access_class TEXT,
          retracted INTEGER, records INTEGER, hours REAL, speakers INTEGER, expires TEXT, published TEXT, manifest TEXT, name TEXT, description TEXT);
          CREATE VIRTUAL TABLE rows_text USING fts5(name, description, tokenize = 'unicode61 remove_diacritics 2')`);
        const put = db.prepare(`INSERT OR REPLACE INTO rows VALUES (@id, @nodeDid, @language, @license, @terms, @modality, @accessClass,
          @retracted, @records, @hours, @speakers, @expires, @published, @manifest, @name, @description)`);
        const unindex = db.prepare('DELETE FROM rows_text WHERE rowid = ?');
        const index = db.prepare('INSERT INTO rows_text (rowid, name, description) VALUES (?, ?, ?)');
        const catalogue = new SearchCatalogue();
        const toRow = (id: number, r: (typeof rows)[number]): CatalogueRow => ({
          id,
          nodeDid: NODES[r.node]!,
          language: LANGUAGES[r.language]!,
          license: LICENSES[r.license]!,
          terms: TERMS[r.terms]!,
          modality: r.speech ? 'speech' : 'text',
          accessClass: r.access,
          retracted: r.retracted,
          records: r.records,
          hours: r.hours,
          speakers: r.speakers,
          expires: instant(r.expires),
          published: instant(r.published),
          manifest: hex(r.manifest),
          text: `${r.name.join(' ')}\n${r.description.join(', ')}`,
        });
        const apply = (row: CatalogueRow) => {
          catalogue.upsert(row);
          const [name, description] = row.text.split('\n') as [string, string];
          put.run({ ...row, retracted: row.retracted ? 1 : 0, name, description });
          unindex.run(row.id);
          index.run(row.id, name, description);
        };
        rows.forEach((r, i) => apply(toRow(i + 1, r)));
        catalogue.settle();
        // Changes to existing rows (a new manifest, a retraction…) and new ones, then settled once.
        for (const [target, r] of changes) apply(toRow((target % (rows.length + 3)) + 1, r));
        catalogue.settle();
        for (const q of queries) {
          for (const node of NODES) catalogue.setNode(node, q.suspended.includes(node));
          const query: DatasetQuery = {
            ...q,
            at: instant(q.at),
            after: q.after && { published: instant(q.after.published), manifest: hex(q.after.manifest) },
          };
          const expected = sqlSearch(db, query, q.suspended);
          const got = catalogue.search(query);
          expect(got.ids).toEqual(expected.ids);
          expect(got.totals).toEqual(expected.totals);
        }
        db.close();
      }),
      { numRuns: 300 },
    );
  });

  it('matches every query word as the start of a word, whatever its case and diacritics, and follows changed text', () => {
    const catalogue = new SearchCatalogue();
    const texts = ['River songs\nOld radio plays', 'Swahili news\nRádio Mombasa, provincial', 'Ngoma\nsongs of the coast', 'Radio-drama\n', 'Empty\n'];
    const row = (id: number, text: string): CatalogueRow => ({
      id, nodeDid: 'did:web:a.example', language: 'sw', license: 'cc0-1.0', terms: ' ', modality: 'text', accessClass: 'open', retracted: false,
      records: id, hours: null, speakers: null, expires: instant(100), published: instant(id), manifest: hex(id), text,
    });
    texts.forEach((text, i) => catalogue.upsert(row(i + 1, text)));
    catalogue.settle();
    const search = (...words: string[]) =>
      catalogue.search({ languages: [], modality: null, licenses: [], access: [], actions: [], purposes: [], minHours: null, minRecords: null, node: null, words, at: instant(0), after: null, limit: 10 });
    expect(search('radio').ids).toEqual([4, 2, 1]);
    expect(search('RAD', 'song').ids).toEqual([1]);
    expect(search('prov').totals).toMatchObject({ datasets: 1, records: 2 });
    expect(search('radio-drama').ids).toEqual([4]);
    expect(search('zzz').ids).toEqual([]);
    expect(search('--').ids).toEqual([]);
    // A changed description takes its words with it.
    catalogue.upsert(row(1, 'River songs\nevening stories'));
    catalogue.settle();
    expect(search('radio').ids).toEqual([4, 2]);
    expect(search('stor').ids).toEqual([1]);
  });
});
