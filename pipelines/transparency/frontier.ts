import { emptyRoot, hashChildren, isHash } from './hashing.js';
import { foldSubtrees, isTreeSize, splitPoint, subtreesOf } from './subtrees.js';

/**
 * The frontier of a log of `size` leaves: the hashes of the complete subtrees that tile
 * [0, size) (`subtreesOf(0, size)`, largest first, one per set bit of size). It is all a verifier
 * needs to keep to go on appending leaves and recompute the root: a trainer that reads every
 * entry from a cursor up to a signed checkpoint appends each leaf to the frontier at the cursor,
 * and the root it ends with must be the checkpoint's, which proves every entry it read, in order,
 * with nothing skipped (a compact range [0, size) in transparency-dev's terms).
 *
 * Pure functions over plain arrays of 32-byte hashes; nothing here reads a store.
 */
export interface Frontier {
  readonly size: number;
  /** Hashes of `subtreesOf(0, size)`, largest first. */
  readonly hashes: readonly Uint8Array[];
}

export const EMPTY_FRONTIER: Frontier = { size: 0, hashes: [] };

/** Appends one leaf hash: the frontier of size + 1 (merging the right edge while size's low bits are set). */
export function appendToFrontier(frontier: Frontier, leafHash: Uint8Array): Frontier {
  if (!isHash(leafHash)) throw new RangeError('a leaf hash is 32 bytes');
  const hashes = [...frontier.hashes, leafHash];
  for (let n = frontier.size; n % 2 === 1; n = (n - 1) / 2) {
    const right = hashes.pop() as Uint8Array;
    const left = hashes.pop() as Uint8Array;
    hashes.push(hashChildren(left, right));
  }
  return { size: frontier.size + 1, hashes };
}

/** MTH(D[0:size]) from the frontier: the root a checkpoint of that size signs. */
export function frontierRoot(frontier: Frontier): Uint8Array {
  return frontier.size === 0 ? emptyRoot() : foldSubtrees(frontier.hashes);
}

/**
 * The frontier of `leafIndex` read off an inclusion proof of leaf `leafIndex` in a tree of
 * `treeSize` leaves (RFC 9162 order, leaf end first): its left siblings are exactly the complete
 * subtrees tiling [0, leafIndex). Null when the proof has not the length such a proof has. The
 * hashes are taken by position, not checked: the caller proves them by recomputing a signed root
 * from them (`frontierRoot` after appending every later leaf), which no wrong hash survives.
 */
export function frontierFromInclusionProof(leafIndex: number, treeSize: number, proof: readonly Uint8Array[]): Frontier | null {
  if (!isTreeSize(leafIndex) || !isTreeSize(treeSize) || leafIndex >= treeSize) return null;
  const sides: Array<'left' | 'right'> = [];
  sidesOfPath(leafIndex, 0, treeSize, sides);
  if (proof.length !== sides.length || !proof.every(isHash)) return null;
  const left = proof.filter((_, i) => sides[i] === 'left').reverse();
  if (left.length !== subtreesOf(0, leafIndex).length) return null;
  return { size: leafIndex, hashes: left.map((hash) => Uint8Array.from(hash)) };
}

/** Which side each hash of PATH(m, D[start:end]) is on, in the RFC's order (deepest first). */
function sidesOfPath(m: number, start: number, end: number, out: Array<'left' | 'right'>): void {
  if (end - start <= 1) return;
  const k = splitPoint(end - start);
  if (m < start + k) {
    sidesOfPath(m, start, start + k, out);
    out.push('right');
  } else {
    sidesOfPath(m, start + k, end, out);
    out.push('left');
  }
}
