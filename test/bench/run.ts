/**
 * `npm run bench`: measures Tributary against baselines taken in the same run on the same
 * machine, and writes the figures to test/bench/results.json. Ratios, not absolute numbers,
 * are what to compare across machines.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from '../../server/cli/output.js';
import { postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { appSection } from './app.js';
import { benchIndex, benchTwoProcesses } from './index.js';
import { benchLargeNode } from './large-node.js';
import { pullSection } from './pull.js';
import { benchRelease } from './release.js';
import { benchSoak } from './soak.js';
import { benchAnalysis, benchEventLoop, benchUploads } from './speech.js';
import { benchLanguageId, benchTextIntake } from './text.js';

const root = join(fileURLToPath(import.meta.url), '../../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = [16, 64];

/** Servers run as users run them: compiled JavaScript, no TypeScript loader. */
function build() {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/**
 * `npm run bench` runs every section; `npm run bench -- text uploads` runs the named ones and
 * keeps the other sections' figures from the last results file.
 */
const SECTIONS = ['text', 'analysis', 'uploads', 'eventLoop', 'release', 'soak', 'index', 'largeNode', 'pull', 'app'] as const;
type Section = (typeof SECTIONS)[number];
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !SECTIONS.includes(name as Section));
if (unknown.length > 0) {
  console.error(`unknown bench section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
  process.exit(2);
}
const runs = (section: Section) => asked.length === 0 || asked.includes(section);
const resultsPath = join(root, 'test/bench/results.json');
const previous: Record<string, unknown> = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};

build();
const rows: (string | number)[][] = [];
const results: Record<string, unknown> = {
  ...previous,
  measuredAt: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  settings: { secondsPerRound: SECONDS, rounds: ROUNDS, connections: CONNECTIONS },
};
if (runs('text')) {
  const lid = await benchLanguageId();
  const text = await benchTextIntake(root, { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS });
  results.textIntake = {
    echoBaseline: text.baseline,
    postSamplesText: text.intake,
    levels: text.levels,
    peakRoundRatios: text.peakRoundRatios,
    cpuMicrosecondsPerRequest: text.cpuMicrosecondsPerRequest,
    ratio: Number(text.ratio.toFixed(3)),
    goal: '>= 0.5 of the bare Express JSON echo, each at its peak (16 or 64 connections)',
  };
  // What a learned model adds to each text, against what the node spends on a text request.
  const learnedMicroseconds = 1e6 / lid.withLearnedModel.sentencesPerSecond - 1e6 / lid.sentencesPerSecond;
  results.languageId = {
    sentencesPerSecond: Math.round(lid.sentencesPerSecond),
    candidates: ['swa', 'yor'],
    withLearnedModel: {
      sentencesPerSecond: Math.round(lid.withLearnedModel.sentencesPerSecond),
      model: lid.withLearnedModel.model,
      addedMicrosecondsPerText: Number(learnedMicroseconds.toFixed(1)),
      shareOfIntakeCpuPerRequest: Number((learnedMicroseconds / text.cpuMicrosecondsPerRequest.intake).toFixed(3)),
      goal: 'intake throughput drops by at most 10% with a learned model: its added CPU per text ≤ 0.1 of the intake CPU per request',
    },
  };
  rows.push(
    ['POST /samples/text req/s, peak', `${text.intake.requestsPerSecond.toFixed(0)} (${text.intake.connections} conns)`, `${text.baseline.requestsPerSecond.toFixed(0)} (${text.baseline.connections} conns)`, text.ratio.toFixed(2), `≥ 0.50; rounds ${text.peakRoundRatios.map((r) => r.toFixed(2)).join(' ')}`],
    ...text.levels.map((level) => [
      `  at ${level.connections} connections`,
      level.intake.requestsPerSecond.toFixed(0),
      level.echo.requestsPerSecond.toFixed(0),
      (level.intake.requestsPerSecond / level.echo.requestsPerSecond).toFixed(2),
      `rounds ${level.roundRatios.map((r) => r.toFixed(2)).join(' ')}`,
    ]),
    ['  server CPU µs per request', text.cpuMicrosecondsPerRequest.intake, text.cpuMicrosecondsPerRequest.echo, text.cpuMicrosecondsPerRequest.ratio.toFixed(2), ''],
    ['  p99 latency ms at peak', text.intake.latencyP99Ms, text.baseline.latencyP99Ms, '', ''],
    ['  non-2xx / errors', `${text.intake.non2xx} / ${text.intake.errors}`, `${text.baseline.non2xx} / ${text.baseline.errors}`, '', ''],
    ['language ID sentences/s', Math.round(lid.sentencesPerSecond), '', '', ''],
    [
      '  with a learned model',
      Math.round(lid.withLearnedModel.sentencesPerSecond),
      '',
      '',
      `+${learnedMicroseconds.toFixed(1)} µs a text = ${((learnedMicroseconds / text.cpuMicrosecondsPerRequest.intake) * 100).toFixed(1)}% of intake CPU (≤ 10%)`,
    ],
  );
}
if (runs('analysis')) {
  const analysis = benchAnalysis(root);
  results.audioAnalysis = { ...analysis, goal: '>= 300x real time per core for a 5 s webm/opus clip, analysis and decode alone' };
  rows.push(
    ['clip analysis × real time (1 core)', analysis.realTimeFactor, '', '', '≥ 300'],
    ['  webm/opus decode alone × real time', analysis.decodeRealTimeFactor, '', '', '≥ 300'],
  );
}
if (runs('uploads')) {
  const uploads = await benchUploads(root);
  results.uploads = { ...uploads, goal: 'tus >= 0.8 of a plain streamed PUT' };
  rows.push(
    ['tus 20 MB upload MB/s (one PATCH)', uploads.tusSinglePatchMBps, uploads.plainPutMBps, uploads.ratioSinglePatch.toFixed(2), '≥ 0.80'],
    ['tus 20 MB upload MB/s (1 MiB chunks)', uploads.tus1MiBChunksMBps, uploads.plainPutMBps, uploads.ratio1MiBChunks.toFixed(2), ''],
  );
}
if (runs('eventLoop')) {
  const eventLoop = await benchEventLoop();
  results.eventLoop = { ...eventLoop, goal: 'p99 < 50 ms under 8 concurrent analyses' };
  rows.push(['event loop p99 ms, 8 analyses', eventLoop.loadedP99Ms, eventLoop.idleP99Ms, '', '< 50']);
}
if (runs('release')) {
  const release = benchRelease(root, Number(process.env.BENCH_RELEASE_GB ?? 1));
  results.releaseBuild = { ...release, goal: '>= 0.7 of tar then sha256sum over the same audio; peak RSS <= 300 MB' };
  rows.push(
    [`release build MB/s (${release.audioMB} MB)`, release.buildMBps, release.tarThenSha256sumMBps, release.ratio.toFixed(2), '≥ 0.70'],
    ['release build peak RSS MB', release.peakRssMB, '', '', '≤ 300'],
  );
}
if (runs('soak')) {
  const soak = await benchSoak(root, Number(process.env.BENCH_SOAK_SECONDS ?? 60));
  results.soak = {
    ...soak,
    goal: '0 errors, 0 lost writes, peak RSS <= 300 MB, final RSS within 20% of idle (both after a full GC)',
  };
  rows.push(
    [`soak: 2 rounds × ${soak.seconds} s, errors / lost writes`, `${soak.errors} / ${soak.lostWrites}`, `${soak.acknowledgedWrites} writes`, '', '0 / 0'],
    ...Object.entries(soak.routes).map(([route, r]) => [`  ${route}`, `${r.ok} ok`, `${r.refused} refused, ${r.errors} errors`, '', '']),
    ['  event loop p99 ms', soak.eventLoop.p99Ms, '', '', ''],
    ['  RSS MB peak', soak.rssMB.peak, soak.rssMB.idle, '', '≤ 300'],
    ['  RSS MB final (after GC) / idle', soak.rssMB.finalCollected, soak.rssMB.idleCollected, soak.rssMB.finalOverIdle.toFixed(2), '≤ 1.20'],
    ['  RSS MB after each round (GC)', soak.rssMB.afterEachRound.join(' → '), '', soak.rssMB.growthSecondRound.toFixed(2), 'no growth'],
  );
}
if (runs('index')) {
  const env = (name: string, fallback: number) => Number(process.env[`BENCH_INDEX_${name}`] ?? fallback);
  const index = await benchIndex({ manifests: env('MANIFESTS', 100_000), nodes: env('NODES', 1000), feedEvents: env('FEED', 100_000), logEntries: env('LOG', 1_000_000), intake: env('INTAKE', 2000) });
  const indexResults: Record<string, unknown> = { ...index, goal: 'search p95 <= 10 ms at 100,000 manifests from 1,000 nodes; inclusion and consistency proofs <= 1 ms at 1,000,000 entries' };
  results.index = indexResults;
  rows.push(
    [`index intake manifests/s (${index.intake.manifests})`, index.intake.intakePerSecond, index.intake.baselinePerSecond, index.intake.ratio.toFixed(2), 'verify + parse alone'],
    [`index search p95 ms (${index.search.manifests} from ${index.search.nodes} nodes)`, index.search.p95Ms, '', '', '≤ 10'],
    [`index intake manifests/s into ${index.search.manifests} from ${index.search.nodes} nodes`, index.search.intake.intakePerSecond, index.intake.intakePerSecond, (index.search.intake.intakePerSecond / index.intake.intakePerSecond).toFixed(2), 'into an empty index'],
    [`index feed read events/s (${index.feed.events})`, index.feed.eventsPerSecond, index.feed.storeEventsPerSecond, (index.feed.eventsPerSecond / index.feed.storeEventsPerSecond).toFixed(2), 'store reads alone'],
    [`index inclusion proof p95 ms (${index.proofs.logEntries})`, index.proofs.inclusion.p95Ms, '', '', '≤ 1'],
    [`index consistency proof p95 ms (${index.proofs.logEntries})`, index.proofs.consistency.p95Ms, '', '', '≤ 1'],
  );
  // The same on PostgreSQL (Debian's server, started as the tests start it), a database per measure.
  const skip = postgresSkipReason();
  if (skip) {
    console.warn(`index on PostgreSQL not measured: ${skip}`);
  } else {
    const server = await postgresServer();
    const onPostgres = await benchIndex({
      manifests: env('MANIFESTS', 100_000),
      nodes: env('NODES', 1000),
      feedEvents: env('FEED', 100_000),
      logEntries: env('PG_LOG', 1_000_000),
      intake: env('INTAKE', 2000),
      database: () => server.createDatabase(),
    });
    const processes = await benchTwoProcesses(() => server.createDatabase(), env('PROCESSES_SECONDS', 30), env('PROCESSES_WORKERS', 16));
    indexResults.postgres = { ...onPostgres, twoProcesses: processes };
    rows.push(
      [`index on PostgreSQL intake manifests/s (${onPostgres.intake.manifests})`, onPostgres.intake.intakePerSecond, index.intake.intakePerSecond, (onPostgres.intake.intakePerSecond / index.intake.intakePerSecond).toFixed(2), 'SQLite, same run'],
      [`index on PostgreSQL search p95 ms (${onPostgres.search.manifests})`, onPostgres.search.p95Ms, index.search.p95Ms, (onPostgres.search.p95Ms / index.search.p95Ms).toFixed(2), '≤ 10'],
      [`index on PostgreSQL intake manifests/s into ${onPostgres.search.manifests}`, onPostgres.search.intake.intakePerSecond, onPostgres.intake.intakePerSecond, (onPostgres.search.intake.intakePerSecond / onPostgres.intake.intakePerSecond).toFixed(2), 'into an empty index'],
      [`index on PostgreSQL feed read events/s (${onPostgres.feed.events})`, onPostgres.feed.eventsPerSecond, onPostgres.feed.storeEventsPerSecond, (onPostgres.feed.eventsPerSecond / onPostgres.feed.storeEventsPerSecond).toFixed(2), 'store reads alone'],
      [`index on PostgreSQL inclusion proof p95 ms (${onPostgres.proofs.logEntries})`, onPostgres.proofs.inclusion.p95Ms, '', '', '≤ 1'],
      [`index on PostgreSQL consistency proof p95 ms (${onPostgres.proofs.logEntries})`, onPostgres.proofs.consistency.p95Ms, '', '', '≤ 1'],
      [
        `two index processes on PostgreSQL, mixed load requests/s (${processes.workers} clients, ${processes.seconds} s)`,
        processes.requestsPerSecond,
        processes.baseline.requestsPerSecond,
        (processes.requestsPerSecond / processes.baseline.requestsPerSecond).toFixed(2),
        'one process, same load',
      ],
      [
        '  acknowledged pushes / lost / duplicated / errors',
        `${processes.acknowledgedPushes} / ${processes.lostWrites} / ${processes.duplicatedWrites} / ${processes.errors}`,
        '',
        '',
        '0 lost, 0 errors',
      ],
      ['  p95 ms push / search / feed', `${processes.p95Ms.push} / ${processes.p95Ms.search} / ${processes.p95Ms.feed}`, `${processes.baseline.p95Ms.push} / ${processes.baseline.p95Ms.search} / ${processes.baseline.p95Ms.feed}`, '', ''],
    );
  }
}
if (runs('largeNode')) {
  const env = (name: string, fallback: number) => Number(process.env[`BENCH_LARGE_${name}`] ?? fallback);
  const large = await benchLargeNode(root, {
    samples: env('SAMPLES', 1_000_000),
    contributors: env('CONTRIBUTORS', 50_000),
    votes: env('VOTES', 2_000_000),
    prompts: env('PROMPTS', 200_000),
  });
  results.largeNode = large;
  const size = `${large.samples} samples, ${large.contributors} contributors, ${large.votes} votes, ${large.prompts} prompts`;
  rows.push(
    [`large node (${size}) GET /samples/to-validate p95 ms`, large.queue.p95Ms, large.baseline.queue.p95Ms, (large.queue.p95Ms / large.baseline.queue.p95Ms).toFixed(2), '≤ 20; baseline 1/1000 the rows'],
    ['large node GET /stats p95 ms', large.stats.p95Ms, large.baseline.stats.p95Ms, (large.stats.p95Ms / large.baseline.stats.p95Ms).toFixed(2), '≤ 20'],
    ['large node GET /prompts p95 ms', large.promptsToRead.p95Ms, large.baseline.promptsToRead.p95Ms, (large.promptsToRead.p95Ms / large.baseline.promptsToRead.p95Ms).toFixed(2), '≤ 20'],
    ['large node GET /prompts/to-review p95 ms', large.promptReview.p95Ms, large.baseline.promptReview.p95Ms, (large.promptReview.p95Ms / large.baseline.promptReview.p95Ms).toFixed(2), '≤ 20'],
    ['large node DELETE /me, 1,000 samples, ms', large.eraseMs, large.baseline.eraseMs, (large.eraseMs / large.baseline.eraseMs).toFixed(2), ''],
    ['large node POST /samples/text, ratio to echo', large.textIntake.ratio.toFixed(3), large.baseline.textIntake.ratio.toFixed(3), (large.textIntake.ratio / large.baseline.textIntake.ratio).toFixed(2), '≥ 0.90 of the baseline node'],
    [`large node text release build, ${large.release.records} records, s`, large.release.seconds, large.baseline.release.seconds, (large.release.seconds / large.baseline.release.seconds).toFixed(0), ''],
    ['large node text release build peak RSS MB', large.release.peakRssMB, large.baseline.release.peakRssMB, '', '≤ 300'],
  );
}
if (runs('pull')) await pullSection(results, rows);
if (runs('app')) await appSection(root, results, rows);
writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
printTable(['measure', 'value', 'baseline', 'ratio', 'goal'], rows);
console.log('written to test/bench/results.json');
