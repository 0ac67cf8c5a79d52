import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CT_LEAF_DATA, CT_ROOTS } from '../../test/fixtures/transparency/ct-vectors.js';
import { emptyRoot, hashChildren, hashLeaf, isHash, sameHash } from './hashing.js';
import { hex, naiveLeafHash, naiveRoot } from '../../test/fixtures/transparency/naive-merkle.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('RFC 9162 §2.1.1 hashing', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(hex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(emptyRoot())).toBe(sha256(new Uint8Array()));
  });

  it('hashes a leaf as SHA-256(0x00 || data)', () => {
    expect(hex(hashLeaf(new Uint8Array()))).toBe(sha256(Uint8Array.of(0)));
    expect(hex(hashLeaf(Uint8Array.of(0x61, 0x62)))).toBe(sha256(Uint8Array.of(0, 0x61, 0x62)));
  });

  it('hashes a node as SHA-256(0x01 || left || right), in that order', () => {
    const left = hashLeaf(Uint8Array.of(1));
    const right = hashLeaf(Uint8Array.of(2));
    expect(hex(hashChildren(left, right))).toBe(sha256(Buffer.concat([Uint8Array.of(1), left, right])));
    expect(hex(hashChildren(left, right))).not.toBe(hex(hashChildren(right, left)));
  });

  it('never hashes a leaf like a node with the same bytes', () => {
    const left = hashLeaf(Uint8Array.of(1));
    const right = hashLeaf(Uint8Array.of(2));
    expect(hex(hashLeaf(Buffer.concat([left, right])))).not.toBe(hex(hashChildren(left, right)));
  });

  it('derives the roots of trees of 0..3 leaves by hand from the definition', () => {
    const [d0, d1, d2] = CT_LEAF_DATA as [Uint8Array, Uint8Array, Uint8Array];
    const l0 = sha256(Buffer.concat([Uint8Array.of(0), d0]));
    const l1 = sha256(Buffer.concat([Uint8Array.of(0), d1]));
    const l2 = sha256(Buffer.concat([Uint8Array.of(0), d2]));
    const node = (a: string, b: string) => sha256(Buffer.concat([Uint8Array.of(1), Buffer.from(a, 'hex'), Buffer.from(b, 'hex')]));
    expect(l0).toBe(CT_ROOTS[1]);
    expect(node(l0, l1)).toBe(CT_ROOTS[2]);
    // n = 3 splits at k = 2: MTH(D[0:2]) then the lone third leaf.
    expect(node(node(l0, l1), l2)).toBe(CT_ROOTS[3]);
  });

  it('reproduces the published RFC 6962 test-tree roots with the naive reference', () => {
    const leaves = CT_LEAF_DATA.map(naiveLeafHash);
    for (let n = 0; n <= 8; n += 1) expect(hex(naiveRoot(leaves.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
    expect(leaves.map(hex)).toEqual(CT_LEAF_DATA.map((data) => hex(hashLeaf(data))));
  });

  it('knows a hash when it sees one', () => {
    expect(isHash(new Uint8Array(32))).toBe(true);
    expect(isHash(Buffer.alloc(32))).toBe(true);
    for (const value of [new Uint8Array(31), new Uint8Array(33), 'a'.repeat(32), null, undefined, Array(32).fill(0)]) {
      expect(isHash(value)).toBe(false);
    }
    expect(sameHash(Uint8Array.of(1, 2), Buffer.from([1, 2]))).toBe(true);
    expect(sameHash(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(sameHash(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });
});
