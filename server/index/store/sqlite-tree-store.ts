import type { Statement as BetterSqlite3Statement } from 'better-sqlite3';
import type { Db } from '../../core/db.js';
import { MissingTreeNodeError, TreeNodeConflictError } from '../../../pipelines/transparency/errors.js';
import { isHash, sameHash } from '../../../pipelines/transparency/hashing.js';
import type { NodeId, TreeNode } from '../../../pipelines/transparency/subtrees.js';
import type { TreeNodeStore } from '../../../pipelines/transparency/tree-store.js';

type Statement = BetterSqlite3Statement<unknown[]>;

/**
 * The log's subtree hashes in the index database: `log_nodes(level, idx, hash)`, one row per
 * complete subtree (pipelines/transparency/README.md). Reads are one query per proof; writes are
 * all or nothing (a savepoint inside the caller's transaction, a transaction of their own
 * otherwise), append-only, and refuse to change a stored hash or to leave a gap.
 */
export class SqliteTreeStore implements TreeNodeStore {
  readonly #db: Db;
  readonly #selectOne: Statement;
  readonly #insert: Statement;
  /** Statements for reading n ids at once, by n (a proof reads at most 2·log2(size) + 1). */
  readonly #selectMany = new Map<number, Statement>();
  readonly #write: (nodes: readonly TreeNode[]) => void;

  constructor(db: Db) {
    this.#db = db;
    this.#selectOne = db.prepare('SELECT hash FROM log_nodes WHERE level = ? AND idx = ?').pluck();
    this.#insert = db.prepare('INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)');
    // better-sqlite3 nests this in a savepoint when the caller already holds a transaction.
    this.#write = db.transaction((nodes: readonly TreeNode[]) => {
      for (const { level, index, hash } of nodes) {
        const valid = Number.isSafeInteger(level) && level >= 0 && level <= 53 && Number.isSafeInteger(index) && index >= 0;
        if (!valid || !isHash(hash)) throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is not a valid node to store.`);
        const stored = this.#selectOne.get(level, index) as Buffer | undefined;
        if (stored) {
          if (!sameHash(stored, hash)) {
            throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is already stored with a different hash.`);
          }
          continue;
        }
        if (index > 0 && this.#selectOne.get(level, index - 1) === undefined) {
          throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) would leave a gap at level ${level}.`);
        }
        this.#insert.run(level, index, Buffer.from(hash));
      }
    });
  }

  async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    if (ids.length === 0) return [];
    const unique = [...new Map(ids.map((id) => [`${id.level}/${id.index}`, id])).values()];
    let statement = this.#selectMany.get(unique.length);
    if (!statement) {
      const values = Array.from({ length: unique.length }, () => '(?, ?)').join(', ');
      statement = this.#db.prepare(`SELECT level, idx, hash FROM log_nodes WHERE (level, idx) IN (VALUES ${values})`);
      if (this.#selectMany.size < 256) this.#selectMany.set(unique.length, statement);
    }
    const rows = statement.all(...unique.flatMap((id) => [id.level, id.index])) as Array<{ level: number; idx: number; hash: Buffer }>;
    const found = new Map(rows.map((row) => [`${row.level}/${row.idx}`, row.hash]));
    return ids.map(({ level, index }) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new MissingTreeNodeError(level, index);
      // A copy per id, so a caller changing one answer changes no other.
      return new Uint8Array(hash);
    });
  }

  async writeNodes(nodes: readonly TreeNode[]): Promise<void> {
    this.#write(nodes);
  }
}
