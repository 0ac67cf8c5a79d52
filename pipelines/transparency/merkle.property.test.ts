import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendLeaves } from './append.js';
import { hashLeaf } from './hashing.js';
import { MemoryTreeStore } from './memory-tree-store.js';
import { hex, naiveRoot } from '../../test/fixtures/transparency/naive-merkle.js';
import { consistencyProof, inclusionProof, rootHash } from './proofs.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

// One log of a few thousand entries, with roots computed once, for proofs over random sizes.
const SIZE = 5000;
const leaves = Array.from({ length: SIZE }, (_, i) => hashLeaf(Buffer.from(`entry ${i}`)));
const store = new MemoryTreeStore();
await store.append(leaves);
const roots = new Map<number, Uint8Array>();
async function rootOf(n: number): Promise<Uint8Array> {
  let root = roots.get(n);
  if (!root) roots.set(n, (root = await rootHash(store, n)));
  return root;
}

const sizes = fc.integer({ min: 1, max: SIZE });
const leafInTree = sizes.chain((size) => fc.record({ size: fc.constant(size), index: fc.integer({ min: 0, max: size - 1 }) }));
const sizePair = fc
  .tuple(fc.integer({ min: 0, max: SIZE }), fc.integer({ min: 0, max: SIZE }))
  .map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));
const hashLike = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }));
const anySize = fc.oneof(fc.integer({ min: -2, max: SIZE + 2 }), fc.double(), fc.constantFrom(2 ** 53, Number.MAX_SAFE_INTEGER, -0, NaN));

describe('Merkle log properties over random sizes', () => {
  it('every inclusion proof verifies, and not for a neighbouring leaf or a grown tree', async () => {
    await fc.assert(
      fc.asyncProperty(leafInTree, async ({ size, index }) => {
        const proof = await inclusionProof(store, index, size);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        expect(verifyInclusion(leaves[index] as Uint8Array, index, size, proof, await rootOf(size))).toEqual({ ok: true });
        const other = (index + 1) % size;
        if (other !== index) expect(verifyInclusion(leaves[other] as Uint8Array, index, size, proof, await rootOf(size)).ok).toBe(false);
        if (size < SIZE) expect(verifyInclusion(leaves[index] as Uint8Array, index, size + 1, proof, await rootOf(size + 1)).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('every consistency proof verifies, and not with the roots swapped for other sizes', async () => {
    await fc.assert(
      fc.asyncProperty(sizePair, async ([m, n]) => {
        const proof = await consistencyProof(store, m, n);
        expect(verifyConsistency(m, n, await rootOf(m), await rootOf(n), proof)).toEqual({ ok: true });
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, await rootOf(m - 1), await rootOf(n), proof).ok).toBe(false);
          expect(verifyConsistency(m, n, await rootOf(m), await rootOf(n - 1), proof).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('appending in any batches stores the same tree as the naive root says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 12 }), async (batches) => {
        const grown = new MemoryTreeStore();
        let at = 0;
        for (const count of batches) {
          await grown.writeNodes(await appendLeaves(grown, grown.size, leaves.slice(at, at + count)));
          at += count;
          expect(hex(await rootHash(grown, at))).toBe(hex(naiveRoot(leaves.slice(0, at))));
        }
        expect(grown.size).toBe(at);
      }),
      { numRuns: 100 },
    );
  });

  it('verification never throws and never accepts made-up proofs', () => {
    fc.assert(
      fc.property(hashLike, anySize, anySize, fc.array(hashLike, { maxLength: 20 }), hashLike, (hash, a, b, proof, root) => {
        // Only trivial cases can pass without a real tree (fast-check likes to make two equal
        // all-zero "hashes"): a one-leaf tree whose root is the leaf; equal sizes with equal
        // roots; the empty tree's real root.
        if (verifyInclusion(hash, a, b, proof, root).ok) expect([proof.length, b, hex(hash)]).toEqual([0, 1, hex(root)]);
        if (verifyConsistency(a, b, hash, root, proof).ok) expect(proof).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
