import { appendLeaves } from './append.js';
import { MissingTreeNodeError, TreeNodeConflictError } from './errors.js';
import { HASH_SIZE, isHash, sameHash } from './hashing.js';
import type { NodeId, TreeNode } from './subtrees.js';
import type { TreeNodeStore } from './tree-store.js';

/** One level of the tree: its complete subtree hashes back to back, 32 bytes each. */
interface Level {
  bytes: Uint8Array;
  count: number;
}

/**
 * Subtree hashes in memory, for tests and for a trainer that rebuilds a log it downloaded. Each
 * level is one growing byte array rather than an object per hash, so a log of a million entries
 * takes about 64 MiB (two million 32-byte hashes) instead of several hundred.
 */
export class MemoryTreeStore implements TreeNodeStore {
  readonly #levels: Level[] = [];

  /** The number of leaves stored, i.e. the size of the log. */
  get size(): number {
    return this.#levels[0]?.count ?? 0;
  }

  async readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    return ids.map((id) => this.readNode(id));
  }

  /** The synchronous read behind `readNodes`; a copy, so callers cannot change the store. */
  readNode({ level, index }: NodeId): Uint8Array {
    const stored = this.#levels[level];
    if (!stored || !Number.isSafeInteger(index) || index < 0 || index >= stored.count) throw new MissingTreeNodeError(level, index);
    return stored.bytes.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  /** All or nothing: every node is checked before any is written. */
  async writeNodes(nodes: readonly TreeNode[]): Promise<void> {
    const next = this.#levels.map((level) => level.count);
    const fresh: TreeNode[] = [];
    for (const node of nodes) {
      const { level, index, hash } = node;
      const valid = Number.isSafeInteger(level) && level >= 0 && level <= 53 && Number.isSafeInteger(index) && index >= 0;
      if (!valid || !isHash(hash)) {
        throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is not a valid node to store.`);
      }
      const count = next[level] ?? 0;
      if (index < count) {
        // Stored before this call, or earlier in this same write.
        const inStore = index < (this.#levels[level]?.count ?? 0);
        const stored = inStore ? this.readNode(node) : fresh.find((n) => n.level === level && n.index === index)?.hash;
        if (!stored || !sameHash(stored, hash)) {
          throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) is already stored with a different hash.`);
        }
        continue;
      }
      if (index !== count) {
        throw new TreeNodeConflictError(level, index, `Subtree (${level}, ${index}) would leave a gap after ${count} stored at level ${level}.`);
      }
      next[level] = count + 1;
      fresh.push(node);
    }
    for (const node of fresh) this.#push(node);
  }

  /** Appends leaf hashes (already `hashLeaf`ed) and stores the subtrees they complete. */
  async append(leafHashes: readonly Uint8Array[]): Promise<void> {
    await this.writeNodes(await appendLeaves(this, this.size, leafHashes));
  }

  #push({ level, index, hash }: TreeNode): void {
    while (this.#levels.length <= level) this.#levels.push({ bytes: new Uint8Array(HASH_SIZE * 16), count: 0 });
    const stored = this.#levels[level] as Level;
    if ((index + 1) * HASH_SIZE > stored.bytes.length) {
      const grown = new Uint8Array(stored.bytes.length * 2);
      grown.set(stored.bytes);
      stored.bytes = grown;
    }
    stored.bytes.set(hash, index * HASH_SIZE);
    stored.count = index + 1;
  }
}
