import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initNode } from '../../server/node/init.js';
import { seedBulkSpeech } from '../helpers/bulk-speech.js';

/**
 * Release build throughput on a synthetic speech dataset of about `gigabytes` GB, against the
 * same work done by standard tools in the same run: `tar` writes the clips into one archive and
 * `sha256sum` hashes it (the build, too, writes every clip into shards and hashes them, and
 * also fsyncs them). Plus the build's peak RSS.
 */
export function benchRelease(root: string, gigabytes = 1) {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-release-'));
  try {
    initNode(dir, { name: 'Bench node', languages: ['sw'], url: 'https://bench.example.org' });
    const seconds = 5;
    const clipBytes = 44 + 16000 * seconds * 2;
    const records = Math.ceil((gigabytes * 1e9) / clipBytes);
    const seeded = seedBulkSpeech(dir, { records, speakers: 50, seconds, language: 'sw' });
    // Both sides read the clips warm from the page cache, as seeding has just written them.
    const archive = join(dir, 'baseline.tar');
    const baselineStarted = performance.now();
    execFileSync('bash', ['-c', `tar -C "${join(dir, 'blobs')}" -cf "${archive}" samples && sha256sum "${archive}" > /dev/null`]);
    const baselineSeconds = (performance.now() - baselineStarted) / 1000;
    rmSync(archive);

    const run = spawnSync(process.execPath, [join(root, 'test/bench/build-release.js'), dir, 'sw'], { cwd: root, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`release build failed: ${run.stderr}`);
    const build = JSON.parse(run.stdout) as { seconds: number; records: number; shardBytes: number; shards: number; peakRssMB: number };
    const mb = seeded.bytes / 1e6;
    return {
      audioMB: Math.round(mb),
      records: build.records,
      shards: build.shards,
      buildMBps: Number((mb / build.seconds).toFixed(1)),
      tarThenSha256sumMBps: Number((mb / baselineSeconds).toFixed(1)),
      ratio: Number((baselineSeconds / build.seconds).toFixed(3)),
      peakRssMB: Math.round(build.peakRssMB),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
