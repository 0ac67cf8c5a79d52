import { describe, expect, it } from 'vitest';
import { appendLeaves } from './append.js';
import { CT_CONSISTENCY, CT_INCLUSION, CT_LEAF_DATA, CT_ROOTS } from '../../test/fixtures/transparency/ct-vectors.js';
import { InvalidTreeRequestError, MissingTreeNodeError } from './errors.js';
import { hashLeaf } from './hashing.js';
import { MemoryTreeStore } from './memory-tree-store.js';
import { hex, naiveConsistency, naivePath, naiveRoot } from '../../test/fixtures/transparency/naive-merkle.js';
import { consistencyProof, inclusionProof, rootHash } from './proofs.js';
import type { NodeId } from './subtrees.js';
import type { TreeNodeReader } from './tree-store.js';

const leavesOf = (count: number) => Array.from({ length: count }, (_, i) => hashLeaf(Buffer.from(`feed event ${i}`)));

async function storeOf(leaves: readonly Uint8Array[]): Promise<MemoryTreeStore> {
  const store = new MemoryTreeStore();
  for (const leaf of leaves) await store.append([leaf]);
  return store;
}

/** Wraps a reader and records every call, to hold the proofs to one read of O(log n) hashes. */
function counting(reader: TreeNodeReader): TreeNodeReader & { calls: NodeId[][] } {
  const calls: NodeId[][] = [];
  return {
    calls,
    readNodes: (ids) => {
      calls.push([...ids]);
      return reader.readNodes(ids);
    },
  };
}

const N = 64;
const leaves = leavesOf(N);
const store = await storeOf(leaves);

