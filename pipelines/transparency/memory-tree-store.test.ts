import { describe, expect, it } from 'vitest';
import { MissingTreeNodeError, TreeNodeConflictError } from './errors.js';
import { hashLeaf } from './hashing.js';
import { MemoryTreeStore } from './memory-tree-store.js';
import { hex, naiveRoot } from '../../test/fixtures/transparency/naive-merkle.js';
import { rootHash } from './proofs.js';
import { describeTreeStoreContract } from '../../test/contracts/tree-store.contract.js';

describeTreeStoreContract('MemoryTreeStore', async () => ({ store: new MemoryTreeStore() }));

describe('MemoryTreeStore', () => {
  const leaf = (i: number) => hashLeaf(Buffer.from(String(i)));

  it('counts its leaves and grows past its first allocation', async () => {
    const store = new MemoryTreeStore();
    expect(store.size).toBe(0);
    const leaves = Array.from({ length: 1000 }, (_, i) => leaf(i));
    await store.append(leaves.slice(0, 1));
    await store.append(leaves.slice(1));
    expect(store.size).toBe(1000);
    expect(hex(await rootHash(store, 1000))).toBe(hex(naiveRoot(leaves)));
    expect(hex(store.readNode({ level: 8, index: 2 }))).toBe(hex(naiveRoot(leaves.slice(512, 768))));
    // [512, 1024) is not complete at 1000 leaves, so it is not stored.
    expect(() => store.readNode({ level: 9, index: 1 })).toThrow(MissingTreeNodeError);
  });

  it('refuses gaps and nodes that are not nodes', async () => {
    const store = new MemoryTreeStore();
    await expect(store.writeNodes([{ level: 0, index: 1, hash: leaf(1) }])).rejects.toBeInstanceOf(TreeNodeConflictError);
    await expect(store.writeNodes([{ level: 0, index: 0, hash: new Uint8Array(31) }])).rejects.toBeInstanceOf(TreeNodeConflictError);
    await expect(store.writeNodes([{ level: -1, index: 0, hash: leaf(0) }])).rejects.toBeInstanceOf(TreeNodeConflictError);
    await expect(store.writeNodes([{ level: 0, index: -1, hash: leaf(0) }])).rejects.toBeInstanceOf(TreeNodeConflictError);
    await expect(store.writeNodes([{ level: 0, index: 0.5, hash: leaf(0) }])).rejects.toBeInstanceOf(TreeNodeConflictError);
    // The same node twice in one write is one node; two different hashes for it are a conflict.
    await store.writeNodes([{ level: 0, index: 0, hash: leaf(0) }, { level: 0, index: 0, hash: leaf(0) }]);
    await expect(store.writeNodes([{ level: 0, index: 1, hash: leaf(1) }, { level: 0, index: 1, hash: leaf(2) }])).rejects.toBeInstanceOf(
      TreeNodeConflictError,
    );
    expect(store.size).toBe(1);
  });
});
