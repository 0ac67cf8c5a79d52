import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLanguageIdentifier, identifyLanguage } from '../../pipelines/language/identify.js';
import { trainLanguageModel } from '../../pipelines/language/train.js';
import { udhrParagraphs } from '../fixtures/language/udhr.js';
import { initNode } from '../../server/node/init.js';
import { apiClient, joinWithConsent } from '../helpers/node.js';
import { load, type LoadResult } from './load.js';
import { median, startServer } from './servers.js';
import { swahiliSentences } from './text-corpus.js';

export interface ConcurrencyLevel {
  connections: number;
  /** The round with the median requests/second, for each server. */
  echo: LoadResult;
  intake: LoadResult;
  /** Each round loads the echo and then the node for the same time, back to back. */
  roundRatios: number[];
}

export interface TextIntakeBench {
  levels: ConcurrencyLevel[];
  /** Each server at the concurrency where its median round was best (its peak sustained throughput). */
  baseline: LoadResult & { connections: number };
  intake: LoadResult & { connections: number };
  /** Per round, the node's best level over the echo's best level: loads minutes apart are never compared. */
  peakRoundRatios: number[];
  /** The median of `peakRoundRatios`. */
  ratio: number;
  /** Server CPU time per request over all rounds: what the ratio would be on an idle machine. */
  cpuMicrosecondsPerRequest: { echo: number; intake: number; ratio: number };
}

/**
 * Sustained `POST /samples/text` (auth, consent check, text rules, language ID, SQLite commit)
 * against a bare Express JSON echo. Both servers run at once in processes of their own and are
 * loaded in alternating rounds, so a slow moment of a shared machine falls on both.
 *
 * Each server is measured at several concurrency levels and compared at its peak, as load
 * benchmarks do: 16 connections saturate the echo, but a submission waits for its commit, so
 * the node needs more requests in flight to keep its event loop busy (a community's node has
 * far more than 16 volunteers at once).
 */