describe('proofs from stored subtrees, against the RFC 6962 test tree', () => {
  it('gives the published root for every size 0..8', async () => {
    const ct = await storeOf(CT_LEAF_DATA.map(hashLeaf));
    for (let n = 0; n <= 8; n += 1) expect(hex(await rootHash(ct, n)), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('gives the published inclusion and consistency proofs', async () => {
    const ct = await storeOf(CT_LEAF_DATA.map(hashLeaf));
    for (const { index, size, proof } of CT_INCLUSION) {
      expect((await inclusionProof(ct, index, size)).map(hex), `leaf ${index} of ${size}`).toEqual(proof);
    }
    for (const { oldSize, newSize, proof } of CT_CONSISTENCY) {
      expect((await consistencyProof(ct, oldSize, newSize)).map(hex), `${oldSize} → ${newSize}`).toEqual(proof);
    }
  });
});

describe(`proofs from stored subtrees, against the naive RFC 9162 reference, every size up to ${N}`, () => {
  it('computes every root', async () => {
    for (let n = 0; n <= N; n += 1) expect(hex(await rootHash(store, n)), `size ${n}`).toBe(hex(naiveRoot(leaves.slice(0, n))));
  });

  it('computes every inclusion proof: PATH(m, D[n]) for all m < n ≤ 64', async () => {
    for (let n = 1; n <= N; n += 1) {
      for (let m = 0; m < n; m += 1) {
        expect((await inclusionProof(store, m, n)).map(hex), `leaf ${m} of ${n}`).toEqual(naivePath(m, leaves.slice(0, n)).map(hex));
      }
    }
  });

  it('computes every consistency proof: PROOF(m, D[n]) for all 0 < m ≤ n ≤ 64, and [] from the empty tree', async () => {
    for (let n = 0; n <= N; n += 1) {
      expect(await consistencyProof(store, 0, n)).toEqual([]);
      for (let m = 1; m <= n; m += 1) {
        const expected = naiveConsistency(m, leaves.slice(0, n)).map(hex);
        expect((await consistencyProof(store, m, n)).map(hex), `${m} → ${n}`).toEqual(expected);
      }
    }
  });
});

const big = 1000;
const bigStore = await storeOf(leavesOf(big));

describe('reads', () => {
  it('reads once per proof, at most 2·log2(n) + 1 hashes', async () => {
    const limit = 2 * Math.ceil(Math.log2(big)) + 1;
    for (const [m, n] of [[0, 1000], [999, 1000], [511, 1000], [512, 1000], [1, 999], [700, 701], [123, 513]] as const) {
      const reader = counting(bigStore);
      await inclusionProof(reader, m, n);
      expect(reader.calls).toHaveLength(1);
      expect(reader.calls[0]?.length).toBeLessThanOrEqual(limit);
      if (m > 0) {
        const again = counting(bigStore);
        await consistencyProof(again, m, n);
        expect(again.calls).toHaveLength(1);
        expect(again.calls[0]?.length).toBeLessThanOrEqual(limit);
      }
    }
  });

  it('reads one hash per set bit of the size for a root', async () => {
    const reader = counting(bigStore);
    await rootHash(reader, 1000); // 0b1111101000
    expect(reader.calls).toEqual([[
      { level: 9, index: 0 },
      { level: 8, index: 2 },
      { level: 7, index: 6 },
      { level: 6, index: 14 },
      { level: 5, index: 30 },
      { level: 3, index: 124 },
    ]]);
  });

  it('reads nothing for the empty tree or a trivial consistency proof', async () => {
    const reader = counting(bigStore);
    expect(hex(await rootHash(reader, 0))).toBe(CT_ROOTS[0]);
    expect(await consistencyProof(reader, 7, 7)).toEqual([]);
    expect(await consistencyProof(reader, 0, 7)).toEqual([]);
    expect(reader.calls).toEqual([]);
  });
});

describe('requests that cannot be answered', () => {
  it('refuses indices and sizes that do not describe a tree', async () => {
    const bad: Array<() => Promise<unknown>> = [
      () => inclusionProof(store, 5, 5),
      () => inclusionProof(store, 0, 0),
      () => inclusionProof(store, -1, 5),
      () => inclusionProof(store, 1.5, 5),
      () => inclusionProof(store, 0, Number.NaN),
      () => consistencyProof(store, 6, 5),
      () => consistencyProof(store, -1, 5),
      () => consistencyProof(store, 1, 2 ** 53),
      () => rootHash(store, -1),
      () => rootHash(store, 0.5),
    ];
    for (const request of bad) await expect(request()).rejects.toBeInstanceOf(InvalidTreeRequestError);
  });

  it('says which subtree is missing when asked past the stored size', async () => {
    await expect(rootHash(store, N + 1)).rejects.toBeInstanceOf(MissingTreeNodeError);
    await expect(inclusionProof(store, 3, N + 5)).rejects.toMatchObject({ code: 'MissingTreeNode' });
    await expect(consistencyProof(store, 10, 2 * N)).rejects.toMatchObject({ code: 'MissingTreeNode', level: 6, index: 1 });
  });
});

describe('appendLeaves', () => {
  it('returns each new leaf and every parent it completes, reading only the siblings it joins', async () => {
    const grown = await storeOf(leavesOf(7)); // 0b111: three complete subtrees
    const reader = counting(grown);
    const leaf = hashLeaf(Buffer.from('eighth'));
    const nodes = await appendLeaves(reader, 7, [leaf]);
    expect(nodes.map(({ level, index }) => [level, index])).toEqual([[0, 7], [1, 3], [2, 1], [3, 0]]);
    expect(reader.calls).toEqual([[{ level: 2, index: 0 }, { level: 1, index: 2 }, { level: 0, index: 6 }]]);

    const even = counting(grown);
    expect((await appendLeaves(even, 6, [leaf])).map(({ level, index }) => [level, index])).toEqual([[0, 6]]);
    expect(even.calls).toEqual([[]]);
  });

  it('gives the same nodes whether leaves come one at a time or in batches', async () => {
    const all = leavesOf(100);
    const single = new MemoryTreeStore();
    const batched = new MemoryTreeStore();
    const fromOne = [];
    for (const leaf of all) {
      const nodes = await appendLeaves(single, single.size, [leaf]);
      fromOne.push(...nodes);
      await single.writeNodes(nodes);
    }
    const fromBatches = [];
    for (const [start, end] of [[0, 1], [1, 4], [4, 37], [37, 37], [37, 64], [64, 100]] as const) {
      const nodes = await appendLeaves(batched, batched.size, all.slice(start, end));
      fromBatches.push(...nodes);
      await batched.writeNodes(nodes);
    }
    const key = (n: { level: number; index: number; hash: Uint8Array }) => `${n.level}/${n.index}/${hex(n.hash)}`;
    expect(fromBatches.map(key).sort()).toEqual(fromOne.map(key).sort());
    expect(fromOne).toHaveLength(2 * 100 - 3); // 2n − popcount(n): every complete subtree once
    expect(hex(await rootHash(batched, 100))).toBe(hex(naiveRoot(all)));
  });

  it('copies the leaf hashes it is given', async () => {
    const leaf = hashLeaf(Buffer.from('x'));
    const [node] = await appendLeaves(new MemoryTreeStore(), 0, [leaf]);
    leaf.fill(0);
    expect(hex(node?.hash ?? new Uint8Array())).toBe(hex(hashLeaf(Buffer.from('x'))));
  });

  it('refuses leaf hashes that are not 32 bytes and sizes that are not sizes', async () => {
    const empty = new MemoryTreeStore();
    await expect(appendLeaves(empty, 0, [new Uint8Array(31)])).rejects.toBeInstanceOf(InvalidTreeRequestError);
    await expect(appendLeaves(empty, -1, [hashLeaf(new Uint8Array())])).rejects.toBeInstanceOf(InvalidTreeRequestError);
    await expect(appendLeaves(empty, Number.MAX_SAFE_INTEGER, [hashLeaf(new Uint8Array())])).rejects.toBeInstanceOf(
      InvalidTreeRequestError,
    );
    expect(await appendLeaves(empty, 0, [])).toEqual([]);
  });
});
