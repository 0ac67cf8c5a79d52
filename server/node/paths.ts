import { join } from 'node:path';
import { packageRoot } from '../core/paths.js';

/** Where a node serves its API; links the node hands out are built on it. */
export const API_BASE = '/api/v1';

/** UI translations and consent notices, served to the contributor app. */
export const localesDir = join(packageRoot, 'locales');
/** The built contributor app (`npm run build:app`). */
export const appDir = join(packageRoot, 'contributor-app', 'dist');
