import { InvalidTreeRequestError } from './errors.js';
import { emptyRoot } from './hashing.js';
import { foldSubtrees, isTreeSize, splitPoint, subtreesOf, type NodeId } from './subtrees.js';
import type { TreeNodeReader } from './tree-store.js';

/**
 * Tree heads and proofs over stored subtree hashes, following RFC 9162 §2.1.3.1 (PATH) and
 * §2.1.4.1 (SUBPROOF) step by step. The recursion runs on leaf ranges, not hashes: it yields the
 * ranges whose MTH the proof lists, in the RFC's order; each range is then looked up as the
 * complete subtrees tiling it, all in one read, and folded back into its MTH.
 *
 * At most one range per proof is a right edge of the tree (the recursion only ever descends
 * into one incomplete subtree), so a proof reads at most 2·log2(size) + 1 stored hashes.
 */

/** A half-open range of leaf indices [start, end). */
type LeafRange = readonly [start: number, end: number];

/** MTH(D[0:size]): the root a checkpoint of this size signs. popcount(size) reads. */
export async function rootHash(reader: TreeNodeReader, size: number): Promise<Uint8Array> {
  if (!isTreeSize(size)) throw new InvalidTreeRequestError(`Tree size ${String(size)} is not a non-negative safe integer.`);
  if (size === 0) return emptyRoot();
  const [root] = await hashRanges(reader, [[0, size]]);
  return root as Uint8Array;
}

/** The audit path of leaf `leafIndex` in the tree of `treeSize` leaves, leaf end first. */
export async function inclusionProof(reader: TreeNodeReader, leafIndex: number, treeSize: number): Promise<Uint8Array[]> {
  if (!isTreeSize(treeSize) || !isTreeSize(leafIndex) || leafIndex >= treeSize) {
    throw new InvalidTreeRequestError(`No leaf ${String(leafIndex)} in a tree of ${String(treeSize)} leaves.`);
  }
  const ranges: LeafRange[] = [];
  path(leafIndex, 0, treeSize, ranges);
  return hashRanges(reader, ranges);
}

/**
 * The proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves. Empty
 * when oldSize is 0 or equals newSize: RFC 9162 defines PROOF for 0 < m < n only, and both
 * edges are what transparency-dev's verifiers (and ours, verify.ts) expect.
 */
export async function consistencyProof(reader: TreeNodeReader, oldSize: number, newSize: number): Promise<Uint8Array[]> {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) {
    throw new InvalidTreeRequestError(`No consistency proof from size ${String(oldSize)} to size ${String(newSize)}.`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const ranges: LeafRange[] = [];
  subproof(oldSize, 0, newSize, true, ranges);
  return hashRanges(reader, ranges);
}

/**
 * PATH(m, D[start:start+n]), RFC 9162 §2.1.3.1, with m relative to start:
 *   n = 1: {}
 *   m < k: PATH(m, D[0:k]) : MTH(D[k:n])
 *   m ≥ k: PATH(m − k, D[k:n]) : MTH(D[0:k])
 */
function path(m: number, start: number, n: number, out: LeafRange[]): void {
  if (n === 1) return;
  const k = splitPoint(n);
  if (m < k) {
    path(m, start, k, out);
    out.push([start + k, start + n]);
  } else {
    path(m - k, start + k, n - k, out);
    out.push([start, start + k]);
  }
}

/**
 * SUBPROOF(m, D[start:start+n], b), RFC 9162 §2.1.4.1:
 *   m = n: {} if b, else {MTH(D[m])}
 *   m ≤ k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
 *   m > k: SUBPROOF(m − k, D[k:n], false) : MTH(D[0:k])
 */
function subproof(m: number, start: number, n: number, b: boolean, out: LeafRange[]): void {
  if (m === n) {
    if (!b) out.push([start, start + n]);
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(m, start, k, b, out);
    out.push([start + k, start + n]);
  } else {
    subproof(m - k, start + k, n - k, false, out);
    out.push([start, start + k]);
  }
}

/** MTH of each range, from one read of all the complete subtrees that tile them. */
async function hashRanges(reader: TreeNodeReader, ranges: readonly LeafRange[]): Promise<Uint8Array[]> {
  const tiles = ranges.map(([start, end]) => subtreesOf(start, end));
  const ids: NodeId[] = tiles.flat();
  const hashes = await reader.readNodes(ids);
  if (hashes.length !== ids.length) throw new TypeError(`The store returned ${hashes.length} hashes for ${ids.length} ids.`);
  let at = 0;
  return tiles.map((tile) => {
    const range = hashes.slice(at, at + tile.length);
    at += tile.length;
    return foldSubtrees(range);
  });
}
