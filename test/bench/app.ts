import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { initNode } from '../../server/node/init.js';
import { appDir } from '../../server/node/paths.js';
import { CHROMIUM } from '../helpers/browser.js';
import { apiClient, joinWithConsent, openTestContext } from '../helpers/node.js';
import { median, startServer } from './servers.js';

/** A slow phone link: 400 kbit/s each way, 400 ms round trip (DevTools network emulation). */
export const SLOW_LINK = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };
const ROUNDS = Number(process.env.BENCH_APP_ROUNDS ?? 3);
const KB = 1024;

/**
 * "Usable": Speak shows its sentence and the record button can be pressed. Watched from inside
 * the page (a MutationObserver from before the first byte), so the time is the page's own clock
 * from navigation start, not when the bench happened to look.
 */
const USABLE_PROBE = `(() => {
  const check = () => {
    const button = document.querySelector('[data-testid="record"]');
    const sentence = document.querySelector('[data-testid="sentence"]');
    if (button && !button.disabled && sentence && sentence.textContent.trim() !== '' && window.__usableAt === undefined) {
      window.__usableAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();`;

interface Load {
  ms: number;
  /** Bytes on the wire (headers and bodies), by resource type, until the page was usable. */
  bytes: Record<string, number>;
  requests: number;
  scripts: string[];
  /** What was fetched, in the order it finished, with bytes on the wire and when (ms from start). */
  fetched: Array<{ path: string; type: string; bytes: number; doneMs: number }>;
}

/** One cold load (fresh profile, no service worker, empty cache) over the slow link. */
async function load(browser: Browser, url: string, options: { token?: string; usable: 'speak' | 'load' }): Promise<Load> {
  const context = await browser.newContext({ baseURL: url, locale: 'en-GB', viewport: { width: 360, height: 740 }, serviceWorkers: 'block', permissions: ['microphone'] });
  try {
    if (options.token) {
      const stored = { 'tributary.token': options.token, 'tributary.uiLocale': 'en', 'tributary.dataLanguage': 'sw' };
      await context.addInitScript(`for (const [k, v] of Object.entries(${JSON.stringify(stored)})) localStorage.setItem(k, v);`);
    }
    if (options.usable === 'speak') await context.addInitScript(USABLE_PROBE);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW_LINK);
    const types = new Map<string, string>();
    const urls = new Map<string, string>();
    const fetched: Load['fetched'] = [];
    let startedAt: number | undefined;
    cdp.on('Network.requestWillBeSent', (event) => {
      startedAt ??= event.timestamp;
    });
    const bytes: Record<string, number> = {};
    const scripts: string[] = [];
    let requests = 0;
    cdp.on('Network.responseReceived', (event) => {
      types.set(event.requestId, event.type);
      urls.set(event.requestId, new URL(event.response.url).pathname);
      if (event.type === 'Script') scripts.push(event.response.url);
    });
    cdp.on('Network.loadingFinished', (event) => {
      const type = types.get(event.requestId) ?? 'Other';
      bytes[type] = (bytes[type] ?? 0) + event.encodedDataLength;
      fetched.push({ path: urls.get(event.requestId) ?? '?', type, bytes: event.encodedDataLength, doneMs: Math.round((event.timestamp - (startedAt ?? event.timestamp)) * 1000) });
      requests++;
    });
    const path = options.usable === 'speak' ? '/speak' : '/bench-baseline/index.html';
    if (options.usable === 'speak') {
      await page.goto(path, { waitUntil: 'commit' });
      // A function, not a string: the node's CSP forbids eval in the page.
      await page.waitForFunction(() => (globalThis as { __usableAt?: number }).__usableAt !== undefined, undefined, { timeout: 120_000, polling: 100 });
      const ms = (await page.evaluate('window.__usableAt')) as number;
      const snapshot = { ms, bytes: { ...bytes }, requests, scripts: [...scripts], fetched: [...fetched] };
      if (new URL(page.url()).pathname !== '/speak') throw new Error(`the speak page went to ${page.url()}`);
      return snapshot;
    }
    await page.goto(path, { waitUntil: 'load', timeout: 120_000 });
    const ms = (await page.evaluate(`performance.getEntriesByType('navigation')[0].loadEventStart`)) as number;
    return { ms, bytes, requests, scripts, fetched };
  } finally {
    await context.close();
  }
}

