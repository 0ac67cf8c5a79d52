import { describe, expect, it } from 'vitest';
import { appendLeaves } from './append.js';
import { appendToFrontier, EMPTY_FRONTIER, frontierFromInclusionProof, frontierRoot, type Frontier } from './frontier.js';
import { hashLeaf, sameHash } from './hashing.js';
import { MemoryTreeStore } from './memory-tree-store.js';
import { inclusionProof, rootHash } from './proofs.js';
import { subtreesOf } from './subtrees.js';

const leaf = (i: number) => hashLeaf(Buffer.from(`entry ${i}`));

async function tree(size: number): Promise<MemoryTreeStore> {
  const store = new MemoryTreeStore();
  await store.writeNodes(await appendLeaves(store, 0, Array.from({ length: size }, (_, i) => leaf(i))));
  return store;
}

describe('log frontier', () => {
  it('appending leaves one by one gives the root of every size, and the stored subtrees as its hashes', async () => {
    const store = await tree(70);
    let frontier: Frontier = EMPTY_FRONTIER;
    expect(sameHash(frontierRoot(frontier), await rootHash(store, 0))).toBe(true);
    for (let size = 1; size <= 70; size++) {
      frontier = appendToFrontier(frontier, leaf(size - 1));
      expect(frontier.size).toBe(size);
      expect(sameHash(frontierRoot(frontier), await rootHash(store, size))).toBe(true);
      const stored = await store.readNodes(subtreesOf(0, size));
      expect(frontier.hashes.map((h) => Buffer.from(h).toString('hex'))).toEqual(stored.map((h) => Buffer.from(h).toString('hex')));
    }
  });

  it('reads the frontier of leaf m off its inclusion proof; from there the later leaves give the root', async () => {
    for (const size of [1, 2, 3, 7, 8, 9, 33, 64, 70]) {
      const store = await tree(size);
      for (let m = 0; m < size; m++) {
        let frontier = frontierFromInclusionProof(m, size, await inclusionProof(store, m, size));
        expect(frontier).not.toBeNull();
        expect(frontier!.size).toBe(m);
        for (let i = m; i < size; i++) frontier = appendToFrontier(frontier!, leaf(i));
        expect(sameHash(frontierRoot(frontier!), await rootHash(store, size))).toBe(true);
      }
    }
  });

  it('a skipped, changed or extra leaf gives another root; a proof of the wrong length gives no frontier', async () => {
    const store = await tree(20);
    const start = frontierFromInclusionProof(5, 20, await inclusionProof(store, 5, 20))!;
    const root = await rootHash(store, 20);
    const run = (leaves: Uint8Array[]) => sameHash(frontierRoot(leaves.reduce(appendToFrontier, start)), root);
    const all = Array.from({ length: 15 }, (_, i) => leaf(i + 5));
    expect(run(all)).toBe(true);
    expect(run(all.filter((_, i) => i !== 3))).toBe(false);
    expect(run(all.map((h, i) => (i === 3 ? hashLeaf(Buffer.from('rewritten')) : h)))).toBe(false);
    expect(run([...all, leaf(99)])).toBe(false);
    const proof = await inclusionProof(store, 5, 20);
    expect(frontierFromInclusionProof(5, 20, proof.slice(1))).toBeNull();
    expect(frontierFromInclusionProof(5, 20, [...proof, leaf(0)])).toBeNull();
    expect(frontierFromInclusionProof(20, 20, proof)).toBeNull();
    expect(frontierFromInclusionProof(5, 20, proof.map(() => new Uint8Array(3)))).toBeNull();
  });
});
