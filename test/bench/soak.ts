import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Upload } from 'tus-js-client';
import { initNode } from '../../server/node/init.js';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { seedBulkSpeech } from '../helpers/bulk-speech.js';
import { apiClient, joinWithConsent, openTestContext, type Volunteer } from '../helpers/node.js';
import { swahiliSentences } from './text-corpus.js';

/**
 * The soak test (issue 13): one node, as users run it (compiled, its own process), under every
 * kind of work at once, in two bounded rounds: 20 volunteers uploading recordings resumably, others
 * writing text, validators voting, volunteers downloading their data, and a release build of a
 * seeded speech dataset. Records requests and errors by route, the node's event-loop delay (a
 * bench-only probe preloaded into it), its peak and final RSS against its idle RSS, and checks
 * that every write the node acknowledged is in its database.
 */
export interface SoakFigures {
  seconds: number;
  routes: Record<string, { ok: number; refused: number; errors: number }>;
  errors: number;
  lostWrites: number;
  acknowledgedWrites: number;
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  /**
   * `final` is as the node leaves it after settling; `finalCollected` after a full garbage
   * collection, compared with the idle node collected the same way: an idle node allocates
   * nothing, so V8 never collects what the load left. The load runs in two rounds: memory that
   * stays after the first but does not grow in the second is held (allocator arenas, caches),
   * not leaked.
   */
  rssMB: {
    idle: number;
    peak: number;
    final: number;
    idleCollected: number;
    finalCollected: number;
    finalOverIdle: number;
    afterEachRound: number[];
    growthSecondRound: number;
  };
  releases: Array<{ records: number; seconds: number } | { error: string }>;
}

const UPLOADERS = 20;
const WRITERS = 8;
const VALIDATORS = 6;
const EXPORTERS = 4;
/** Long enough for idle analysis threads to end (30 s) before memory is read. */
const SETTLE_MS = 35_000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM (peak) of a process, in MB, from /proc. */
function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMB: kb('VmRSS') / 1000, peakMB: kb('VmHWM') / 1000 };
}

interface Probe {
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  memory: { rssMB: number; heapUsedMB: number; externalMB: number };
}

function probe(child: ChildProcess, options: { reset?: boolean; collect?: boolean } = {}): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string } & Probe) => {
      if (message.type !== 'probe') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'probe', ...options });
    setTimeout(() => reject(new Error('soak: the node did not answer the probe')), 30_000).unref();
  });
}

async function startNode(root: string, dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', join(root, 'test/bench/loop-probe.js'), join(root, 'bin/tributary.js'), 'node', 'start', '--dir', dir, '--port', String(port)],
    // As the README says to run a node (and `npm start` does): glibc keeps large buffers out of
    // its heap, so memory a burst used goes back to the system.
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' } },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
  });
  return child;
}

