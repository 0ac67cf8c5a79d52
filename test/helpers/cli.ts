import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const root = join(fileURLToPath(import.meta.url), '../../..');

/**
 * node's arguments that run `tributary ARGS`: the CLI as test/global-setup.ts built it for this
 * run. `preload` files are imported first (`--import`), through tsx when they are TypeScript: a
 * test's hooks that make a process crash at a chosen point.
 */
export function cliArgv(args: string[], preload: string[] = []): string[] {
  const imports = preload.length > 0 ? ['--import', 'tsx', ...preload.flatMap((file) => ['--import', file])] : [];
  return [...imports, inject('cliEntry'), ...args];
}

/**
 * Runs the real `tributary` CLI as a separate process, waiting for it. `timeoutMs` kills a
 * command that should have ended (a server that should have refused to start): `status` is then
 * null and `signal` SIGTERM.
 */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}) {
  const result = spawnSync(process.execPath, cliArgv(args), {
    cwd: root,
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `runCli` without blocking this process: for commands that talk to a server running in the
 * test's own process (an index, a node), which must go on answering meanwhile.
 */
export function runCliAsync(
  args: string[],
  options: { env?: Record<string, string>; preload?: string[] } = {},
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, cliArgv(args, options.preload), {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

export interface NodeProcess {
  child: ChildProcess;
  url: string;
}

/** Starts `tributary node start` on a free port and resolves once it is listening. */
export function startNodeProcess(dir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<NodeProcess> {
  // With TRIBUTARY_DIR/TRIBUTARY_PORT given, the command line leaves them out, as `npm start` does.
  const where = [...(env.TRIBUTARY_DIR ? [] : ['--dir', dir]), ...(env.TRIBUTARY_PORT ? [] : ['--port', '0'])];
  const child = spawn(process.execPath, cliArgv(['node', 'start', ...where, ...extraArgs]), {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${output}`));
    });
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
