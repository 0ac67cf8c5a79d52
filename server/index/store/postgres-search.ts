import type pg from 'pg';
import type { DatasetQuery, DatasetSearchResult } from './index-store.js';
import { CATALOGUE_COLUMNS, datasetChange, FollowedCatalogue, type CatalogueSqlRow } from './followed-catalogue.js';
import type { CatalogueAnswer } from './search-catalogue.js';
import { prepared } from './postgres-prepared.js';
import { datasetColumns, matchFromRow, type MatchRow } from './sqlite-dataset-rows.js';

/** Changed rows read per query when a search catches up. */
const CATCH_UP_PAGE = 1000;

/**
 * Search over PostgreSQL with the same in-process `SearchCatalogue` as the SQLite store. Each
 * search reads the page's rows and the highest `search_seq`s from one snapshot: when those show
 * no change since the catalogue last caught up (most searches), the page it chose stands, and the
 * search was one prepared statement, one round trip. Otherwise a REPEATABLE READ, READ ONLY
 * transaction takes the rows whose `search_seq` is above the highest this process has seen, then
 * chooses and reads the page in that snapshot. Writers set `search_seq` under the write lock, so
 * the numbers grow in commit order whichever process wrote. Searches in one process take turns:
 * catching up changes the catalogue.
 */
export class PostgresSearch {
  readonly #pool: () => pg.Pool;
  readonly #catalogue = new FollowedCatalogue();
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * `pool`: where each search reads, the replica's or the primary's. Either shows the commits in
   * order, so the catalogue may follow one and then the other (back on a replica that is still a
   * little behind what it followed on the primary, a dataset the replica does not hold yet is
   * left off a page until it does).
   */
  constructor(pool: () => pg.Pool) {
    this.#pool = pool;
  }

  search(query: DatasetQuery): Promise<DatasetSearchResult> {
    const run = this.#tail.then(() => this.#search(query));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  memory(): { datasets: number; bytes: number } {
    return this.#catalogue.memory();
  }

  async #search(query: DatasetQuery): Promise<DatasetSearchResult> {
    const pool = this.#pool();
    // Most searches find nothing new since the last one. Their page is chosen from the catalogue
    // as it stands, and one statement (one snapshot, one round trip) confirms that nothing
    // changed and reads the page's rows.
    if (this.#catalogue.since.datasets !== null) {
      const answer = this.#catalogue.search(query);
      const { rows } = await pool.query<PageRow>(prepared(PAGE, [answer.ids]));
      if (!this.#changedSince(rows[0]!)) return page(answer, rows);
    }
    // Something changed (or this is the first search): catch up, then choose the page, in one snapshot.
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const [heads] = (await client.query<PageRow>(prepared(PAGE, [[]]))).rows;
      if (this.#changedSince(heads!)) await this.#catchUp(client);
      const answer = this.#catalogue.search(query);
      const { rows } = await client.query<PageRow>(prepared(PAGE, [answer.ids]));
      await client.query('COMMIT');
      return page(answer, rows);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Whether the heads on a page's row show changes the catalogue has not taken. */
  #changedSince(heads: PageRow): boolean {
    const since = this.#catalogue.since;
    return since.datasets === null || heads.head_nodes > since.nodes || heads.head_datasets > since.datasets;
  }

  /**
   * Takes the rows changed since the last search, in pages of `CATCH_UP_PAGE` in `search_seq`
   * order. The LIMIT keeps the plan an index range scan whatever the table's statistics say: just
   * after a bulk load, before autovacuum has analysed the table, PostgreSQL otherwise guessed a
   * third of it would match and scanned all of it on every search (84 ms at p95 over 100,000 rows).
   */
  async #catchUp(client: pg.PoolClient): Promise<void> {
    const since = this.#catalogue.since;
    const nodes = await changedRows<{ did: string; suspended: boolean; search_seq: number }>(
      client,
      'SELECT did, suspended_at IS NOT NULL AS suspended, search_seq FROM nodes',
      since.nodes,
    );
    const datasets =
      since.datasets === null
        ? (await client.query<CatalogueSqlRow>(`SELECT ${CATALOGUE_COLUMNS} FROM datasets ORDER BY published DESC, manifest`)).rows
        : await changedRows<CatalogueSqlRow>(client, `SELECT ${CATALOGUE_COLUMNS} FROM datasets`, since.datasets);
    this.#catalogue.take(
      nodes.map((node) => ({ did: node.did, suspended: node.suspended, seq: node.search_seq })),
      datasets.map(datasetChange),
    );
  }
}

/**
 * The highest `search_seq` of nodes and of datasets (above what the catalogue has taken, there
 * are changes to catch up), beside the rows of the page whose dataset ids are `$1`: one
 * statement, so both come from one snapshot. One row with the heads alone when none match.
 */
const PAGE = `SELECT h.nodes AS head_nodes, h.datasets AS head_datasets, p.*
  FROM (SELECT (SELECT coalesce(max(search_seq), -1) FROM nodes) AS nodes, (SELECT coalesce(max(search_seq), -1) FROM datasets) AS datasets) h
  LEFT JOIN (
    SELECT d.id, ${datasetColumns('d')}, m.log_index AS m_log_index, m.envelope AS m_envelope,
      n.name AS n_name, n.url AS n_url, n.stale::int AS n_stale, n.last_heard_at AS n_last_heard_at
    FROM datasets d JOIN manifests m ON m.sha256 = d.manifest JOIN nodes n ON n.did = d.node_did
    WHERE d.id = ANY($1::int[])
  ) p ON true`;

type PageRow = { head_nodes: number; head_datasets: number } & ((MatchRow & { id: number }) | { id: null });

/** The page in the catalogue's order, from the rows PAGE read. */
function page(answer: CatalogueAnswer, rows: readonly PageRow[]): DatasetSearchResult {
  const byId = new Map(rows.flatMap((row) => (row.id === null ? [] : [[row.id, row] as const])));
  const datasets = answer.ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [matchFromRow(row)] : [];
  });
  return { datasets, totals: answer.totals };
}

/** The rows of `select` (a SELECT … FROM one table) whose `search_seq` is above `after`, in that order, a page at a time. */
async function changedRows<R extends { search_seq: number }>(client: pg.PoolClient, select: string, after: number): Promise<R[]> {
  const rows: R[] = [];
  for (;;) {
    const page = (await client.query<R>(prepared(`${select} WHERE search_seq > $1 ORDER BY search_seq LIMIT $2`, [after, CATCH_UP_PAGE]))).rows;
    rows.push(...page);
    if (page.length < CATCH_UP_PAGE) return rows;
    after = page.at(-1)!.search_seq;
  }
}