/**
 * A static page of the app's size, served by the same node from its app folder: a document, a
 * stylesheet and a script of the sizes the speak page fetched, and a second script for everything
 * else it fetched (translations, node info, API answers, the icon). The padding is random bytes,
 * so it weighs the same on the wire however the node encodes it. Usable when it has loaded.
 */
function writeBaseline(dir: string, sizes: { document: number; stylesheet: number; script: number; rest: number }): void {
  mkdirSync(dir, { recursive: true });
  // Random bytes that cannot close the comment they sit in (no '*', '-' or '>').
  const filler = (size: number) => Buffer.from(randomBytes(Math.max(0, size)).map((b) => (b === 0x2a || b === 0x2d || b === 0x3e ? 0x20 : b)));
  const padded = (text: string, size: number, open: string, close: string) =>
    Buffer.concat([Buffer.from(text + open), filler(size - text.length - open.length - close.length), Buffer.from(close)]);
  const html = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Baseline</title><link rel="stylesheet" href="base.css"><script type="module" src="base.js"></script><script type="module" src="rest.js"></script></head><body><main><h1>Baseline</h1></main></body></html>';
  writeFileSync(join(dir, 'index.html'), padded(html, sizes.document, '<!--', '-->'));
  writeFileSync(join(dir, 'base.css'), padded('body{margin:0}', sizes.stylesheet, '/*', '*/'));
  writeFileSync(join(dir, 'base.js'), padded('document.body.dataset.ready="true";', sizes.script, '/*', '*/'));
  writeFileSync(join(dir, 'rest.js'), padded('', sizes.rest, '/*', '*/'));
}

/**
 * What the app's bundle is made of, by package or app folder (esbuild's metafile, the build's own
 * entry and settings), in minified KB: where to look when the speak page grows.
 */
