// Bundles the contributor app into dist/: index.html, app.js, app.css, the static files, and sw.js.
// Usage: node contributor-app/build.mjs [--watch]
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const appRoot = dirname(fileURLToPath(import.meta.url));
const src = join(appRoot, 'src');
const dist = join(appRoot, 'dist');
const localesDir = join(appRoot, '..', 'locales');

/** UI locales are the folders of locales/ that carry the app's own strings. */
const uiLocales = readdirSync(localesDir)
  .filter((name) => statSync(join(localesDir, name)).isDirectory())
  .filter((name) => readdirSync(join(localesDir, name)).includes('common.json'))
  .sort((a, b) => (a === 'en' ? -1 : b === 'en' ? 1 : a.localeCompare(b)));

/** Each UI locale's own name, direction and translation status, from locales/index.json. */
const localeIndex = JSON.parse(readFileSync(join(localesDir, 'index.json'), 'utf8'));
const localeInfo = Object.fromEntries(uiLocales.filter((lng) => localeIndex[lng]).map((lng) => {
  const { name, dir, status } = localeIndex[lng];
  return [lng, { name, dir, status }];
}));

const common = {
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  legalComments: 'eof',
  logLevel: 'warning',
  write: false,
  outdir: dist,
};

const script = {
  ...common,
  entryPoints: { app: join(src, 'main.ts') },
  format: 'esm',
  platform: 'browser',
  // Phones a few years old: ES2020 runs on Chrome 80+, Safari 14+, Firefox 75+.
  target: 'es2020',
  define: { __UI_LOCALES__: JSON.stringify(uiLocales), __LOCALE_INFO__: JSON.stringify(localeInfo) },
};

const stylesheet = { ...common, entryPoints: { app: join(src, 'app.css') }, target: ['chrome80', 'firefox75', 'safari14'] };

/**
 * Several test workers may build at once: each writes into its own folder and renames every
 * file into dist/, so a reader never sees half a file.
 */
function publish(files) {
  mkdirSync(dist, { recursive: true });
  const staging = join(appRoot, `.dist-${process.pid}-${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  try {
    for (const [name, contents] of files) writeFileSync(join(staging, name), contents);
    for (const [name] of files) renameSync(join(staging, name), join(dist, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The service worker keeps the app shell for offline use. Its caches are named after a hash of
 * the shell's bytes, so each build has new ones and drops the old when it activates; and since
 * the hash is in sw.js itself, any change to the shell changes sw.js, which is how a browser
 * notices a new build.
 */
async function serviceWorker(files) {
  const shell = files.map(([name]) => name).filter((name) => !name.endsWith('.map'));
  const hash = createHash('sha256');
  for (const [name, contents] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (name.endsWith('.map')) continue;
    hash.update(name).update('\0').update(contents).update('\0');
  }
  const version = hash.digest('hex').slice(0, 16);
  const result = await esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: { sw: join(src, 'service-worker.ts') },
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    define: { __CACHE_VERSION__: JSON.stringify(version), __SHELL__: JSON.stringify(shell.map((name) => `/${name}`)) },
  });
  return result.outputFiles.map((file) => [file.path.slice(dist.length + 1), file.contents]);
}

async function build() {
  const results = await Promise.all([esbuild.build(script), esbuild.build(stylesheet)]);
  const files = results.flatMap((result) => result.outputFiles.map((file) => [file.path.slice(dist.length + 1), file.contents]));
  files.push(['index.html', readFileSync(join(src, 'index.html'))]);
  for (const name of readdirSync(join(src, 'static'))) files.push([name, readFileSync(join(src, 'static', name))]);
  files.push(...(await serviceWorker(files)));
  publish(files);
  return files.map(([name]) => name);
}

if (process.argv.includes('--watch')) {
  const { watch } = await import('node:fs');
  let pending;
  const rebuild = () => {
    clearTimeout(pending);
    pending = setTimeout(() => build().then(() => console.log('rebuilt', new Date().toLocaleTimeString()), console.error), 50);
  };
  await build();
  watch(src, { recursive: true }, rebuild);
  console.log(`watching ${src}`);
} else {
  const names = await build();
  console.log(`contributor-app built into ${dist}: ${names.sort().join(', ')} (UI locales ${uiLocales.join(', ')})`);
}
