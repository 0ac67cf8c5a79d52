import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../server/core/paths.js';

/** Every TypeScript file under a folder, as paths relative to the repository. */
function sources(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) out.push(relative(packageRoot, path));
    }
  };
  walk(join(packageRoot, folder));
  return out.sort();
}

const read = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
const production = [...sources('server'), ...sources('pipelines')].filter((file) => !file.endsWith('.test.ts'));

describe('the shape of the code', () => {
  it('keeps server/core free of anything named after the node (it serves the index too)', () => {
    const offending = sources('server/core').flatMap((file) =>
      read(file)
        .split('\n')
        .map((line, i) => ({ file, line: i + 1, text: line }))
        // `node:fs` and friends are the Node.js runtime, not the node service.
        .filter(({ text }) => /\bnode\b/i.test(text.replace(/['"`]node:[a-z_/]+['"`]/g, '').replace(/Node\.js/g, ''))),
    );
    expect(offending).toEqual([]);
  });

  it('has no test or bench code in production folders', () => {
    const offending = production.filter((file) => /from ['"](vitest|fast-check|autocannon)['"]|\/test\/|bench/.test(read(file).replace(/^\s*(\/\/|\*).*$/gm, '')));
    expect(offending).toEqual([]);
  });

  it('reads the environment in one place only', () => {
    const readers = production.filter((file) => /process\.env\b/.test(read(file).replace(/^\s*(\/\/|\*).*$/gm, '')));
    expect(readers).toEqual(['server/core/env.ts']);
  });
});
