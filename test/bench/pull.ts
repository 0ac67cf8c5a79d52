import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initIndex } from '../../server/index/init.js';
import { initNode } from '../../server/node/init.js';
import { IndexClient } from '../../server/trainer/index-client.js';
import { manifestFacts } from '../../server/trainer/manifest-facts.js';
import { pull } from '../../server/trainer/pull.js';
import { seedBulkSpeech } from '../helpers/bulk-speech.js';
import { killHard, startNodeProcess } from '../helpers/cli.js';
import { TEST_CONFIG } from '../helpers/node.js';
import { startIndexProcess } from '../index/helpers.js';
import { freePort } from '../helpers/ports.js';

/**
 * Pull throughput (issue 9: goal ≥ 80% of the baseline): `pull` (search, node keys, log proofs,
 * envelope verification, access, bounded parallel downloads hashed while streaming, the folder
 * laid out) against the baseline of downloading the same shards from the same nodes with the
 * same concurrency and hashing them, nothing else. Two node processes and one index process on
 * 127.0.0.1; each round pulls into a fresh folder; rounds alternate.
 */
const root = join(fileURLToPath(import.meta.url), '../../..');
const entry = join(root, 'server/cli/tributary.ts');


function cli(args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (result.status !== 0) throw new Error(`tributary ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The baseline: every shard fetched, sha256-hashed and written to a file, `concurrency` at a time; nothing else. */
async function plainDownload(files: Array<{ url: string; sha256: string; path: string }>, concurrency: number): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const response = await fetch(file.url);
      if (!response.ok || !response.body) throw new Error(`${file.url}: ${response.status}`);
      const hash = createHash('sha256');
      await mkdir(dirname(file.path), { recursive: true });
      const handle = await open(file.path, 'w');
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          await handle.write(chunk);
        }
      } finally {
        await handle.close();
      }
      if (hash.digest('hex') !== file.sha256) throw new Error(`${file.url}: sha256 differs`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return bytes;
}

export interface PullBenchOptions {
  nodes: number;
  recordsPerNode: number;
  secondsPerRecord: number;
  rounds: number;
  concurrency: number;
}

export async function benchPull(options: PullBenchOptions) {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-pull-'));
  const children: Array<Parameters<typeof killHard>[0]> = [];
  try {
    const indexPort = await freePort();
    const indexDir = join(work, 'index');
    initIndex(indexDir, { name: 'Bench index', url: `http://127.0.0.1:${indexPort}`, limits: { ratePerAddress: 1_000_000, ratePerToken: 1_000_000 } });
    const index = await startIndexProcess(indexDir, { env: { TRIBUTARY_PORT: String(indexPort) } });
    children.push(index.child);

    for (let n = 0; n < options.nodes; n++) {
      const dir = join(work, `node-${n}`);
      const port = await freePort();
      initNode(dir, { ...TEST_CONFIG, name: `Bench node ${n}`, languages: ['sw'], url: `http://127.0.0.1:${port}` });
      seedBulkSpeech(dir, { records: options.recordsPerNode, speakers: 20, seconds: options.secondsPerRecord, language: 'sw' });
      cli(['release', 'build', '--dir', dir, '--lang', 'sw', '--modality', 'speech', '--shard-mb', '8']);
      const started = await startNodeProcess(dir, [], { TRIBUTARY_PORT: String(port), TRIBUTARY_LOG_LEVEL: 'warn' });
      children.push(started.child);
      cli(['release', 'publish', '--dir', dir, '--index', index.url]);
    }

    // The shards the pull will fetch, as the baseline fetches them.
    const client = new IndexClient(index.url);
    const { manifests } = await client.searchAll({});
    const shards: Array<{ url: string; sha256: string; bytes: number }> = [];
    for (const item of manifests) {
      const envelope = JSON.parse(await client.envelope(item.envelope.split('/').pop()!)) as { payload: string };
      const facts = manifestFacts(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')));
      for (const shard of facts.shards) shards.push({ url: shard.contentUrl, sha256: shard.sha256, bytes: shard.bytes });
    }
    const totalBytes = shards.reduce((sum, shard) => sum + shard.bytes, 0);

    const baseline: number[] = [];
    const pulled: number[] = [];
    // Round 0 warms both paths (connections, JIT, page cache) and is not counted.
    for (let round = 0; round <= options.rounds; round++) {
      const plainDir = join(work, `plain-${round}`);
      let started = performance.now();
      const bytes = await plainDownload(
        shards.map((shard, i) => ({ ...shard, path: join(plainDir, `${i}.parquet`) })),
        options.concurrency,
      );
      const baselineMBps = bytes / 1e6 / ((performance.now() - started) / 1000);
      rmSync(plainDir, { recursive: true, force: true });

      const out = join(work, `pulled-${round}`);
      started = performance.now();
      const report = await pull({ index: index.url, out, filters: {}, requester: {}, concurrency: options.concurrency });
      const seconds = (performance.now() - started) / 1000;
      if (report.datasets.some((row) => row.outcome !== 'pulled')) throw new Error(`pull: ${JSON.stringify(report.datasets)}`);
      rmSync(out, { recursive: true, force: true });
      if (round === 0) continue;
      baseline.push(baselineMBps);
      pulled.push(totalBytes / 1e6 / seconds);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const round2 = (value: number) => Math.round(value * 100) / 100;
    return {
      nodes: options.nodes,
      datasets: manifests.length,
      shards: shards.length,
      megabytes: round2(totalBytes / 1e6),
      concurrency: options.concurrency,
      rounds: options.rounds,
      pullMBps: round2(median(pulled)),
      baselineMBps: round2(median(baseline)),
      /** Median of each round's pull over the same round's baseline: rounds are paired, so load from other processes cancels out. */
      ratio: round2(median(pulled.map((value, i) => value / baseline[i]!))),
      pullRoundsMBps: pulled.map(round2),
      baselineRoundsMBps: baseline.map(round2),
      goal: 'pull >= 80% of plain download + sha256 of the same shards from the same nodes',
    };
  } finally {
    for (const child of children) await killHard(child);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The `pull` section of `npm run bench` (test/bench/run.ts): sizes from BENCH_PULL_* when set. */
export async function pullSection(results: Record<string, unknown>, rows: Array<Array<string | number>>): Promise<void> {
  const env = (name: string, fallback: number) => Number(process.env[`BENCH_PULL_${name}`] ?? fallback);
  const measured = await benchPull({
    nodes: env('NODES', 2),
    recordsPerNode: env('RECORDS', 600),
    secondsPerRecord: env('SECONDS', 4),
    rounds: env('ROUNDS', 5),
    concurrency: env('CONCURRENCY', 4),
  });
  results.pull = measured;
  rows.push([
    `pull MB/s (${measured.megabytes} MB, ${measured.shards} shards, ${measured.nodes} nodes)`,
    measured.pullMBps,
    measured.baselineMBps,
    measured.ratio.toFixed(2),
    '≥ 0.80 of download + sha256',
  ]);
}
