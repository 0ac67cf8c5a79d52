import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The path of one of the PostgreSQL client programs (pg_dump, pg_restore) beside the server's. */
export function postgresProgram(name: 'pg_dump' | 'pg_restore'): string {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return join(bin, name);
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

const asRoot = () => process.getuid?.() === 0;

/** Runs one of the server binaries, as `postgres` under root (otherwise the tests' own user runs it). */
function runAsServer(bin: string, command: string, args: string[]): Buffer {
  return asRoot() ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, command), args, { stdio: 'pipe' });
}

/** Gives `dir` to the server's user (under root). */
function ownByServer(dir: string): void {
  if (!asRoot()) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
}

/** Starts a server on `data` (created beforehand) on a free port; the run directory holds its socket and log. */
async function startServer(bin: string, runDir: string, data: string, log: string): Promise<number> {
  const port = await freePort();
  // Durability is the production server's business; the tests' server skips fsync for speed.
  runAsServer(bin, 'pg_ctl', ['-D', data, '-l', join(runDir, log), '-w', '-o', `-p ${port} -k ${runDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  return port;
}

/** Stops the servers on `datas` (immediately) and removes `runDir` once process `pid` has gone. */
function watchdog(bin: string, pid: number, runDir: string, datas: string[]): void {
  const stops = datas.map((data) => `${asRoot() ? 'runuser -u postgres -- ' : ''}${join(bin, 'pg_ctl')} -D ${data} -m immediate stop >/dev/null 2>&1`).join('; ');
  spawn('sh', ['-c', `while kill -0 ${pid} 2>/dev/null; do sleep 1; done; ${stops}; rm -rf ${runDir}`], { detached: true, stdio: 'ignore' }).unref();
}

async function start(bin: string, runDir: string): Promise<number> {
  const data = join(runDir, 'data');
  ownByServer(runDir);
  runAsServer(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const port = await startServer(bin, runDir, data, 'server.log');
  // Stops the server and removes its directory once this run's process (the workers' parent) is gone.
  watchdog(bin, process.ppid, runDir, [data]);
  return port;
}

export interface ReplicatedPostgres {
  /** A database on the primary, and the same database read through the replica. */
  primaryUrl: string;
  replicaUrl: string;
  /** Holds the replica where it is: it applies nothing more until `resumeReplay`. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the replica has applied everything the primary has committed so far. */
  caughtUp(): Promise<void>;
  /** Shuts the replica down (the primary serves on). */
  stopReplica(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A primary and a streaming replica of it (a hot standby made with `pg_basebackup -R`), of their
 * own, for a suite that needs replication: the run's shared server is not touched. Stopped by
 * `stop`, or when this worker process goes.
 */
export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const runDir = mkdtempSync(join(tmpdir(), 'tributary-pg-replicated-'));
  ownByServer(runDir);
  const primaryData = join(runDir, 'primary');
  const replicaData = join(runDir, 'replica');
  watchdog(bin, process.pid, runDir, [primaryData, replicaData]);
  runAsServer(bin, 'initdb', ['-D', primaryData, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const primaryPort = await startServer(bin, runDir, primaryData, 'primary.log');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = (port: number) => new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  const primary = admin(primaryPort);
  await primary.connect();
  await primary.query(`CREATE DATABASE ${name}`);
  // initdb's pg_hba.conf lets local TCP connections replicate; -R writes the standby settings.
  runAsServer(bin, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaData, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
  const replicaPort = await startServer(bin, runDir, replicaData, 'replica.log');
  const replica = admin(replicaPort);
  await replica.connect();
  let replicaStopped = false;
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/${name}`,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/${name}`,
    async pauseReplay() {
      await replica.query('SELECT pg_wal_replay_pause()');
      // Pausing is asked for, then reached: wait until the replica says it has stopped.
      while ((await replica.query<{ state: string }>('SELECT pg_get_wal_replay_pause_state() AS state')).rows[0]!.state !== 'paused') await sleep(20);
    },
    async resumeReplay() {
      await replica.query('SELECT pg_wal_replay_resume()');
    },
    async caughtUp() {
      const { lsn } = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!;
      const deadline = Date.now() + 30_000;
      while (!(await replica.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn])).rows[0]!.done) {
        if (Date.now() > deadline) throw new Error(`the replica did not reach ${lsn} within 30 s`);
        await sleep(20);
      }
    },
    async stopReplica() {
      await replica.end().catch(() => undefined);
      runAsServer(bin, 'pg_ctl', ['-D', replicaData, '-m', 'fast', '-w', 'stop']);
      replicaStopped = true;
    },
    async stop() {
      await Promise.all([primary.end(), replica.end()]).catch(() => undefined);
      for (const data of replicaStopped ? [primaryData] : [replicaData, primaryData]) runAsServer(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