async function bundleBreakdown(root: string): Promise<Record<string, number>> {
  const result = await esbuild.build({
    entryPoints: [join(root, 'contributor-app/src/main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    outdir: join(tmpdir(), 'tributary-bench-app'),
    define: { __UI_LOCALES__: '["en"]', __LOCALE_INFO__: '{}' },
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint)!;
  const groups: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const path = relative(root, join(root, input));
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const group = pkg
      ? pkg
      : path.includes('screens/operator/')
        ? 'app: operator pages'
        : path.includes('/screens/')
          ? 'app: volunteer screens'
          : path.includes('/components/')
            ? 'app: components'
            : 'app: shell, api, offline';
    groups[group] = (groups[group] ?? 0) + bytesInOutput;
  }
  return Object.fromEntries(Object.entries(groups).sort(([, a], [, b]) => b - a).map(([k, v]) => [k, Number((v / KB).toFixed(1))]));
}

export interface AppBench {
  speakPageJs: { scripts: string[]; rawKB: number; gzippedKB: number; onTheWireKB: number; goalGzippedKB: number };
  bundleByOriginMinifiedKB: Record<string, number>;
  slowLink: typeof SLOW_LINK;
  usableDefinition: string;
  speakUsableMs: number[];
  baselineLoadMs: number[];
  medianSpeakUsableMs: number;
  medianBaselineMs: number;
  ratio: number;
  bytes: { speak: Record<string, number>; baseline: Record<string, number>; speakRequests: number; baselineRequests: number };
  speakFetched: Load['fetched'];
}

/**
 * The speak page on a slow phone link in Chromium: JavaScript shipped (gzipped KB) and the time
 * until it is usable, against a static page of the same size served by the same node.
 */
export async function benchApp(root: string): Promise<AppBench> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-app-'));
  initNode(dir, { name: 'Bench node', languages: ['sw'], limits: { ratePerAddress: 1e8, ratePerToken: 1e8 } });
  const ctx = openTestContext(dir);
  ctx.prompts.import('sw', ['Mvua imenyesha sana usiku wa jana.', 'Watoto wanacheza mpira uwanjani.', 'Bibi yangu anajua hadithi nyingi.', 'Kesho tutasafiri kwenda Nairobi.', 'Tunapenda kula wali na samaki.'].map((text) => ({ text })));
  await ctx.close();
  const node = await startServer([join(root, 'bin/tributary.js'), 'node', 'start', '--dir', dir, '--port', '0'], root);
  const baselineDir = join(appDir, 'bench-baseline');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  try {
    const { token } = await joinWithConsent(apiClient(node.url + '/api/v1'));
    const speak: Load[] = [];
    const baseline: Load[] = [];
    // A first load sizes the baseline; then the two alternate, so drift touches both alike.
    speak.push(await load(browser, node.url, { token, usable: 'speak' }));
    const first = speak[0]!;
    const total = Object.values(first.bytes).reduce((a, b) => a + b, 0);
    // Bodies only: each baseline response adds its own headers, about what the app's did.
    const headerBytes = 300;
    const document = (first.bytes.Document ?? 0) - headerBytes;
    const stylesheet = (first.bytes.Stylesheet ?? 0) - headerBytes;
    const script = (first.bytes.Script ?? 0) - headerBytes;
    writeBaseline(baselineDir, { document, stylesheet, script, rest: total - 4 * headerBytes - document - stylesheet - script });
    await load(browser, node.url, { usable: 'load' }); // warms the node's file reads, as the first app load did
    for (let i = 0; i < ROUNDS; i++) {
      baseline.push(await load(browser, node.url, { usable: 'load' }));
      if (i > 0 || ROUNDS === 1) speak.push(await load(browser, node.url, { token, usable: 'speak' }));
    }
    while (speak.length < ROUNDS) speak.push(await load(browser, node.url, { token, usable: 'speak' }));

    const scripts = [...new Set(first.scripts)];
    let raw = 0;
    let gzipped = 0;
    for (const url of scripts) {
      const body = Buffer.from(await (await fetch(url)).arrayBuffer());
      raw += body.length;
      gzipped += gzipSync(body, { level: 9 }).length;
    }
    const medianSpeak = median(speak.map((l) => l.ms));
    const medianBaseline = median(baseline.map((l) => l.ms));
    return {
      speakPageJs: {
        scripts: scripts.map((u) => new URL(u).pathname),
        rawKB: Number((raw / KB).toFixed(1)),
        gzippedKB: Number((gzipped / KB).toFixed(1)),
        onTheWireKB: Number(((first.bytes.Script ?? 0) / KB).toFixed(1)),
        goalGzippedKB: 150,
      },
      bundleByOriginMinifiedKB: await bundleBreakdown(root),
      slowLink: SLOW_LINK,
      usableDefinition: 'from navigation start until Speak shows its sentence and the record button is enabled (cold: fresh profile, empty cache, no service worker); the baseline until its load event',
      speakUsableMs: speak.map((l) => Math.round(l.ms)),
      baselineLoadMs: baseline.map((l) => Math.round(l.ms)),
      medianSpeakUsableMs: Math.round(medianSpeak),
      medianBaselineMs: Math.round(medianBaseline),
      ratio: Number((medianSpeak / medianBaseline).toFixed(2)),
      bytes: { speak: first.bytes, baseline: baseline[0]!.bytes, speakRequests: first.requests, baselineRequests: baseline[0]!.requests },
      speakFetched: first.fetched,
    };
  } finally {
    await browser.close();
    await node.stop();
    rmSync(baselineDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run bench -- app`: the figures into results.json, the rows into the table. */
export async function appSection(root: string, results: Record<string, unknown>, rows: Array<Array<string | number>>): Promise<void> {
  const app = await benchApp(root);
  results.contributorApp = { ...app, goal: 'speak page JavaScript <= 150 KB gzipped; usable <= 5 s on 400 kbit/s with 400 ms round trips, and <= 1.5x a static page of the same size from the same node' };
  rows.push(
    ['speak page JavaScript KB gzipped', app.speakPageJs.gzippedKB, `${app.speakPageJs.onTheWireKB} on the wire`, '', '≤ 150'],
    ['speak page usable ms, 400 kbit/s 400 ms', app.medianSpeakUsableMs, app.medianBaselineMs, app.ratio.toFixed(2), '≤ 5000 and ≤ 1.50'],
  );
}
