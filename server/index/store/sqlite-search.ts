import type { Statement } from 'better-sqlite3';
import type { Db } from '../../core/db.js';
import type { DatasetQuery, DatasetSearchResult } from './index-store.js';
import { CATALOGUE_COLUMNS, datasetChange, FollowedCatalogue, type CatalogueSqlRow } from './followed-catalogue.js';
import { matchFromRow, type MatchRow } from './sqlite-dataset-rows.js';

/**
 * Search over one SQLite connection: the datasets' searchable columns and words in a
 * `SearchCatalogue`, and the page's rows read back by id. Each search is one read transaction,
 * so it sees one committed state throughout: first the rows whose `search_seq` is above the
 * highest this process has seen (written by this process or any other on the file: the number
 * is set in the writer's transaction), then the page. Expiry is a
 * time, not an event, so it is checked per search against `query.at`.
 */
export class SqliteSearch {
  readonly #db: Db;
  readonly #catalogue = new FollowedCatalogue();
  #statements: { load: Statement<[]>; datasets: Statement<[number]>; nodes: Statement<[number]>; page: Statement<[string]> } | undefined;

  constructor(db: Db) {
    this.#db = db;
  }

  search(query: DatasetQuery): DatasetSearchResult {
    const statements = this.#prepared();
    this.#db.exec('BEGIN');
    try {
      this.#catchUp();
      const { ids, totals } = this.#catalogue.search(query);
      if (ids.length === 0) return { datasets: [], totals };
      const byId = new Map((statements.page.all(JSON.stringify(ids)) as (MatchRow & { id: number })[]).map((row) => [row.id, row]));
      // A row the joins left out (its manifest or node missing) would be a broken store: skip it.
      const datasets = ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [matchFromRow(row)] : [];
      });
      return { datasets, totals };
    } finally {
      this.#db.exec('COMMIT');
    }
  }

  /** The catalogue's size and its arrays' bytes, for measurements. */
  memory(): { datasets: number; bytes: number } {
    return this.#catalogue.memory();
  }

  /** Hands the catalogue every node and dataset row changed since the last search (all of them the first time). */
  #catchUp(): void {
    const statements = this.#prepared();
    const since = this.#catalogue.since;
    // Read as the catalogue takes them, one statement open at a time (the connection allows no more).
    function* nodes() {
      for (const node of statements.nodes.iterate(since.nodes) as IterableIterator<{ did: string; suspended: number; search_seq: number }>) {
        yield { did: node.did, suspended: node.suspended === 1, seq: node.search_seq };
      }
    }
    function* datasets() {
      const rows = since.datasets === null ? statements.load.iterate() : statements.datasets.iterate(since.datasets);
      for (const row of rows as IterableIterator<CatalogueSqlRow>) yield datasetChange(row);
    }
    this.#catalogue.take(nodes(), datasets());
  }

  #prepared() {
    this.#statements ??= {
      // The first load reads in search order (datasets_published), so settling it is a linear merge.
      load: this.#db.prepare(`SELECT ${CATALOGUE_COLUMNS} FROM datasets ORDER BY published DESC, manifest`),
      datasets: this.#db.prepare(`SELECT ${CATALOGUE_COLUMNS} FROM datasets WHERE search_seq > ? ORDER BY search_seq`),
      nodes: this.#db.prepare('SELECT did, suspended_at IS NOT NULL AS suspended, search_seq FROM nodes WHERE search_seq > ?'),
      page: this.#db.prepare(
        `SELECT d.*, m.log_index AS m_log_index, m.envelope AS m_envelope,
           n.name AS n_name, n.url AS n_url, n.stale AS n_stale, n.last_heard_at AS n_last_heard_at
         FROM datasets d JOIN manifests m ON m.sha256 = d.manifest JOIN nodes n ON n.did = d.node_did
         WHERE d.id IN (SELECT value FROM json_each(?))`,
      ),
    };
    return this.#statements;
  }
}
