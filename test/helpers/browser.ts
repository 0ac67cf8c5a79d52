import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appDir = join(root, 'contributor-app');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds contributor-app/dist when it is missing or older than its sources. */
export function ensureAppBuilt(): void {
  const built = join(appDir, 'dist', 'app.js');
  const sources = Math.max(newestMtime(join(appDir, 'src')), newestMtime(join(appDir, 'build.mjs')));
  if (existsSync(built) && statSync(built).mtimeMs >= sources && existsSync(join(appDir, 'dist', 'index.html'))) return;
  execFileSync(process.execPath, [join(appDir, 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Chrome's fake microphone plays a WAV file; 48 kHz is what it expects. */
export function toFakeMicWav(source: string, out: string): string {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-ar', '48000', '-ac', '1', '-c:a', 'pcm_s16le', out]);
  return out;
}

/** Real Chromium whose microphone "hears" the given WAV once, then silence. */
export function launchChromium(micWav: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The contributor app tests need Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${micWav}%noloop`,
    ],
  });
}

/**
 * A browser profile of its own, as a volunteer's phone would be. With a token the volunteer
 * is already signed in on this device (the app keeps its key in localStorage).
 */
export async function volunteerContext(
  browser: Browser,
  url: string,
  options: { locale: string; token?: string; uiLocale?: string },
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: url,
    locale: options.locale,
    viewport: { width: 360, height: 740 },
    permissions: ['microphone'],
    acceptDownloads: true,
  });
  const stored: Record<string, string> = {};
  if (options.token) stored['tributary.token'] = options.token;
  if (options.uiLocale) stored['tributary.uiLocale'] = options.uiLocale;
  if (Object.keys(stored).length > 0) {
    await context.addInitScript(`for (const [k, v] of Object.entries(${JSON.stringify(stored)})) if (localStorage.getItem(k) === null) localStorage.setItem(k, v);`);
  }
  return context;
}

type Tree = { [key: string]: string | Tree };

/** The text a key has in a locale, straight from locales/, so tests follow the translations. */
export function localeText(locale: string, namespacedKey: string, vars: Record<string, string | number> = {}): string {
  const [namespace, key] = namespacedKey.split(':') as [string, string];
  let node: string | Tree = JSON.parse(readFileSync(join(root, 'locales', locale, `${namespace}.json`), 'utf8')) as Tree;
  for (const part of key.split('.')) {
    if (typeof node === 'string' || !(part in node)) throw new Error(`${locale}/${namespace}.json has no ${key}`);
    node = node[part]!;
  }
  if (typeof node !== 'string') throw new Error(`${locale}/${namespace}.json: ${key} is not a string`);
  return node.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => String(vars[name] ?? `{{${name}}}`));
}

/** The app's recording clock as seconds: "1:05" → 65. */
export function clockSeconds(clock: string | null): number {
  const [minutes, secs] = (clock ?? '0:00').split(':');
  return Number(minutes) * 60 + Number(secs);
}
