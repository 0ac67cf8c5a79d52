import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive } from '../../server/core/process-alive.js';

/**
 * A Python virtual environment with the packages a test needs to check that what Tributary
 * writes loads in trainers' own tools (DuckDB, Hugging Face `datasets`). Made once with the
 * machine's python3 (`python3 -m venv --system-site-packages`, then pip from whatever package
 * index pip is configured with) into `test/.cache/python-<hash>/` and reused; a change to the
 * package list or to this file makes a fresh one. When it cannot be made (no python3, no venv
 * module, no index), the tests that need it skip and say why.
 *
 * `TRIBUTARY_TEST_PYTHON` picks another base interpreter.
 */
export type PythonEnv = { ok: true; python: string; env: Record<string, string> } | { ok: false; reason: string };

export interface PythonRequirements {
  /** pip requirement specifiers, e.g. `duckdb`, `datasets>=3`. */
  packages: string[];
  /** Modules that must import afterwards. */
  imports: string[];
}

const cacheDir = fileURLToPath(new URL('../.cache/', import.meta.url));
const made = new Map<string, Promise<PythonEnv>>();

export function pythonWith(requirements: PythonRequirements): Promise<PythonEnv> {
  const key = JSON.stringify(requirements);
  let env = made.get(key);
  if (!env) {
    env = prepare(requirements);
    made.set(key, env);
  }
  return env;
}

/** Runs a Python script file in the environment; resolves with its exit status and output. */
export function runPython(env: Extract<PythonEnv, { ok: true }>, args: string[], extraEnv: Record<string, string> = {}) {
  return run(env.python, args, { ...env.env, ...extraEnv });
}

async function prepare(requirements: PythonRequirements): Promise<PythonEnv> {
  const base = process.env.TRIBUTARY_TEST_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const version = await run(base, ['-c', 'import sys; print(sys.version)']).catch((error: Error) => ({ status: -1, stdout: '', stderr: error.message }));
  if (version.status !== 0) return { ok: false, reason: `no Python interpreter (${base}): ${version.stderr.trim() || 'not found'}` };

  const recipe = readFileSync(fileURLToPath(import.meta.url));
  const hash = createHash('sha256').update(recipe).update(base).update(version.stdout).update(JSON.stringify(requirements)).digest('hex').slice(0, 12);
  const dir = join(cacheDir, `python-${hash}`);
  const python = join(dir, 'bin', 'python');
  // No writes to the home folder, no network for models or datasets: everything the tests load is local.
  const env = { HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', HF_HUB_DISABLE_TELEMETRY: '1', PYTHONDONTWRITEBYTECODE: '1' };
  if (existsSync(join(dir, '.ready'))) return { ok: true, python, env };

  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, `python-${hash}.lock`);
  // One worker builds; the others wait for it (a dead builder's lock is taken over).
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      if (existsSync(join(dir, '.ready'))) return { ok: true, python, env };
      if (!holderAlive(lock)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    if (existsSync(join(dir, '.ready'))) return { ok: true, python, env };
    const building = join(cacheDir, `.python-${hash}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const venv = await run(base, ['-m', 'venv', '--system-site-packages', building]);
      if (venv.status !== 0) return { ok: false, reason: `python3 -m venv failed (Debian: apt-get install python3-venv): ${tail(venv.stderr)}` };
      const pip = await run(join(building, 'bin', 'python'), [
        '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
        // An index that cannot be reached is skipped quickly instead of retried for minutes.
        '--retries', '1', '--timeout', '30',
        ...requirements.packages,
      ]);
      if (pip.status !== 0) return { ok: false, reason: `pip install ${requirements.packages.join(' ')} failed: ${tail(pip.stderr)}` };
      const imports = await run(join(building, 'bin', 'python'), ['-c', requirements.imports.map((name) => `import ${name}`).join('; ')]);
      if (imports.status !== 0) return { ok: false, reason: `${requirements.imports.join(', ')} do not import: ${tail(imports.stderr)}` };
      writeFileSync(join(building, '.ready'), new Date().toISOString());
      // A venv finds itself through pyvenv.cfg beside bin/python, so it can move; only pip's
      // own scripts keep the old path, and pip is run as `python -m pip`.
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
      removeStale(dir);
      return { ok: true, python, env };
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Made this instant, its pid not written yet; or left by a builder that died at once.
    return existsSync(lock) && Date.now() - statSync(lock).mtimeMs < 60_000;
  }
  return processAlive(pid);
}

/** Environments made from earlier versions of this file or of a test's package list. */
function removeStale(current: string): void {
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (name.startsWith('python-') && !name.endsWith('.lock') && path !== current && !existsSync(`${path}.lock`)) {
      // Another test file's package list may still use it: only sets older than a day go.
      const ready = join(path, '.ready');
      if (existsSync(ready) && Date.now() - Date.parse(readFileSync(ready, 'utf8')) > 24 * 3600_000) rmSync(path, { recursive: true, force: true });
    }
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ') || '(no output)';
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}