/** `seconds` is each of the two rounds' length. */
export async function benchSoak(root: string, seconds = 60): Promise<SoakFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-soak-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  initNode(dir, {
    name: 'Soak node',
    languages: ['sw'],
    url: base,
    limits: { ratePerAddress: 1e9, ratePerToken: 1e9 },
  });
  // What the release build will take: 600 validated 5 s clips of 20 speakers (about 100 MB).
  seedBulkSpeech(dir, { records: 600, speakers: 20, seconds: 5, language: 'sw' });
  const setup = openTestContext(dir);
  setup.prompts.import('sw', [{ text: sentences['speech-5s.webm'] }, { text: sentences['sw.ogg'] }]);
  const admin = setup.contributors.issueAdminToken().token;
  await setup.close();

  const child = await startNode(root, dir, port);
  const api = apiClient(`${base}/api/v1`);
  const files = audioFixtures().files;
  const clips = [readFileSync(files['speech-5s.webm']), readFileSync(files['sw.ogg'])];
  const routes: SoakFigures['routes'] = {};
  const count = (route: string, outcome: 'ok' | 'refused' | 'errors') => {
    routes[route] ??= { ok: 0, refused: 0, errors: 0 };
    routes[route]![outcome]++;
  };
  const acknowledged = { samples: new Set<string>(), votes: [] as Array<[string, string]> };
  const sentence = swahiliSentences(7);

  try {
    const enrol = async (n: number) => Promise.all(Array.from({ length: n }, () => joinWithConsent(api)));
    const [uploaders, writers, validators] = [await enrol(UPLOADERS), await enrol(WRITERS), await enrol(VALIDATORS)];
    const prompts = (await api.get('/prompts?lang=sw&limit=10', uploaders[0]!.token)).body.prompts as Array<{ id: string; text: string }>;
    const promptFor = (clip: number) => prompts.find((p) => p.text === (clip === 0 ? sentences['speech-5s.webm'] : sentences['sw.ogg']))!.id;

    const upload = (volunteer: Volunteer, clip: number) =>
      new Promise<void>((resolve) => {
        const tus = new Upload(clips[clip]!, {
          endpoint: `${base}/api/v1/uploads`,
          chunkSize: 16 * 1024,
          retryDelays: [],
          headers: { authorization: `Bearer ${volunteer.token}` },
          metadata: { promptId: promptFor(clip) },
          onSuccess: ({ lastResponse }) => {
            const body = JSON.parse(lastResponse.getBody()) as { id: string };
            acknowledged.samples.add(body.id);
            count('tus upload → speech sample', 'ok');
            resolve();
          },
          onError: () => {
            count('tus upload → speech sample', 'errors');
            resolve();
          },
        });
        tus.start();
      });

    // Warm up every path once (a release build included: a first version for one purpose only,
    // so that the soak's build, for the default purposes, changes the rights and writes every
    // shard again), then let the node settle: idle is a node that has done each thing once.
    const first = await upload(uploaders[0]!, 0).then(() => [...acknowledged.samples][0]!);
    await api.post('/samples/text', { language: 'sw', text: sentence() }, writers[0]!.token);
    await api.get('/me/export', uploaders[0]!.token);
    await api.get('/samples/to-validate?lang=sw&modality=speech&limit=5', validators[0]!.token);
    await api.post(`/samples/${first}/votes`, { value: 'skip' }, validators[0]!.token);
    const warmBuild = await api.post('/admin/releases', { language: 'sw', modality: 'speech', purposes: ['evaluate'] }, admin);
    if (warmBuild.status !== 201) throw new Error(`warm-up release failed: ${JSON.stringify(warmBuild.body)}`);
    routes['tus upload → speech sample'] = { ok: 0, refused: 0, errors: 0 };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const idle = memoryOf(child.pid!).rssMB;
    await probe(child, { reset: true, collect: true });
    const idleCollected = memoryOf(child.pid!).rssMB;

    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, memoryOf(child.pid!).rssMB)), 100);
    const purposesByRound = [['train-asr', 'evaluate'], ['train-asr', 'train-tts', 'evaluate']];
    const releases: SoakFigures['releases'] = [];
    const rounds: Array<{ eventLoop: Probe['eventLoop']; settledMB: number; collectedMB: number }> = [];
    for (const [index, purposes] of purposesByRound.entries()) {
      console.error(`soak: round ${index + 1} of ${purposesByRound.length}, ${seconds} s…`);
      const until = Date.now() + seconds * 1000;
      const ticker = setInterval(() => {
        const done = Object.entries(routes).map(([route, r]) => `${route} ${r.ok}`).join(', ');
        console.error(`soak:   ${Math.max(0, Math.round((until - Date.now()) / 1000))} s left; ${done}`);
      }, 5000);
      const running = () => Date.now() < until;
      const loops: Array<Promise<unknown>> = [];
      for (const [i, volunteer] of uploaders.entries()) {
        loops.push((async () => {
          for (let n = i; running(); n++) await upload(volunteer, n % 2);
        })());
      }
      for (const writer of writers) {
        loops.push((async () => {
          while (running()) {
            const res = await api.post('/samples/text', { language: 'sw', text: sentence() }, writer.token);
            if (res.status === 201) acknowledged.samples.add(res.body.id);
            count('POST /samples/text', res.status === 201 ? 'ok' : 'errors');
          }
        })());
      }
      for (const validator of validators) {
        loops.push((async () => {
          for (let n = 0; running(); n++) {
            const modality = n % 2 ? 'speech' : 'text';
            const queue = await api.get(`/samples/to-validate?lang=sw&modality=${modality}&limit=5`, validator.token);
            count('GET /samples/to-validate', queue.status === 200 ? 'ok' : 'errors');
            for (const sample of (queue.body.samples ?? []) as Array<{ id: string }>) {
              const vote = await api.post(`/samples/${sample.id}/votes`, { value: 'up' }, validator.token);
              if (vote.status === 201) acknowledged.votes.push([sample.id, validator.id]);
              // Another validator may close a sample between the queue and the vote: a refusal, not an error.
              count('POST /samples/:id/votes', vote.status === 201 ? 'ok' : vote.status === 409 ? 'refused' : 'errors');
            }
          }
        })());
      }
      for (let e = 0; e < EXPORTERS; e++) {
        loops.push((async () => {
          for (let n = e; running(); n++) {
            const res = await api.get('/me/export', uploaders[n % UPLOADERS]!.token);
            count('GET /me/export', res.status === 200 ? 'ok' : 'errors');
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })());
      }
      // Each round's build changes the rights given, so it writes every shard again.
      loops.push((async () => {
        await new Promise((resolve) => setTimeout(resolve, Math.min(10, seconds / 4) * 1000));
        const started = performance.now();
        const built = await api.post('/admin/releases', { language: 'sw', modality: 'speech', purposes }, admin);
        count('POST /admin/releases', built.status === 201 ? 'ok' : 'errors');
        releases.push(
          built.status === 201
            ? { records: built.body.release.records, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) }
            : { error: JSON.stringify(built.body) },
        );
      })());
      // A node that stops answering must fail the bench, not hang it.
      let watchdog: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        watchdog = setTimeout(() => reject(new Error(`soak: round ${index + 1} did not finish 2 minutes after its end`)), (seconds + 120) * 1000);
      });
      await Promise.race([Promise.all(loops), stalled]).finally(() => {
        clearTimeout(watchdog);
        clearInterval(ticker);
      });
      const loaded = await probe(child, { reset: true });
      console.error(`soak:   settling ${SETTLE_MS / 1000} s…`);
      // Let idle timers run (analysis threads end when idle), then read what stays.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const settled = memoryOf(child.pid!).rssMB;
      await probe(child, { collect: true });
      rounds.push({ eventLoop: loaded.eventLoop, settledMB: settled, collectedMB: memoryOf(child.pid!).rssMB });
    }
    clearInterval(sampler);
    const after = memoryOf(child.pid!);

    const db = new Database(join(dir, 'node.sqlite'), { readonly: true });
    let lost = 0;
    try {
      const sampleExists = db.prepare('SELECT 1 FROM samples WHERE id = ?').pluck();
      const voteExists = db.prepare('SELECT 1 FROM votes WHERE sample_id = ? AND contributor_id = ?').pluck();
      for (const id of acknowledged.samples) if (!sampleExists.get(id)) lost++;
      for (const [sample, voter] of acknowledged.votes) if (!voteExists.get(sample, voter)) lost++;
    } finally {
      db.close();
    }
    const errors = Object.values(routes).reduce((n, r) => n + r.errors, 0);
    const round = (value: number) => Number(value.toFixed(1));
    const last = rounds.at(-1)!;
    return {
      seconds,
      routes,
      errors,
      lostWrites: lost,
      acknowledgedWrites: acknowledged.samples.size + acknowledged.votes.length,
      eventLoop: {
        p50Ms: round(Math.max(...rounds.map((r) => r.eventLoop.p50Ms))),
        p99Ms: round(Math.max(...rounds.map((r) => r.eventLoop.p99Ms))),
        maxMs: round(Math.max(...rounds.map((r) => r.eventLoop.maxMs))),
      },
      rssMB: {
        idle: round(idle),
        peak: round(Math.max(peak, after.peakMB)),
        final: round(last.settledMB),
        idleCollected: round(idleCollected),
        finalCollected: round(last.collectedMB),
        finalOverIdle: Number((last.collectedMB / idleCollected).toFixed(2)),
        afterEachRound: rounds.map((r) => round(r.collectedMB)),
        growthSecondRound: Number((last.collectedMB / rounds[0]!.collectedMB).toFixed(2)),
      },
      releases,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
