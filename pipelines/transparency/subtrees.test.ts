import { describe, expect, it } from 'vitest';
import { isPowerOfTwo, isTreeSize, splitPoint, subtreesOf } from './subtrees.js';

describe('subtree arithmetic', () => {
  it('splits a tree at the largest power of two below its size', () => {
    expect([2, 3, 4, 5, 8, 9, 1000, 1024, 1025].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 512, 512, 1024]);
    expect(splitPoint(2 ** 52 + 1)).toBe(2 ** 52);
  });

  it('tiles [0, size) with one complete subtree per set bit of size, largest first', () => {
    expect(subtreesOf(0, 0)).toEqual([]);
    expect(subtreesOf(0, 1)).toEqual([{ level: 0, index: 0 }]);
    expect(subtreesOf(0, 6)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
    ]);
    expect(subtreesOf(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(subtreesOf(0, 1_000_000)).toHaveLength(7); // 1e6 = 0b11110100001001000000
  });

  it('tiles right edges and aligned ranges', () => {
    expect(subtreesOf(8, 13)).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(subtreesOf(16, 32)).toEqual([{ level: 4, index: 1 }]);
    // Beyond 2^32, where bit operators would wrap.
    expect(subtreesOf(2 ** 40, 2 ** 40 + 3)).toEqual([
      { level: 1, index: 2 ** 39 },
      { level: 0, index: 2 ** 40 + 2 },
    ]);
  });

  it('recognises powers of two and tree sizes', () => {
    expect([1, 2, 4, 2 ** 50].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 6, 12, 2 ** 50 + 2].some(isPowerOfTwo)).toBe(false);
    expect([0, 1, Number.MAX_SAFE_INTEGER].every(isTreeSize)).toBe(true);
    expect([-1, 1.5, NaN, Infinity, 2 ** 53, '3', null].some(isTreeSize)).toBe(false);
  });
});
