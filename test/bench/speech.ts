import { spawnSync } from 'node:child_process';
import { median, startServer } from './servers.js';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Upload } from 'tus-js-client';
import { initNode } from '../../server/node/init.js';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { apiClient, joinWithConsent, openTestContext } from '../helpers/node.js';

const MB = 1024 * 1024;

/**
 * Decode + resample + facts + screening of a 5 s webm/opus clip on one thread, warm, in a
 * process of its own running the compiled pipeline (TypeScript loaders slow WebAssembly-heavy
 * code measurably, and users run compiled code); and the WebM/Opus decode alone.
 */
export function benchAnalysis(root: string): {
  clipSeconds: number;
  msPerClip: number;
  realTimeFactor: number;
  decodeMsPerClip: number;
  decodeRealTimeFactor: number;
} {
  const run = spawnSync(process.execPath, [join(root, 'test/bench/analyse-clip.js'), audioFixtures().files['speech-5s.webm']], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`clip analysis failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function tusUpload(endpoint: string, bytes: Buffer, token: string, promptId: string, chunkSize: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint,
      chunkSize,
      headers: { authorization: `Bearer ${token}` },
      metadata: { promptId },
      retryDelays: [],
      onSuccess: () => resolve(performance.now() - started),
      onError: (error) => {
        // The node refuses random bytes as AudioUndecodable after storing them: the transfer is done.
        const status = (error as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus();
        if (status === 422) resolve(performance.now() - started);
        else reject(error);
      },
    });
    upload.start();
  });
}

/** tus upload throughput of a 20 MB file into the node, against a plain streamed PUT. */
export async function benchUploads(root: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-tus-'));
  initNode(dir, {
    name: 'Bench node',
    languages: ['sw'],
    audio: { maxBytes: 64 * MB },
    limits: { ratePerAddress: 1e8, ratePerToken: 1e8 },
  });
  const bytes = randomBytes(20 * MB);
  const node = await startServer([join(root, 'bin/tributary.js'), 'node', 'start', '--dir', dir, '--port', '0'], root);
  // Both servers run in processes of their own; the clients run here.
  const put = await startServer([join(root, 'test/bench/put-server.js'), dir], root);
  try {
    const api = apiClient(node.url + '/api/v1');
    const admin = await joinWithConsent(api);
    const ctx = openTestContext(dir);
    ctx.prompts.import('sw', [{ text: sentences['sw.wav'] }]);
    await ctx.close();
    const promptId = (await api.get('/prompts?lang=sw', admin.token)).body.prompts[0].id as string;

    const rounds = 5;
    const times = { put: [] as number[], tusSingle: [] as number[], tus1MiB: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await put20MB(`${put.url}/upload`, bytes);
      times.put.push(performance.now() - started);
      times.tusSingle.push(await tusUpload(`${node.url}/api/v1/uploads`, bytes, admin.token, promptId, Infinity));
      times.tus1MiB.push(await tusUpload(`${node.url}/api/v1/uploads`, bytes, admin.token, promptId, MB));
    }
    const mbps = (ms: number[]) => Number((20 / (median(ms) / 1000)).toFixed(1));
    return {
      fileMB: 20,
      rounds,
      plainPutMBps: mbps(times.put),
      tusSinglePatchMBps: mbps(times.tusSingle),
      tus1MiBChunksMBps: mbps(times.tus1MiB),
      ratioSinglePatch: Number((median(times.put) / median(times.tusSingle)).toFixed(3)),
      ratio1MiBChunks: Number((median(times.put) / median(times.tus1MiB)).toFixed(3)),
    };
  } finally {
    await Promise.all([node.stop(), put.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The node's main-thread event-loop delay while 8 clips are analysed at once, against idle. */
export async function benchEventLoop() {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-loop-'));
  const config = initNode(dir, { name: 'Bench node', languages: ['sw'] });
  const ctx = openTestContext(dir);
  try {
    const { contributor } = ctx.contributors.register({});
    const notice = ctx.consent.notice('en');
    ctx.consent.give(contributor, { noticeId: notice.id, noticeSha256: notice.sha256, purposes: config.consent.required });
    ctx.prompts.import('sw', [{ text: sentences['speech-5s.webm'] }]);
    const promptId = ctx.prompts.forReading(contributor, 'sw', 1)[0]!.id;
    const bytes = new Uint8Array(readFileSync(audioFixtures().files['speech-5s.webm']));
    // Warm the worker threads first.
    await Promise.all(Array.from({ length: 8 }, () => ctx.speechIntake.submit(contributor, { promptId }, { bytes })));

    const measure = async (work: () => Promise<unknown>) => {
      const histogram = monitorEventLoopDelay({ resolution: 5 });
      histogram.enable();
      await work();
      histogram.disable();
      return { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
    };
    const idle = await measure(() => new Promise((resolve) => setTimeout(resolve, 2000)));
    let clips = 0;
    const loaded = await measure(async () => {
      const until = performance.now() + 5000;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (performance.now() < until) {
            await ctx.speechIntake.submit(contributor, { promptId }, { bytes });
            clips++;
          }
        }),
      );
    });
    const round = (v: number) => Number(v.toFixed(2));
    return {
      concurrentAnalyses: 8,
      clipsAnalysed: clips,
      idleP99Ms: round(idle.p99),
      loadedP50Ms: round(loaded.p50),
      loadedP99Ms: round(loaded.p99),
      loadedMaxMs: round(loaded.max),
    };
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plain PUT through node:http, the same HTTP stack tus-js-client uses in Node. */
function put20MB(url: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': bytes.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`PUT answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(bytes);
  });
}
