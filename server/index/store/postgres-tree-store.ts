import pg from 'pg';
import { MissingTreeNodeError, TreeNodeConflictError } from '../../../pipelines/transparency/errors.js';
import { isHash, sameHash } from '../../../pipelines/transparency/hashing.js';
import type { NodeId, TreeNode } from '../../../pipelines/transparency/subtrees.js';
import type { TreeNodeStore } from '../../../pipelines/transparency/tree-store.js';

/** What both a pool and a checked-out client offer. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * The log's subtree hashes in PostgreSQL: `log_nodes(level, idx, hash)`, as SqliteTreeStore
 * keeps them. Over a pool, each write is a transaction of its own; over a client inside the
 * index store's transaction, a savepoint, so a refused batch leaves nothing and the caller's
 * transaction goes on. Append-only: a stored hash never changes and no level has a gap.
 */
export class PostgresTreeStore implements TreeNodeStore {
  readonly #db: Queryable;
  readonly #ready: () => Promise<void>;

  /** `ready` is awaited before each read (the index store's schema migration). */
  constructor(db: Queryable, ready: () => Promise<void> = async () => undefined) {
    this.#db = db;
    this.#ready = ready;
  }

  async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    if (ids.length === 0) return [];
    await this.#ready();
    const { rows } = await this.#db.query<{ level: number; idx: number; hash: Buffer }>(
      'SELECT level, idx, hash FROM log_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::int[], $2::bigint[]))',
      [ids.map((id) => id.level), ids.map((id) => id.index)],
    );
    const found = new Map(rows.map((row) => [`${row.level}/${row.idx}`, row.hash]));
    return ids.map(({ level, index }) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new MissingTreeNodeError(level, index);
      return new Uint8Array(hash);
    });
  }

  async writeNodes(nodes: readonly TreeNode[]): Promise<void> {
    if (nodes.length === 0) return;
    await this.#ready();
    if (this.#db instanceof pg.Pool) {
      const client = await this.#db.connect();
      try {
        await client.query('BEGIN');
        await write(client, nodes);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      return;
    }
    await this.#db.query('SAVEPOINT tree_write');
    try {
      await write(this.#db, nodes);
      await this.#db.query('RELEASE SAVEPOINT tree_write');
    } catch (error) {
      await this.#db.query('ROLLBACK TO SAVEPOINT tree_write');
      throw error;
    }
  }
}

async function write(client: pg.PoolClient, nodes: readonly TreeNode[]): Promise<void> {
  for (const { level, index, hash } of nodes) {
    const valid = Number.isSafeInteger(level) && level >= 0 && level <= 53 && Number.isSafeInteger(index) && index >= 0;
    if (!valid || !isHash(hash)) throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is not a valid node to store.`);
    const { rows } = await client.query<{ idx: number | string; hash: Buffer }>(
      'SELECT idx, hash FROM log_nodes WHERE level = $1 AND idx IN ($2, $3)',
      [level, index, index > 0 ? index - 1 : index],
    );
    const stored = rows.find((row) => Number(row.idx) === index);
    if (stored) {
      if (!sameHash(stored.hash, hash)) {
        throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is already stored with a different hash.`);
      }
      continue;
    }
    if (index > 0 && !rows.some((row) => Number(row.idx) === index - 1)) {
      throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) would leave a gap at level ${level}.`);
    }
    await client.query('INSERT INTO log_nodes (level, idx, hash) VALUES ($1, $2, $3)', [level, index, Buffer.from(hash)]);
  }
}
