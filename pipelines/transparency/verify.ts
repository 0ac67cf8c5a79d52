import { emptyRoot, hashChildren, isHash, sameHash } from './hashing.js';
import { isPowerOfTwo, isTreeSize } from './subtrees.js';

/**
 * Proof verification, RFC 9162 §2.1.3.2 and §2.1.4.2, for the trainer's side. Everything here
 * arrives from the network, so nothing is trusted from the types: sizes may be negative or
 * fractional, a proof may be too long, too short or hold something other than 32-byte hashes.
 * The answer is a verdict, never an exception. The reasons are for logs and tests; a caller
 * acts on `ok` only.
 */
export type ProofRefusal =
  /** An argument is not what it must be: a size that is not a safe integer, a hash not of 32 bytes. */
  | 'malformed'
  /** The leaf index is not below the tree size, or the old size is above the new one. */
  | 'out-of-range'
  /** The proof has more or fewer hashes than a tree of these sizes calls for. */
  | 'wrong-length'
  /** The recomputed root is not the one given (for consistency: the new root). */
  | 'root-mismatch'
  /** Consistency only: the proof does not lead back to the old root. */
  | 'old-root-mismatch';

export type ProofVerdict = { ok: true } | { ok: false; reason: ProofRefusal };

const OK: ProofVerdict = { ok: true };
const refuse = (reason: ProofRefusal): ProofVerdict => ({ ok: false, reason });

/** Does `proof` show that `leafHash` is entry `leafIndex` of the tree of `treeSize` entries with this root? */
export function verifyInclusion(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofVerdict {
  if (!isTreeSize(leafIndex) || !isTreeSize(treeSize) || !isHash(leafHash) || !isHash(root) || !isHashList(proof)) {
    return refuse('malformed');
  }
  // 1. leaf_index ≥ tree_size fails.
  if (leafIndex >= treeSize) return refuse('out-of-range');
  // 2. fn = leaf_index, sn = tree_size − 1.  3. r = hash.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  // 4. For each p in the path:
  for (const p of proof) {
    // a. sn = 0 with hashes left over: the proof is too long.
    if (sn === 0) return refuse('wrong-length');
    // b. fn is a right child, or the last node of its level (so it has no right sibling there).
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      // A last node with no sibling at this level moves up unchanged until it is a right child.
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    // c.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. All levels consumed, and the root recomputed.
  if (sn !== 0) return refuse('wrong-length');
  return sameHash(r, root) ? OK : refuse('root-mismatch');
}

/**
 * Does `proof` show that the tree of `oldSize` entries with `oldRoot` is a prefix of the tree of
 * `newSize` entries with `newRoot`? The two edges RFC 9162 leaves out are decided as
 * transparency-dev's verifier does, plus one check: equal sizes need an empty proof and equal
 * roots; an old size of 0 needs an empty proof and the empty tree's root as `oldRoot` (any new
 * root extends the empty tree, so `newRoot` is not checked there).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): ProofVerdict {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || !isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof)) {
    return refuse('malformed');
  }
  if (oldSize > newSize) return refuse('out-of-range');
  if (oldSize === newSize) {
    if (proof.length !== 0) return refuse('wrong-length');
    return sameHash(oldRoot, newRoot) ? OK : refuse('root-mismatch');
  }
  if (oldSize === 0) {
    if (proof.length !== 0) return refuse('wrong-length');
    return sameHash(oldRoot, emptyRoot()) ? OK : refuse('old-root-mismatch');
  }

  // 1. An empty consistency_path fails.
  if (proof.length === 0) return refuse('wrong-length');
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  // 3. fn = first − 1, sn = second − 1.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // 4. If LSB(fn) is set, right-shift both until it is not.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = the first value.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6. For each subsequent value c:
  for (let i = 1; i < path.length; i += 1) {
    const c = path[i] as Uint8Array;
    // a. sn = 0 with hashes left over: the proof is too long.
    if (sn === 0) return refuse('wrong-length');
    // b.
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    // c.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr = first_hash, sr = second_hash, and sn = 0.
  if (sn !== 0) return refuse('wrong-length');
  if (!sameHash(fr, oldRoot)) return refuse('old-root-mismatch');
  return sameHash(sr, newRoot) ? OK : refuse('root-mismatch');
}

// A plain loop, not `every`: `every` skips the holes of a sparse array.
function isHashList(proof: unknown): proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) return false;
  for (let i = 0; i < proof.length; i += 1) if (!isHash(proof[i])) return false;
  return true;
}

// Sizes may pass 2^32, where JavaScript's bit operators would wrap; these stay exact to 2^53.
function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}
