import type pg from 'pg';
import { MissingTreeNodeError, TreeNodeConflictError } from '../../../pipelines/transparency/errors.js';
import { isHash, sameHash } from '../../../pipelines/transparency/hashing.js';
import type { NodeId, TreeNode } from '../../../pipelines/transparency/subtrees.js';
import type { TreeNodeStore } from '../../../pipelines/transparency/tree-store.js';
import { prepared } from './postgres-prepared.js';

/** What both a pool and a checked-out client offer. */
export type Queryable = pg.Pool | pg.PoolClient;

/** The stored nodes among (levels[i], indices[i]). */
const READ_NODES = 'SELECT level, idx, hash FROM log_nodes JOIN unnest($1::int[], $2::bigint[]) AS wanted(level, idx) USING (level, idx)';

/**
 * The log's subtree hashes in PostgreSQL: `log_nodes(level, idx, hash)`, as SqliteTreeStore
 * keeps them. A batch is checked against what is stored before anything is written, then written
 * in one statement: a refused batch leaves nothing, and a caller's transaction goes on.
 * Append-only: a stored hash never changes and no level has a gap.
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
    const found = await stored(this.#db, ids);
    return ids.map(({ level, index }) => {
      const hash = found.get(key(level, index));
      if (!hash) throw new MissingTreeNodeError(level, index);
      return new Uint8Array(hash);
    });
  }

  async writeNodes(nodes: readonly TreeNode[]): Promise<void> {
    if (nodes.length === 0) return;
    await this.#ready();
    for (const { level, index, hash } of nodes) {
      const valid = Number.isSafeInteger(level) && level >= 0 && level <= 53 && Number.isSafeInteger(index) && index >= 0;
      if (!valid || !isHash(hash)) throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is not a valid node to store.`);
    }
    // Each node and the one before it on its level: the first must match if stored, the second must be there.
    const held = await stored(
      this.#db,
      nodes.flatMap(({ level, index }) => (index > 0 ? [{ level, index }, { level, index: index - 1 }] : [{ level, index }])),
    );
    const fresh: TreeNode[] = [];
    for (const node of nodes) {
      const { level, index, hash } = node;
      const kept = held.get(key(level, index));
      if (kept) {
        if (!sameHash(kept, hash)) throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is already stored with a different hash.`);
        continue;
      }
      if (index > 0 && !held.has(key(level, index - 1))) {
        throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) would leave a gap at level ${level}.`);
      }
      held.set(key(level, index), hash);
      fresh.push(node);
    }
    if (fresh.length === 0) return;
    await this.#db.query(
      prepared('INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])', [
        fresh.map((node) => node.level),
        fresh.map((node) => node.index),
        fresh.map((node) => Buffer.from(node.hash)),
      ]),
    );
  }
}

const key = (level: number, index: number) => `${level}/${index}`;

/** The stored hashes among `ids`, by `key`. */
async function stored(db: Queryable, ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
  const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
    prepared(READ_NODES, [ids.map((id) => id.level), ids.map((id) => id.index)]),
  );
  return new Map(rows.map((row) => [key(row.level, Number(row.idx)), row.hash]));
}
