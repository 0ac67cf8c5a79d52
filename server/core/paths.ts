import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from source or from dist/. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/** Where a node serves its API; links the node hands out are built on it. */
export const API_BASE = '/api/v1';

export const packageRoot = findPackageRoot();
export const localesDir = join(packageRoot, 'locales');
/** The built contributor app (`npm run build:app`). */
export const appDir = join(packageRoot, 'contributor-app', 'dist');
