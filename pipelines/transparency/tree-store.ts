import type { NodeId, TreeNode } from './subtrees.js';

/**
 * Read access to the stored subtree hashes of one log (layout in subtrees.ts and the README).
 *
 * One call per proof: `inclusionProof`, `consistencyProof` and `rootHash` work out every subtree
 * they need from the sizes alone, then read them all at once, so an SQL store answers with one
 * `SELECT … WHERE (level, idx) IN (…)` of at most 2·log2(size) + 1 rows instead of a round trip
 * per hash.
 */
export interface TreeNodeReader {
  /**
   * The hashes of `ids`, in the same order (an id may repeat). Rejects with
   * `MissingTreeNodeError` if any is not stored. Returned bytes are the caller's to keep.
   */
  readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
}

/**
 * A reader that can also store what `appendLeaves` returns. Writes are append-only: writing a
 * node that is already stored with the same hash is a no-op (so a retried append is harmless);
 * with a different hash it rejects with `TreeNodeConflictError` and writes nothing. The index
 * calls it in the same transaction that appends the feed events, and serialises appends in the
 * database (DESIGN "Scale").
 */
export interface TreeNodeStore extends TreeNodeReader {
  writeNodes(nodes: readonly TreeNode[]): Promise<void>;
}
