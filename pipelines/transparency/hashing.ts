import { hash } from 'node:crypto';

/**
 * The Merkle tree hashing of RFC 9162 §2.1.1 (the same as RFC 6962 §2.1), SHA-256 throughout.
 * The 0x00 / 0x01 prefixes keep a leaf from ever hashing like an interior node, which is what
 * makes a proof for one unambiguous (second-preimage resistance).
 */
export const HASH_SIZE = 32;

// One-shot crypto.hash over one buffer is about twice as fast as a Hash object fed three
// updates (1.1 µs against 2.3 µs per node here), and proofs are nothing but node hashes.

/** MTH({d(0)}) = SHA-256(0x00 || d(0)): the hash of one log entry, whatever bytes the caller logs. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = 0x00;
  input.set(data, 1);
  return hash('sha256', input, 'buffer');
}

/** SHA-256(0x01 || left || right): an interior node from its two children. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash('sha256', input, 'buffer');
}

/** MTH({}) = SHA-256(""), the root of the empty tree. A fresh copy each call: hashes are mutable bytes. */
export function emptyRoot(): Uint8Array {
  return hash('sha256', new Uint8Array(0), 'buffer');
}

export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** Byte equality; hashes are public, so no constant-time compare is needed. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
