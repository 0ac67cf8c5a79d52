/**
 * The measurement behind pipelines/transparency/README.md's figures: a log of 1,000,000
 * entries in a MemoryTreeStore, built with the appender one entry at a time, then proof
 * generation and verification timed one call at a time over random indices and sizes.
 *
 *   node --expose-gc --import tsx test/bench/transparency-proofs.ts [entries]
 *
 * (--expose-gc lets it collect the garbage of one phase before timing the next; without it the
 * means carry pauses that belong to building the log, not to proofs.)
 * The store answers from memory, so these are the cost of this stage alone (planning, hashing,
 * verifying); the index adds one database read of ≤ 2·log2(n) + 1 rows per proof. Run on its
 * own, not by `npm run bench`.
 */
import os from 'node:os';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { MemoryTreeStore } from '../../pipelines/transparency/memory-tree-store.js';
import { consistencyProof, inclusionProof, rootHash } from '../../pipelines/transparency/proofs.js';
import type { NodeId } from '../../pipelines/transparency/subtrees.js';
import type { TreeNodeReader } from '../../pipelines/transparency/tree-store.js';
import { verifyConsistency, verifyInclusion } from '../../pipelines/transparency/verify.js';

const ENTRIES = Number(process.argv[2] ?? 1_000_000);
const SAMPLES = 20_000;
const WARMUP = 2_000;

// A fixed-seed generator, so runs compare.
let seed = 0x9e3779b9;
function random(below: number): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
}

/** Wall-clock figures per call, and CPU time per call: on a busy machine the wall clock also counts time spent waiting for a CPU. */
function summary({ times, cpuMs }: { times: number[]; cpuMs: number }): string {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  return `mean ${us(mean)}, p50 ${us(at(0.5))}, p99 ${us(at(0.99))}, max ${us(at(1))}; CPU ${us(cpuMs / times.length)}`;
}

async function time<T>(samples: number, make: () => Promise<T> | T): Promise<{ times: number[]; cpuMs: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const times: number[] = [];
  let cpu = process.cpuUsage();
  for (let i = 0; i < WARMUP + samples; i += 1) {
    if (i === WARMUP) cpu = process.cpuUsage();
    const start = performance.now();
    await make();
    if (i >= WARMUP) times.push(performance.now() - start);
  }
  const used = process.cpuUsage(cpu);
  return { times, cpuMs: (used.user + used.system) / 1000 };
}

const store = new MemoryTreeStore();
const leafOf = (i: number) => hashLeaf(Buffer.from(JSON.stringify({ seq: i, type: 'manifest.published', id: `m-${i}` })));
const heapBefore = process.memoryUsage();
let started = performance.now();
for (let i = 0; i < ENTRIES; i += 1) await store.append([leafOf(i)]);
const buildMs = performance.now() - started;
const heapAfter = process.memoryUsage();
const memoryMiB = (heapAfter.arrayBuffers + heapAfter.heapUsed - heapBefore.arrayBuffers - heapBefore.heapUsed) / 2 ** 20;

console.log(`node ${process.version}, ${ENTRIES.toLocaleString('en')} entries, load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} CPUs`);
console.log(`build: ${(buildMs / 1000).toFixed(2)} s, ${((buildMs * 1000) / ENTRIES).toFixed(2)} µs per append (hash + subtrees); store ≈ ${memoryMiB.toFixed(0)} MiB`);

started = performance.now();
const root = await rootHash(store, ENTRIES);
console.log(`root: ${((performance.now() - started) * 1000).toFixed(1)} µs`);

let maxReads = 0;
const countingStore: TreeNodeReader = {
  readNodes: (ids: readonly NodeId[]) => {
    maxReads = Math.max(maxReads, ids.length);
    return store.readNodes(ids);
  },
};

// Inclusion: random leaves of the full tree.
const indices = Array.from({ length: WARMUP + SAMPLES }, () => random(ENTRIES));
let k = 0;
const inclusionProofs: Array<[number, Uint8Array[]]> = [];
const inclusionGen = await time(SAMPLES, async () => {
  const index = indices[k++] as number;
  const proof = await inclusionProof(countingStore, index, ENTRIES);
  inclusionProofs.push([index, proof]);
});
const leaves = inclusionProofs.map(([index]) => leafOf(index));
k = 0;
let failures = 0;
const inclusionVerify = await time(SAMPLES, () => {
  const [index, proof] = inclusionProofs[k] as [number, Uint8Array[]];
  if (!verifyInclusion(leaves[k] as Uint8Array, index, ENTRIES, proof, root).ok) failures += 1;
  k += 1;
});
console.log(`inclusion proof, generate: ${summary(inclusionGen)}`);
console.log(`inclusion proof, verify:   ${summary(inclusionVerify)}`);

// Consistency: from a random earlier size to the full tree (what `tributary verify` asks for).
const oldSizes = Array.from({ length: WARMUP + SAMPLES }, () => 1 + random(ENTRIES - 1));
const oldRoots = await Promise.all(oldSizes.map((size) => rootHash(store, size)));
k = 0;
const consistencyProofs: Uint8Array[][] = [];
const consistencyGen = await time(SAMPLES, async () => {
  consistencyProofs.push(await consistencyProof(countingStore, oldSizes[k++] as number, ENTRIES));
});
k = 0;
const consistencyVerify = await time(SAMPLES, () => {
  const size = oldSizes[k] as number;
  if (!verifyConsistency(size, ENTRIES, oldRoots[k] as Uint8Array, root, consistencyProofs[k] as Uint8Array[]).ok) failures += 1;
  k += 1;
});
console.log(`consistency proof, generate: ${summary(consistencyGen)}`);
console.log(`consistency proof, verify:   ${summary(consistencyVerify)}`);
console.log(`most hashes read for one proof: ${maxReads}; verification failures: ${failures}`);
if (failures > 0) process.exitCode = 1;
