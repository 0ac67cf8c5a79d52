import { describe, expect, it } from 'vitest';
import { CT_CONSISTENCY, CT_INCLUSION, CT_LEAF_DATA, CT_ROOTS } from '../../test/fixtures/transparency/ct-vectors.js';
import { emptyRoot, hashChildren, hashLeaf } from './hashing.js';
import { MemoryTreeStore } from './memory-tree-store.js';
import { unhex } from '../../test/fixtures/transparency/naive-merkle.js';
import { consistencyProof, inclusionProof, rootHash } from './proofs.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const N = 64;
const leaves = Array.from({ length: N }, (_, i) => hashLeaf(Buffer.from(`feed event ${i}`)));
const store = new MemoryTreeStore();
await store.append(leaves);
const roots: Uint8Array[] = [];
for (let n = 0; n <= N; n += 1) roots.push(await rootHash(store, n));
const rootOf = (n: number) => roots[n] as Uint8Array;
const leafOf = (i: number) => leaves[i] as Uint8Array;

/** Every copy of `bytes` with exactly one byte changed (xor 1), one per position. */
function* oneByteChanges(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 1) {
    const changed = Uint8Array.from(bytes);
    changed[i] = (changed[i] as number) ^ 1;
    yield changed;
  }
}

function* proofChanges(proof: readonly Uint8Array[]): Generator<Uint8Array[]> {
  for (const [at, hash] of proof.entries()) {
    for (const changed of oneByteChanges(hash)) yield proof.map((h, i) => (i === at ? changed : h));
  }
}

describe('verifyInclusion', () => {
  it('accepts the published RFC 6962 proofs', () => {
    const ctLeaves = CT_LEAF_DATA.map(hashLeaf);
    for (const { index, size, proof } of CT_INCLUSION) {
      expect(verifyInclusion(ctLeaves[index] as Uint8Array, index, size, proof.map(unhex), unhex(CT_ROOTS[size] as string))).toEqual({ ok: true });
    }
  });

  it(`accepts every leaf of every tree up to ${N}`, async () => {
    for (let n = 1; n <= N; n += 1) {
      for (let m = 0; m < n; m += 1) {
        expect(verifyInclusion(leafOf(m), m, n, await inclusionProof(store, m, n), rootOf(n)), `leaf ${m} of ${n}`).toEqual({ ok: true });
      }
    }
  });

  it('rejects every single-byte change to the leaf, the proof or the root (trees up to 16)', async () => {
    let tried = 0;
    for (let n = 1; n <= 16; n += 1) {
      for (let m = 0; m < n; m += 1) {
        const proof = await inclusionProof(store, m, n);
        for (const leaf of oneByteChanges(leafOf(m))) expect(verifyInclusion(leaf, m, n, proof, rootOf(n)).ok).toBe(false);
        for (const root of oneByteChanges(rootOf(n))) expect(verifyInclusion(leafOf(m), m, n, proof, root).ok).toBe(false);
        for (const changed of proofChanges(proof)) expect(verifyInclusion(leafOf(m), m, n, changed, rootOf(n)).ok).toBe(false);
        tried += 64 + 32 * proof.length;
      }
    }
    expect(tried).toBeGreaterThan(10_000);
  });

  it('rejects every other index, and every other size with that size’s root', async () => {
    for (let n = 1; n <= 24; n += 1) {
      for (let m = 0; m < n; m += 1) {
        const proof = await inclusionProof(store, m, n);
        for (let other = 0; other < N + 2; other += 1) {
          if (other !== m) expect(verifyInclusion(leafOf(m), other, n, proof, rootOf(n)).ok, `index ${other} for ${m} of ${n}`).toBe(false);
        }
        for (let size = 1; size <= N; size += 1) {
          if (size !== n) expect(verifyInclusion(leafOf(m), m, size, proof, rootOf(size)).ok, `size ${size} for ${m} of ${n}`).toBe(false);
        }
        // The right size, but claimed with another tree's root.
        expect(verifyInclusion(leafOf(m), m, n, proof, rootOf(n === N ? 1 : n + 1)).ok).toBe(false);
      }
    }
  });

  it('rejects a proof with a hash too many, too few, or in another order', async () => {
    const proof = await inclusionProof(store, 5, 13);
    const root = rootOf(13);
    expect(verifyInclusion(leafOf(5), 5, 13, [...proof, rootOf(3)], root)).toEqual({ ok: false, reason: 'wrong-length' });
    expect(verifyInclusion(leafOf(5), 5, 13, [...proof, proof[0] as Uint8Array], root)).toEqual({ ok: false, reason: 'wrong-length' });
    expect(verifyInclusion(leafOf(5), 5, 13, proof.slice(0, -1), root)).toEqual({ ok: false, reason: 'wrong-length' });
    expect(verifyInclusion(leafOf(5), 5, 13, [...proof].reverse(), root)).toEqual({ ok: false, reason: 'root-mismatch' });
    expect(verifyInclusion(leafOf(0), 0, 1, [], rootOf(1))).toEqual({ ok: true });
    expect(verifyInclusion(leafOf(0), 0, 1, [rootOf(1)], rootOf(1))).toEqual({ ok: false, reason: 'wrong-length' });
  });

  it('answers hostile input with a verdict, never an exception', async () => {
    const proof = await inclusionProof(store, 2, 7);
    const leaf = leafOf(2);
    const root = rootOf(7);
    const cases: Array<[unknown, unknown, unknown, unknown, unknown, string]> = [
      [leaf, 7, 7, proof, root, 'out-of-range'],
      [leaf, 2, 0, [], emptyRoot(), 'out-of-range'],
      [leaf, -1, 7, proof, root, 'malformed'],
      [leaf, 2.5, 7, proof, root, 'malformed'],
      [leaf, 2, Number.NaN, proof, root, 'malformed'],
      [leaf, 2, Infinity, proof, root, 'malformed'],
      [leaf, 2, 2 ** 53, proof, root, 'malformed'],
      [leaf, '2', 7, proof, root, 'malformed'],
      [leaf.subarray(1), 2, 7, proof, root, 'malformed'],
      [leaf, 2, 7, proof, new Uint8Array(33), 'malformed'],
      [leaf, 2, 7, [...proof.slice(0, -1), new Uint8Array(31)], root, 'malformed'],
      [leaf, 2, 7, [proof[0], undefined, proof[2]], root, 'malformed'],
      [leaf, 2, 7, [proof[0], , proof[2]], root, 'malformed'], // a sparse array
      [leaf, 2, 7, 'not an array', root, 'malformed'],
      [leaf, 2, 7, null, root, 'malformed'],
      [null, 2, 7, proof, root, 'malformed'],
      [Array.from(leaf), 2, 7, proof, root, 'malformed'],
      [leaf, 2, 7, Array.from({ length: 100_000 }, () => leaf), root, 'wrong-length'],
      [leaf, 2, Number.MAX_SAFE_INTEGER, proof, root, 'wrong-length'],
    ];
    for (const [l, index, size, p, r, reason] of cases) {
      const call = () => verifyInclusion(l as Uint8Array, index as number, size as number, p as Uint8Array[], r as Uint8Array);
      expect(call, `${String(index)} of ${String(size)}`).not.toThrow();
      expect(call()).toEqual({ ok: false, reason });
    }
  });

  it('works past 2^32 entries, where bit operators would wrap', () => {
    // The last leaf of a tree of 2^32 + 1 entries has one sibling: the root of the first 2^32.
    const size = 2 ** 32 + 1;
    const first = rootOf(8); // stands in for MTH(D[0:2^32])
    const leaf = leafOf(0);
    const root = hashChildren(first, leaf);
    expect(verifyInclusion(leaf, size - 1, size, [first], root)).toEqual({ ok: true });
    expect(verifyInclusion(leaf, size - 2, size, [first], root).ok).toBe(false);
    expect(verifyInclusion(leaf, 2 ** 31 + 1, size, [first], root).ok).toBe(false);
  });
});

