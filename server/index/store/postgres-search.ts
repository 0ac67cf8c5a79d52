import type pg from 'pg';
import type { DatasetQuery, DatasetSearchResult } from './index-store.js';
import { CATALOGUE_COLUMNS, datasetChange, FollowedCatalogue, type CatalogueSqlRow } from './followed-catalogue.js';
import { matchFromRow, type MatchRow } from './sqlite-dataset-rows.js';

/** Changed rows read per query when a search catches up. */
const CATCH_UP_PAGE = 1000;

/**
 * Search over PostgreSQL with the same in-process `SearchCatalogue` as the SQLite store: each
 * search is one REPEATABLE READ, READ ONLY transaction (one snapshot for the catch-up, the words
 * and the page), which first takes the rows whose `search_seq` is above the highest this process
 * has seen. Writers set `search_seq` under the write lock, so the numbers grow in commit order
 * whichever process wrote. Searches in one process take turns: catching up changes the catalogue.
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
    const client = await this.#pool().connect();
    try {
      // One round trip opens the snapshot and asks whether anything changed since the last
      // search: most searches find nothing new, and then read nothing more before their page.
      const [, heads] = (await client.query(
        `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
         SELECT (SELECT coalesce(max(search_seq), -1) FROM nodes) AS nodes, (SELECT coalesce(max(search_seq), -1) FROM datasets) AS datasets`,
      )) as unknown as [pg.QueryResult, pg.QueryResult<{ nodes: number; datasets: number }>];
      const since = this.#catalogue.since;
      const head = heads.rows[0]!;
      if (since.datasets === null || head.nodes > since.nodes || head.datasets > since.datasets) await this.#catchUp(client);
      const { ids, totals } = this.#catalogue.search(query);
      if (ids.length === 0) {
        await client.query('COMMIT');
        return { datasets: [], totals };
      }
      // The page's rows and the commit in one round trip: a statement with parameters cannot be
      // sent with another, so the ids (the catalogue's own integers) are written into it.
      const [{ rows }] = (await client.query(
        `SELECT d.*, m.log_index AS m_log_index, m.envelope AS m_envelope,
           n.name AS n_name, n.url AS n_url, n.stale::int AS n_stale, n.last_heard_at AS n_last_heard_at
         FROM datasets d JOIN manifests m ON m.sha256 = d.manifest JOIN nodes n ON n.did = d.node_did
         WHERE d.id = ANY('{${ids.map(integer).join(',')}}'::int[]);
         COMMIT`,
      )) as unknown as [pg.QueryResult<MatchRow & { id: number }>, pg.QueryResult];
      const byId = new Map(rows.map((row) => [row.id, row]));
      const datasets = ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [matchFromRow(row)] : [];
      });
      return { datasets, totals };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
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

/** `value` if it is an integer (to be written into a statement), else an error. */
function integer(value: number): number {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return value;
}

/** The rows of `select` (a SELECT … FROM one table) whose `search_seq` is above `after`, in that order, a page at a time. */
async function changedRows<R extends { search_seq: number }>(client: pg.PoolClient, select: string, after: number): Promise<R[]> {
  const rows: R[] = [];
  for (;;) {
    const page = (await client.query<R>(`${select} WHERE search_seq > $1 ORDER BY search_seq LIMIT $2`, [after, CATCH_UP_PAGE])).rows;
    rows.push(...page);
    if (page.length < CATCH_UP_PAGE) return rows;
    after = page.at(-1)!.search_seq;
  }
}
