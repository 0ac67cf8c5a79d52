import { InvalidTreeRequestError } from './errors.js';
import { hashChildren, isHash } from './hashing.js';
import { isTreeSize, type NodeId, type TreeNode } from './subtrees.js';
import type { TreeNodeReader } from './tree-store.js';

/**
 * Appends `leafHashes` (already `hashLeaf`ed) to a log of `size` entries and returns every subtree
 * hash that becomes complete, for the caller to store: the new leaves at level 0, then each
 * parent as soon as its right child exists. Nothing is written here.
 *
 * Writes: one per leaf plus one per completed parent, under 2 per leaf amortised and at most
 * log2(size) + 1 for a single leaf. Reads: only the frontier subtrees that a new leaf completes a
 * sibling of (for one leaf, as many as size has trailing one bits; on average one), in one call.
 */
export async function appendLeaves(reader: TreeNodeReader, size: number, leafHashes: readonly Uint8Array[]): Promise<TreeNode[]> {
  if (!isTreeSize(size)) throw new InvalidTreeRequestError(`Log size ${String(size)} is not a non-negative safe integer.`);
  if (!isTreeSize(size + leafHashes.length)) throw new InvalidTreeRequestError('The log would grow past 2^53 entries.');
  for (const [i, leaf] of leafHashes.entries()) {
    if (!isHash(leaf)) throw new InvalidTreeRequestError(`Leaf hash ${i} is not 32 bytes.`);
  }
  if (leafHashes.length === 0) return [];

  // The frontier of the log is one complete subtree per set bit of size. The one at level l ends
  // where the leaves' count rounded down to a multiple of w = 2^l does, and gets a parent once
  // the log reaches that end + w. Lower levels reach it first, so stop at the first that does not.
  const newSize = size + leafHashes.length;
  const needed: NodeId[] = [];
  for (let level = 0, width = 1; width <= size; level += 1, width *= 2) {
    const count = Math.floor(size / width);
    if (count % 2 === 0) continue;
    if (count * width + width > newSize) break;
    needed.unshift({ level, index: count - 1 });
  }
  const hashes = await reader.readNodes(needed);
  // The frontier as a stack, smallest subtree on top: a new node whose level equals the top's is
  // that subtree's right sibling.
  const stack: TreeNode[] = needed.map((id, i) => ({ ...id, hash: hashes[i] as Uint8Array }));

  const written: TreeNode[] = [];
  let index = size;
  for (const leaf of leafHashes) {
    let node: TreeNode = { level: 0, index, hash: new Uint8Array(leaf) };
    written.push(node);
    for (let top = stack.at(-1); top && top.level === node.level; top = stack.at(-1)) {
      stack.pop();
      node = { level: node.level + 1, index: top.index / 2, hash: hashChildren(top.hash, node.hash) };
      written.push(node);
    }
    stack.push(node);
    index += 1;
  }
  return written;
}