describe('verifyConsistency', () => {
  it('accepts the published RFC 6962 proofs', () => {
    for (const { oldSize, newSize, proof } of CT_CONSISTENCY) {
      const verdict = verifyConsistency(oldSize, newSize, unhex(CT_ROOTS[oldSize] as string), unhex(CT_ROOTS[newSize] as string), proof.map(unhex));
      expect(verdict, `${oldSize} → ${newSize}`).toEqual({ ok: true });
    }
  });

  it(`accepts every pair of sizes up to ${N}, the empty tree included`, async () => {
    for (let n = 0; n <= N; n += 1) {
      for (let m = 0; m <= n; m += 1) {
        expect(verifyConsistency(m, n, rootOf(m), rootOf(n), await consistencyProof(store, m, n)), `${m} → ${n}`).toEqual({ ok: true });
      }
    }
  });

  it('rejects every single-byte change to either root or the proof (sizes up to 16)', async () => {
    for (let n = 0; n <= 16; n += 1) {
      for (let m = 0; m <= n; m += 1) {
        const proof = await consistencyProof(store, m, n);
        for (const old of oneByteChanges(rootOf(m))) expect(verifyConsistency(m, n, old, rootOf(n), proof).ok, `${m} → ${n}`).toBe(false);
        for (const changed of proofChanges(proof)) expect(verifyConsistency(m, n, rootOf(m), rootOf(n), changed).ok).toBe(false);
        // Any tree extends the empty one, so from size 0 the new root is not checked.
        if (m === 0) continue;
        for (const root of oneByteChanges(rootOf(n))) expect(verifyConsistency(m, n, rootOf(m), root, proof).ok, `${m} → ${n}`).toBe(false);
      }
    }
  });

  it('rejects a proof replayed for other sizes, each with its own root', async () => {
    for (let n = 1; n <= 20; n += 1) {
      for (let m = 1; m < n; m += 1) {
        const proof = await consistencyProof(store, m, n);
        for (let m2 = 0; m2 <= N; m2 += 1) {
          for (const n2 of [n - 1, n + 1, m2, N]) {
            if ((m2 === m && n2 === n) || m2 > n2 || n2 < 1) continue;
            expect(verifyConsistency(m2, n2, rootOf(m2), rootOf(n2), proof).ok, `${m} → ${n} as ${m2} → ${n2}`).toBe(false);
          }
        }
      }
    }
  });

  it('catches a rewritten history', async () => {
    const rewritten = new MemoryTreeStore();
    await rewritten.append(leaves.map((leaf, i) => (i === 10 ? hashLeaf(Buffer.from('something else')) : leaf)));
    const honestOld = rootOf(20);
    const newRoot = await rootHash(rewritten, 40);
    // Whatever proof the rewritten log produces, it cannot link the checkpoint a trainer holds.
    expect(verifyConsistency(20, 40, honestOld, newRoot, await consistencyProof(rewritten, 20, 40))).toEqual({ ok: false, reason: 'old-root-mismatch' });
    expect(verifyConsistency(20, 40, honestOld, newRoot, await consistencyProof(store, 20, 40)).ok).toBe(false);
    // Only entries after the old checkpoint changed: the new root gives it away.
    const appendedDifferently = new MemoryTreeStore();
    await appendedDifferently.append(leaves.map((leaf, i) => (i === 30 ? hashLeaf(Buffer.from('late edit')) : leaf)));
    const proof = await consistencyProof(store, 20, 40);
    expect(verifyConsistency(20, 40, honestOld, await rootHash(appendedDifferently, 40), proof)).toEqual({ ok: false, reason: 'root-mismatch' });
  });

  it('rejects a proof with a hash too many or too few', async () => {
    const proof = await consistencyProof(store, 6, 13);
    const check = (p: Uint8Array[]) => verifyConsistency(6, 13, rootOf(6), rootOf(13), p);
    expect(check(proof)).toEqual({ ok: true });
    expect(check([...proof, rootOf(2)])).toEqual({ ok: false, reason: 'wrong-length' });
    expect(check(proof.slice(0, -1))).toEqual({ ok: false, reason: 'wrong-length' });
    expect(check([])).toEqual({ ok: false, reason: 'wrong-length' });
    expect(verifyConsistency(4, 4, rootOf(4), rootOf(4), [rootOf(4)])).toEqual({ ok: false, reason: 'wrong-length' });
    expect(verifyConsistency(0, 4, emptyRoot(), rootOf(4), [rootOf(4)])).toEqual({ ok: false, reason: 'wrong-length' });
    // Power-of-two old sizes leave the old root out of the proof; putting it in is one too many.
    const fromFour = await consistencyProof(store, 4, 13);
    expect(verifyConsistency(4, 13, rootOf(4), rootOf(13), [rootOf(4), ...fromFour])).toEqual({ ok: false, reason: 'wrong-length' });
  });

  it('answers hostile input with a verdict, never an exception', async () => {
    const proof = await consistencyProof(store, 3, 7);
    const [a, b] = [rootOf(3), rootOf(7)];
    const cases: Array<[unknown, unknown, unknown, unknown, unknown, string]> = [
      [7, 3, b, a, proof, 'out-of-range'],
      [-1, 7, a, b, proof, 'malformed'],
      [3, 7.5, a, b, proof, 'malformed'],
      [3, Number.NaN, a, b, proof, 'malformed'],
      [3, 2 ** 53, a, b, proof, 'malformed'],
      [3, 7, a.subarray(2), b, proof, 'malformed'],
      [3, 7, a, null, proof, 'malformed'],
      [3, 7, a, b, [proof[0], 'x'], 'malformed'],
      [3, 7, a, b, [proof[0], , proof[2]], 'malformed'], // a sparse array
      [3, 7, a, b, { length: 2 }, 'malformed'],
      [3, 7, a, b, Array.from({ length: 100_000 }, () => a), 'wrong-length'],
      [3, Number.MAX_SAFE_INTEGER, a, b, proof, 'wrong-length'],
      [0, 7, a, b, [], 'old-root-mismatch'],
      [3, 3, a, b, [], 'root-mismatch'],
    ];
    for (const [m, n, oldRoot, newRoot, p, reason] of cases) {
      const call = () => verifyConsistency(m as number, n as number, oldRoot as Uint8Array, newRoot as Uint8Array, p as Uint8Array[]);
      expect(call, `${String(m)} → ${String(n)}`).not.toThrow();
      expect(call()).toEqual({ ok: false, reason });
    }
  });
});