export async function benchTextIntake(
  root: string,
  /** `dir`: an existing node folder (with Swahili among its languages, and rate limits out of the way) rather than a new empty node. */
  options: { seconds: number; rounds: number; connections: number[]; nodeOptions?: string[]; dir?: string },
): Promise<TextIntakeBench> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  if (!options.dir) {
    initNode(dir, {
      name: 'Bench node',
      languages: ['sw', 'yo'],
      limits: { ratePerAddress: 100_000_000, ratePerToken: 100_000_000 },
    });
  }
  const echo = await startServer(['test/bench/echo-server.js'], root, options.nodeOptions);
  const node = await startServer(['bin/tributary.js', 'node', 'start', '--dir', dir, '--port', '0'], root, options.nodeOptions);
  try {
    const volunteer = await joinWithConsent(apiClient(node.url + '/api/v1'));
    const echoSentences = swahiliSentences(7);
    const nodeSentences = swahiliSentences(42);
    const loadEcho = (seconds: number, connections: number) =>
      load({ url: `${echo.url}/echo`, body: () => JSON.stringify({ language: 'sw', text: echoSentences() }), seconds, connections });
    const loadNode = (seconds: number, connections: number) =>
      load({
        url: `${node.url}/api/v1/samples/text`,
        headers: { authorization: `Bearer ${volunteer.token}` },
        body: () => JSON.stringify({ language: 'sw', text: nodeSentences() }),
        seconds,
        connections,
      });
    await loadEcho(2, options.connections[0]!);
    await loadNode(2, options.connections[0]!);

    const runs = options.connections.map(() => ({ echo: [] as LoadResult[], intake: [] as LoadResult[] }));
    const cpu = { echo: 0, intake: 0, echoRequests: 0, intakeRequests: 0 };
    for (let round = 0; round < options.rounds; round++) {
      for (const [level, connections] of options.connections.entries()) {
        let before = echo.cpuMs();
        const e = await loadEcho(options.seconds, connections);
        cpu.echo += echo.cpuMs() - before;
        cpu.echoRequests += e.total;
        before = node.cpuMs();
        const n = await loadNode(options.seconds, connections);
        cpu.intake += node.cpuMs() - before;
        cpu.intakeRequests += n.total;
        runs[level]!.echo.push(e);
        runs[level]!.intake.push(n);
      }
    }
    const middle = (results: LoadResult[]) => {
      const rps = median(results.map((r) => r.requestsPerSecond));
      return results.reduce((best, r) => (Math.abs(r.requestsPerSecond - rps) < Math.abs(best.requestsPerSecond - rps) ? r : best));
    };
    const levels: ConcurrencyLevel[] = options.connections.map((connections, level) => ({
      connections,
      echo: middle(runs[level]!.echo),
      intake: middle(runs[level]!.intake),
      roundRatios: runs[level]!.echo.map((e, i) => Number((runs[level]!.intake[i]!.requestsPerSecond / e.requestsPerSecond).toFixed(3))),
    }));
    const peak = (server: 'echo' | 'intake') => {
      const best = levels.reduce((a, b) => (b[server].requestsPerSecond > a[server].requestsPerSecond ? b : a));
      return { ...best[server], connections: best.connections };
    };
    const baseline = peak('echo');
    const intake = peak('intake');
    const best = (results: LoadResult[]) => Math.max(...results.map((r) => r.requestsPerSecond));
    const peakRoundRatios = Array.from({ length: options.rounds }, (_, round) => {
      const echoBest = best(runs.map((level) => level.echo[round]!));
      const intakeBest = best(runs.map((level) => level.intake[round]!));
      return Number((intakeBest / echoBest).toFixed(3));
    });
    const echoCpu = (cpu.echo * 1000) / cpu.echoRequests;
    const intakeCpu = (cpu.intake * 1000) / cpu.intakeRequests;
    return {
      levels,
      baseline,
      intake,
      peakRoundRatios,
      ratio: median(peakRoundRatios),
      cpuMicrosecondsPerRequest: {
        echo: Math.round(echoCpu),
        intake: Math.round(intakeCpu),
        ratio: Number((echoCpu / intakeCpu).toFixed(3)),
      },
    };
  } finally {
    await Promise.all([echo.stop(), node.stop()]);
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Language ID alone, in this process: sentences per second over held-out Swahili text. */
/** Sentences per second of `identify` over `sentences`, after a warm-up, for about 3 s. */
function rate(identify: (text: string) => unknown, sentences: string[]): number {
  for (const s of sentences.slice(0, 200)) identify(s);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < 3000) {
    identify(sentences[count % sentences.length]!);
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

/**
 * Language ID as the node runs it for a Swahili/Yoruba node: the base alone, and with a model
 * `langid train` fitted on UDHR sentences in both (what a node that learned its languages pays
 * per text).
 */
export async function benchLanguageId(): Promise<{ sentencesPerSecond: number; withLearnedModel: { sentencesPerSecond: number; model: string } }> {
  const next = swahiliSentences(3);
  const sentences = Array.from({ length: 2000 }, next);
  const options = { candidates: ['swa', 'yor'] };
  const base = rate((text) => identifyLanguage(text, options), sentences);
  const training = (['swh', 'yor'] as const).flatMap((file) =>
    udhrParagraphs(file)
      .flatMap((paragraph) => paragraph.split(/(?<=[.;:])\s+/))
      .map((text) => ({ text, tag: file === 'swh' ? 'sw' : 'yo' })),
  );
  const learned = await trainLanguageModel(training, { base: { candidates: ['sw', 'yo'] } });
  const identify = createLanguageIdentifier({ candidates: ['sw', 'yo'], learned });
  return { sentencesPerSecond: base, withLearnedModel: { sentencesPerSecond: rate(identify, sentences), model: identify.model } };
}
