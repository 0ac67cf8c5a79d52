import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type { TestProject } from 'vitest/node';
import { processAlive } from '../server/core/process-alive.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `tributary` CLI this run's tests spawn: server/ and pipelines/ transpiled to JavaScript. */
    cliEntry: string;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(root, 'test/.cache');

/**
 * Once per test run, before any test file: server/ and pipelines/ transpiled file by file into
 * test/.cache/cli-<pid>/, as `npm run build` compiles them into dist/ for `npm start` (types are
 * checked by `npm run typecheck`). Tests spawn the CLI from there, so each of the hundreds of
 * processes they start loads plain JavaScript instead of compiling TypeScript on the way: half
 * the CPU per process on a two-core machine. The folder mirrors the sources' layout under the
 * repository, so everything a module finds from its own location (the package root, the audio
 * worker, packages in node_modules) it finds there too. Removed when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const out = join(cache, `cli-${process.pid}`);
  // Vitest calls this for the root and for each project (`all`, `s3`): one build serves them all.
  const shared = globalThis as { tributaryCliBuild?: Promise<void> };
  shared.tributaryCliBuild ??= build(out);
  await shared.tributaryCliBuild;
  project.provide('cliEntry', join(out, 'server/cli/tributary.js'));
  return () => rmSync(out, { recursive: true, force: true });
}

async function build(out: string): Promise<void> {
  removeAbandoned();
  const sources = ['server', 'pipelines'].flatMap((dir) => typeScriptFiles(join(root, dir)));
  await esbuild.build({
    entryPoints: sources,
    outdir: out,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return typeScriptFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Builds of runs that were killed before their teardown. */
function removeAbandoned(): void {
  let names: string[];
  try {
    names = readdirSync(cache);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^cli-(\d+)$/.exec(name)?.[1];
    if (pid && !processAlive(Number(pid))) rmSync(join(cache, name), { recursive: true, force: true });
  }
}
