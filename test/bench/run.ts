/**
 * `npm run bench`: measures Tributary against baselines taken in the same run on the same
 * machine, and writes the figures to test/bench/results.json. Ratios, not absolute numbers,
 * are what to compare across machines.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identifyLanguage } from '../../pipelines/language/identify.js';
import { writeNodeConfig } from '../../server/node/config.js';
import { printTable } from '../../server/cli/output.js';
import { apiClient, joinWithConsent } from '../helpers/node.js';
import { load } from './load.js';
import { benchRelease } from './release.js';
import { benchAnalysis, benchEventLoop, benchUploads } from './speech.js';
import { swahiliSentences } from './text-corpus.js';

const root = join(fileURLToPath(import.meta.url), '../../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;

/** Servers run as users run them: compiled JavaScript, no TypeScript loader. */
function build() {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

async function stop(child: ChildProcess) {
  child.removeAllListeners('exit');
  await new Promise((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function benchTextIntake() {
  const echo = await startServer(['test/bench/echo-server.js']);
  const warm = swahiliSentences(7);
  const body = () => JSON.stringify({ language: 'sw', text: warm() });
  await load({ url: `${echo.url}/echo`, body, seconds: 2, connections: CONNECTIONS });
  const baseline = await load({ url: `${echo.url}/echo`, body, seconds: SECONDS, connections: CONNECTIONS });
  await stop(echo.child);

  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  writeNodeConfig(dir, {
    name: 'Bench node',
    languages: ['sw', 'yo'],
    limits: { ratePerAddress: 100_000_000, ratePerToken: 100_000_000 },
  });
  const node = await startServer(['bin/tributary.js', 'node', 'start', '--dir', dir, '--port', '0']);
  const volunteer = await joinWithConsent(apiClient(node.url + '/api/v1'));
  const sentences = swahiliSentences(42);
  const submit = {
    url: `${node.url}/api/v1/samples/text`,
    headers: { authorization: `Bearer ${volunteer.token}` },
    body: () => JSON.stringify({ language: 'sw', text: sentences() }),
    connections: CONNECTIONS,
  };
  await load({ ...submit, seconds: 2 });
  const intake = await load({ ...submit, seconds: SECONDS });
  await stop(node.child);
  rmSync(dir, { recursive: true, force: true });
  return { baseline, intake, ratio: intake.requestsPerSecond / baseline.requestsPerSecond };
}

function benchLanguageId() {
  const next = swahiliSentences(3);
  const sentences = Array.from({ length: 2000 }, next);
  const options = { candidates: ['swa', 'yor'] };
  for (const s of sentences.slice(0, 200)) identifyLanguage(s, options);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < 3000) {
    identifyLanguage(sentences[count % sentences.length]!, options);
    count++;
  }
  return { sentencesPerSecond: count / ((performance.now() - started) / 1000) };
}

build();
const lid = benchLanguageId();
const text = await benchTextIntake();
const analysis = benchAnalysis(root);
const uploads = await benchUploads(root);
const eventLoop = await benchEventLoop();
const release = benchRelease(root, Number(process.env.BENCH_RELEASE_GB ?? 1));
const results = {
  measuredAt: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  settings: { seconds: SECONDS, connections: CONNECTIONS },
  textIntake: {
    echoBaseline: text.baseline,
    postSamplesText: text.intake,
    ratio: Number(text.ratio.toFixed(3)),
    goal: '>= 0.5 of the bare Express JSON echo',
  },
  languageId: { sentencesPerSecond: Math.round(lid.sentencesPerSecond), candidates: ['swa', 'yor'] },
  audioAnalysis: { ...analysis, goal: '>= 300x real time per core for a 5 s webm/opus clip' },
  uploads: { ...uploads, goal: 'tus >= 0.8 of a plain streamed PUT' },
  eventLoop: { ...eventLoop, goal: 'p99 < 50 ms under 8 concurrent analyses' },
  releaseBuild: { ...release, goal: '>= 0.7 of tar then sha256sum over the same audio; peak RSS <= 300 MB' },
};
writeFileSync(join(root, 'test/bench/results.json'), JSON.stringify(results, null, 2) + '\n');
printTable(
  ['measure', 'value', 'baseline', 'ratio', 'goal'],
  [
    ['POST /samples/text req/s', text.intake.requestsPerSecond.toFixed(0), text.baseline.requestsPerSecond.toFixed(0), text.ratio.toFixed(2), '≥ 0.50'],
    ['  p99 latency ms', text.intake.latencyP99Ms, text.baseline.latencyP99Ms, '', ''],
    ['  non-2xx / errors', `${text.intake.non2xx} / ${text.intake.errors}`, `${text.baseline.non2xx} / ${text.baseline.errors}`, '', ''],
    ['language ID sentences/s', Math.round(lid.sentencesPerSecond), '', '', ''],
    ['clip analysis × real time (1 core)', analysis.realTimeFactor, '', '', '≥ 300'],
    ['tus 20 MB upload MB/s (one PATCH)', uploads.tusSinglePatchMBps, uploads.plainPutMBps, uploads.ratioSinglePatch.toFixed(2), '≥ 0.80'],
    ['tus 20 MB upload MB/s (1 MiB chunks)', uploads.tus1MiBChunksMBps, uploads.plainPutMBps, uploads.ratio1MiBChunks.toFixed(2), ''],
    ['event loop p99 ms, 8 analyses', eventLoop.loadedP99Ms, eventLoop.idleP99Ms, '', '< 50'],
    [`release build MB/s (${release.audioMB} MB)`, release.buildMBps, release.tarThenSha256sumMBps, release.ratio.toFixed(2), '≥ 0.70'],
    ['release build peak RSS MB', release.peakRssMB, '', '', '≤ 300'],
  ],
);
console.log('written to test/bench/results.json');
