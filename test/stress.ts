/**
 * `npm run test:stress`: the suite on a machine that is busy with other work. Each run starts one
 * CPU-burning process per core, runs `vitest run` beside them, and stops them; three runs in a row,
 * each one's duration and outcome printed, exit status 1 if any failed. A test that passes here
 * does not hope for an order of events or for spare CPU.
 *
 *   npm run test:stress                                    # the whole suite, three times
 *   npm run test:stress -- test/node/releases.test.ts      # arguments go to vitest
 *   STRESS_RUNS=5 npm run test:stress
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../..');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const RUNS = Number(process.env.STRESS_RUNS ?? 3);
/**
 * The whole suite takes ~6.5 minutes on an idle 2-core machine (browser tests, a federation of
 * processes, PostgreSQL; three files at a time) and about twice that beside the load; past this
 * limit a run is stuck, and counts as failed. STRESS_RUN_MINUTES overrides it.
 */
const RUN_LIMIT_MS = Number(process.env.STRESS_RUN_MINUTES ?? 45) * 60_000;
/**
 * The load ends by itself at the run's limit, and within milliseconds of this script dying (its
 * parent pid changes), so a killed stress run never leaves busy loops behind.
 */
const BURNER = `
const [until, parent] = process.argv.slice(1).map(Number);
while (Date.now() < until && process.ppid === parent) {
  for (let i = 0; i < 1e6; i++);
}
`;

function startLoad(until: number): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', BURNER, String(until), String(process.pid)], { stdio: 'ignore' }),
  );
}

function stopLoad(burners: ChildProcess[]): void {
  for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL');
}

/** Runs vitest once under load; resolves with its exit status (null if it had to be killed). */
function runOnce(args: string[]): Promise<number | null> {
  const burners = startLoad(Date.now() + RUN_LIMIT_MS);
  const run = spawn(process.execPath, [vitest, 'run', ...args], { cwd: root, stdio: 'inherit' });
  const limit = setTimeout(() => {
    console.error(`\nstress: the run passed ${RUN_LIMIT_MS / 60_000} minutes; stopping it`);
    run.kill('SIGKILL');
  }, RUN_LIMIT_MS);
  const stopAll = () => {
    stopLoad(burners);
    run.kill('SIGKILL');
  };
  process.once('SIGINT', stopAll).once('SIGTERM', stopAll);
  return new Promise((resolve) => {
    run.on('exit', (code) => {
      clearTimeout(limit);
      process.off('SIGINT', stopAll).off('SIGTERM', stopAll);
      stopLoad(burners);
      resolve(code);
    });
  });
}

const outcomes: Array<{ run: number; seconds: number; passed: boolean; status: number | null }> = [];
for (let run = 1; run <= RUNS; run++) {
  console.log(`\nstress run ${run}/${RUNS}: vitest run ${process.argv.slice(2).join(' ')} beside ${availableParallelism()} busy loops`);
  const started = performance.now();
  const status = await runOnce(process.argv.slice(2));
  const seconds = (performance.now() - started) / 1000;
  outcomes.push({ run, seconds, passed: status === 0, status });
  console.log(`stress run ${run}/${RUNS}: ${status === 0 ? 'passed' : `FAILED (exit ${status ?? 'killed'})`} in ${seconds.toFixed(1)} s`);
}

console.log('\nstress summary');
for (const o of outcomes) console.log(`  run ${o.run}: ${o.passed ? 'passed' : 'FAILED'} in ${o.seconds.toFixed(1)} s`);
process.exitCode = outcomes.every((o) => o.passed) ? 0 : 1;
