import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identifyLanguage } from '../../pipelines/language/identify.js';
import { writeNodeConfig } from '../../server/node/config.js';
import { apiClient, joinWithConsent } from '../helpers/node.js';
import { load, type LoadResult } from './load.js';
import { median, startServer } from './servers.js';
import { swahiliSentences } from './text-corpus.js';

export interface TextIntakeBench {
  /** The round with the median requests/second, for each server. */
  baseline: LoadResult;
  intake: LoadResult;
  /** Each round loads the echo and then the node for the same time, back to back. */
  rounds: Array<{ echo: number; intake: number; ratio: number }>;
  /** Server CPU time per request over all rounds: what the ratio would be on an idle machine. */
  cpuMicrosecondsPerRequest: { echo: number; intake: number; ratio: number };
  /** Median of the per-round ratios: rounds that ran at the same moment are compared. */
  ratio: number;
}

/**
 * Sustained `POST /samples/text` (auth, consent check, text rules, language ID, SQLite commit)
 * against a bare Express JSON echo. Both servers run at once in processes of their own and are
 * loaded in alternating rounds, so a slow moment of a shared machine falls on both.
 */
export async function benchTextIntake(
  root: string,
  options: { seconds: number; rounds: number; connections: number; nodeOptions?: string[] },
): Promise<TextIntakeBench> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  writeNodeConfig(dir, {
    name: 'Bench node',
    languages: ['sw', 'yo'],
    limits: { ratePerAddress: 100_000_000, ratePerToken: 100_000_000 },
  });
  const echo = await startServer(['test/bench/echo-server.js'], root, options.nodeOptions);
  const node = await startServer(['bin/tributary.js', 'node', 'start', '--dir', dir, '--port', '0'], root, options.nodeOptions);
  try {
    const volunteer = await joinWithConsent(apiClient(node.url + '/api/v1'));
    const echoSentences = swahiliSentences(7);
    const nodeSentences = swahiliSentences(42);
    const { connections } = options;
    const loadEcho = (seconds: number) =>
      load({ url: `${echo.url}/echo`, body: () => JSON.stringify({ language: 'sw', text: echoSentences() }), seconds, connections });
    const loadNode = (seconds: number) =>
      load({
        url: `${node.url}/api/v1/samples/text`,
        headers: { authorization: `Bearer ${volunteer.token}` },
        body: () => JSON.stringify({ language: 'sw', text: nodeSentences() }),
        seconds,
        connections,
      });
    await loadEcho(2);
    await loadNode(2);
    const echoRuns: LoadResult[] = [];
    const nodeRuns: LoadResult[] = [];
    const cpu = { echo: 0, intake: 0 };
    const measured = async (server: typeof echo, run: () => Promise<LoadResult>, runs: LoadResult[]) => {
      const before = server.cpuMs();
      runs.push(await run());
      return server.cpuMs() - before;
    };
    for (let i = 0; i < options.rounds; i++) {
      cpu.echo += await measured(echo, () => loadEcho(options.seconds), echoRuns);
      cpu.intake += await measured(node, () => loadNode(options.seconds), nodeRuns);
    }
    const perRequest = (ms: number, runs: LoadResult[]) => (ms * 1000) / runs.reduce((n, r) => n + r.total, 0);
    const cpuPerRequest = { echo: perRequest(cpu.echo, echoRuns), intake: perRequest(cpu.intake, nodeRuns) };
    const middle = (runs: LoadResult[]) => {
      const rps = median(runs.map((r) => r.requestsPerSecond));
      return runs.reduce((best, r) => (Math.abs(r.requestsPerSecond - rps) < Math.abs(best.requestsPerSecond - rps) ? r : best));
    };
    const rounds = echoRuns.map((e, i) => ({
      echo: e.requestsPerSecond,
      intake: nodeRuns[i]!.requestsPerSecond,
      ratio: Number((nodeRuns[i]!.requestsPerSecond / e.requestsPerSecond).toFixed(3)),
    }));
    return {
      baseline: middle(echoRuns),
      intake: middle(nodeRuns),
      rounds,
      ratio: median(rounds.map((r) => r.ratio)),
      cpuMicrosecondsPerRequest: {
        echo: Math.round(cpuPerRequest.echo),
        intake: Math.round(cpuPerRequest.intake),
        ratio: Number((cpuPerRequest.echo / cpuPerRequest.intake).toFixed(3)),
      },
    };
  } finally {
    await Promise.all([echo.stop(), node.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Language ID alone, in this process: sentences per second over held-out Swahili text. */
export function benchLanguageId(): { sentencesPerSecond: number } {
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
