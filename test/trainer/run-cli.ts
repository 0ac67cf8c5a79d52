import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../..');
const entry = join(root, 'server/cli/tributary.ts');

/**
 * Runs the real `tributary` CLI as a separate process without blocking this one: the index and
 * nodes these tests talk to run in the test's own process, so `spawnSync` would starve them.
 */
export function runCliAsync(
  args: string[],
  options: { env?: Record<string, string>; preload?: string[] } = {},
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const imports = ['--import', 'tsx', ...(options.preload ?? []).flatMap((file) => ['--import', file])];
  const child = spawn(process.execPath, [...imports, entry, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
}
