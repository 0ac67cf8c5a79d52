import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './ports.js';

/**
 * A real PostgreSQL for the tests: Debian's server binaries, one server per test run in a
 * temporary data directory, a database per suite. Root cannot run PostgreSQL, so under root the
 * directory belongs to `postgres` and the server runs as that user (runuser).
 *
 * Vitest runs test files in worker processes, children of one run: the first worker that asks
 * starts the server (a directory named after the run's process is the lock), the others wait for
 * its address, and a small watchdog stops the server and removes the directory once the run's
 * process has gone.
 */
export interface PostgresServer {
  port: number;
  /** A new, empty database; its URL. */
  createDatabase(): Promise<string>;
}

/** Where the server binaries are (the highest version installed), or undefined. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/**
 * Why PostgreSQL tests cannot run here (printed when they skip), or undefined when they can. In
 * CI (`CI` set) they always run: a missing server fails them instead.
 */
export function postgresSkipReason(): string | undefined {
  if (binDir() !== undefined || process.env.CI) return undefined;
  return 'PostgreSQL is not installed (apt-get install postgresql; .ci/run installs it), and CI is not set';
}

let shared: Promise<PostgresServer> | undefined;

/** The run's server, started on first use. */
export function postgresServer(): Promise<PostgresServer> {
  shared ??= startOrJoin();
  return shared;
}

async function startOrJoin(): Promise<PostgresServer> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const runDir = join(tmpdir(), `tributary-pg-run-${process.ppid}`);
  const readyFile = join(runDir, 'ready.json');
  const failedFile = join(runDir, 'failed.txt');
  let starter = true;
  try {
    mkdirSync(runDir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    starter = false;
  }
  if (starter) {
    try {
      const port = await start(bin, runDir);
      writeFileSync(readyFile, JSON.stringify({ port }));
    } catch (error) {
      writeFileSync(failedFile, String((error as Error).message));
      throw error;
    }
  }
  const deadline = Date.now() + 90_000;
  while (!existsSync(readyFile)) {
    if (existsSync(failedFile)) throw new Error(`PostgreSQL did not start: ${readFileSync(failedFile, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not start within 90 s (${runDir})`);
    await sleep(100);
  }
  const { port } = JSON.parse(readFileSync(readyFile, 'utf8')) as { port: number };
  return {
    port,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}

async function start(bin: string, runDir: string): Promise<number> {
  const asRoot = process.getuid?.() === 0;
  const data = join(runDir, 'data');
  // As root, the server's files belong to postgres; otherwise the tests' own user runs it.
  const run = (command: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, command), args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(runDir, uid, gid);
  }
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // Durability is the production server's business; the tests' server skips fsync for speed.
  run('pg_ctl', ['-D', data, '-l', join(runDir, 'server.log'), '-w', '-o', `-p ${port} -k ${runDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  // Stops the server and removes its directory once this run's process (the workers' parent) is gone.
  const stop = asRoot
    ? `runuser -u postgres -- ${join(bin, 'pg_ctl')} -D ${data} -m immediate stop`
    : `${join(bin, 'pg_ctl')} -D ${data} -m immediate stop`;
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.ppid} 2>/dev/null; do sleep 1; done; ${stop} >/dev/null 2>&1; rm -rf ${runDir}`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return port;
}
