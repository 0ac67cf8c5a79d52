import { hashChildren } from './hashing.js';

/**
 * Names for the complete, aligned subtrees of the log. Subtree (level, index) holds the 2^level
 * leaves [index·2^level, (index+1)·2^level): level 0 is the leaves themselves, and node
 * (level + 1, i) has children (level, 2i) and (level, 2i + 1). Such a subtree never changes once
 * its last leaf is appended, so its hash can be stored for good (the tlog-tiles layout).
 *
 * Every subtree that RFC 9162's MTH recursion visits is either one of these or a right edge
 * [start, end) whose start is a multiple of the next power of two ≥ its length; the hash of a
 * right edge is a right fold over the complete subtrees that tile it (see `foldSubtrees`). So any
 * hash a proof needs is a handful of stored ones, and the arithmetic here says which.
 *
 * Sizes and indices are plain numbers and this file divides instead of shifting: bit operators
 * work on 32 bits, a log may one day hold more than 2^31 entries, and sizes up to 2^53 stay exact.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A subtree hash as stored: what `appendLeaves` returns and a store writes. */
export interface TreeNode extends NodeId {
  readonly hash: Uint8Array;
}

/** The largest power of two strictly less than n (n ≥ 2): RFC 9162's k, where a tree splits. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/**
 * The complete aligned subtrees that tile leaves [start, end), largest first. For the ranges
 * the RFC recursion produces, these are the binary digits of (end − start) from the top; for
 * [0, size) they are the log's "frontier", one subtree per set bit of size.
 */
export function subtreesOf(start: number, end: number): NodeId[] {
  const ids: NodeId[] = [];
  let at = start;
  while (at < end) {
    let width = 1;
    let level = 0;
    while (at % (width * 2) === 0 && at + width * 2 <= end) {
      width *= 2;
      level += 1;
    }
    ids.push({ level, index: at / width });
    at += width;
  }
  return ids;
}

/** MTH of a right-edge range from the hashes of `subtreesOf(range)`: c1 ⊕ (c2 ⊕ (… ⊕ cr)). */
export function foldSubtrees(hashes: readonly Uint8Array[]): Uint8Array {
  let hash = hashes[hashes.length - 1];
  if (!hash) throw new RangeError('foldSubtrees needs at least one hash');
  for (let i = hashes.length - 2; i >= 0; i -= 1) hash = hashChildren(hashes[i] as Uint8Array, hash);
  return hash;
}

export function isTreeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
