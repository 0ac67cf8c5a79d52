import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAppBuilt, launchChromium, localeText, toFakeMicWav, volunteerContext } from '../helpers/browser.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

/** What the fake microphone says, made with espeak-ng: a few seconds of Swahili. */
const SPOKEN = 'Habari za asubuhi. Leo tunakwenda sokoni kununua matunda na mboga.';
const PROMPTS = ['Mvua imenyesha sana usiku wa jana.', 'Watoto wanacheza mpira uwanjani.', 'Bibi yangu anajua hadithi nyingi.'];
/** Small chunks, so a take of a few seconds is several PATCHes and the link can drop between two. */
const CHUNK_BYTES = 8 * 1024;

function seconds(file: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

/** The kept recordings, read from the page's IndexedDB as the app keeps them. */
function queued(page: Page): Promise<Array<{ id: string; uploadUrl: string | null }>> {
  // A string: the root tsconfig has no DOM types.
  return page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open('tributary', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('recordings', { keyPath: 'id' });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const read = open.result.transaction('recordings', 'readonly').objectStore('recordings').getAll();
      read.onsuccess = () => {
        resolve(read.result.map(({ id, uploadUrl }) => ({ id, uploadUrl })));
        open.result.close();
      };
      read.onerror = () => reject(read.error);
    };
  })`);
}

/** The network as Chrome DevTools sees it: cut, slow or as it is. */
async function network(cdp: CDPSession, state: 'offline' | 'slow' | 'normal'): Promise<void> {
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: state === 'offline',
    latency: state === 'slow' ? 50 : 0,
    // 32 KB/s up: a chunk takes a quarter of a second, long enough to cut the link between two.
    uploadThroughput: state === 'slow' ? 32 * 1024 : -1,
    downloadThroughput: -1,
  });
}

/** Waits until the service worker controls the page, so the shell is kept for offline use. */
async function controlled(page: Page): Promise<void> {
  // Polled through page.evaluate: waitForFunction's own polling evaluates a string in the page,
  // which the app's CSP (no 'unsafe-eval') refuses whenever the first look is not already true.
  const deadline = Date.now() + 15_000;
  while (!(await page.evaluate(() => (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker.controller !== null))) {
    if (Date.now() > deadline) throw new Error('the service worker never took control of the page');
    await page.waitForTimeout(100);
  }
}

/**
 * Never lose a recording: a take waits in IndexedDB until the node confirms it, a dropped link
 * mid-upload and a reload while offline lose nothing, and it is sent once, resumed from where
 * the node stopped, when the connection returns. The app shell opens offline from the service
 * worker, and the manifest makes it installable.
 */
describe('contributor app: offline, queued recordings, service worker and manifest', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-app-offline-'));
  let t: TestNode;
  let browser: Browser;
  let sourceSeconds: number;

  beforeAll(async () => {
    ensureAppBuilt();
    const spoken = join(work, 'spoken.wav');
    execFileSync('espeak-ng', ['-v', 'sw', '-s', '150', '-w', spoken, SPOKEN]);
    const mic = toFakeMicWav(spoken, join(work, 'spoken-48k.wav'));
    sourceSeconds = seconds(mic);
    [t, browser] = await Promise.all([startTestNode(), launchChromium(mic)]);
    importPrompts(t, 'sw', PROMPTS);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the service worker and the manifest, linked from the page, under the node’s CSP', async () => {
    const sw = await fetch(`${t.url}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    const script = await sw.text();
    // Versioned caches: the build's hash names them.
    expect(script).toMatch(/tributary-shell-[0-9a-f]{16}/);
    const manifest = await fetch(`${t.url}/manifest.webmanifest`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    const body = (await manifest.json()) as { name: string; start_url: string; display: string; theme_color: string; icons: Array<{ src: string; purpose: string; type: string }> };
    expect(body).toMatchObject({ name: 'Tributary', start_url: '/speak', display: 'standalone', theme_color: '#0b5d57' });
    expect(body.icons.some((icon) => icon.purpose === 'maskable' && icon.type === 'image/png')).toBe(true);
    for (const icon of body.icons) expect((await fetch(t.url + icon.src)).status, icon.src).toBe(200);
    const index = await (await fetch(`${t.url}/`)).text();
    expect(index).toContain('<link rel="manifest" href="/manifest.webmanifest">');
  });

  it('opens offline from the service worker after one online visit', async () => {
    const volunteer = await joinWithConsent(t.api, 'sw');
    const context = await volunteerContext(browser, t.url, { locale: 'sw-KE', token: volunteer.token });
    const page = await context.newPage();
    await page.goto('/speak');
    await page.waitForSelector('#app[data-ready]');
    await controlled(page);
    // The SW keeps no API answers: nothing under /api/ or /.well-known/ is in any of its caches.
    const cached = () =>
      page.evaluate<string[]>(`(async () => {
        const urls = [];
        for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
        return urls;
      })()`);
    await expect.poll(cached).toContain('/locales/sw/common.json');
    const kept = await cached();
    expect(kept).toEqual(expect.arrayContaining(['/index.html', '/app.js', '/app.css', '/manifest.webmanifest', '/locales/sw/common.json']));
    expect(kept.filter((path) => path.startsWith('/api/') || path.startsWith('/.well-known/'))).toEqual([]);

    await context.setOffline(true);
    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    await page.waitForSelector('#app[data-ready]');
    // The shell in Swahili, the volunteer's tabs, and the banner saying the app is offline.
    expect(await page.locator('.tab[data-tab="speak"]').textContent()).toBe(localeText('sw', 'common:screen.speak'));
    const banner = page.getByTestId('offline-banner');
    await banner.waitFor();
    expect(await banner.getAttribute('data-state')).toBe('offline');
    expect(await banner.locator('.offline-banner__headline').textContent()).toBe(localeText('sw', 'common:offline.banner'));
    await context.close();
  }, 60_000);

  it('keeps a recording through a cut mid-upload and a reload offline, then sends it once, resumed', async () => {
    const volunteer = await joinWithConsent(t.api, 'sw');
    const context: BrowserContext = await volunteerContext(browser, t.url, { locale: 'sw-KE', token: volunteer.token });
    await context.addInitScript(`localStorage.setItem('tributary.uploadChunkBytes', '${CHUNK_BYTES}')`);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await page.goto('/speak');
    await page.waitForSelector('#app[data-ready]');
    await controlled(page);
    await page.waitForSelector('main[data-phase="ready"]');
    const promptId = await page.locator('[data-prompt-id]').getAttribute('data-prompt-id');

    await page.getByTestId('record').click();
    await page.waitForSelector('main[data-phase="recording"]');
    await page.waitForTimeout(sourceSeconds * 1000 + 250);
    await page.getByTestId('record').click();
    await page.waitForSelector('main[data-phase="recorded"]');
    // The take as the app decoded it. It holds the whole source and, on a busy machine, the
    // silence recorded until the stop click landed: the node must receive exactly this take.
    const takeSeconds = Number(await page.locator('main .review').getAttribute('data-seconds'));
    expect(takeSeconds).toBeGreaterThanOrEqual(sourceSeconds * 0.9);

    // A slow uplink, so the cut lands between two chunks: after the node answered the first PATCH.
    await network(cdp, 'slow');
    const created = page.waitForResponse((r) => r.url().includes('/api/v1/uploads') && r.request().method() === 'POST' && r.status() === 201);
    const firstChunk = page.waitForResponse((r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 204);
    await page.getByTestId('send').click();
    const uploadUrl = new URL((await (await created).headerValue('location'))!, t.url).href;
    await firstChunk;
    await network(cdp, 'offline');

    // The banner says so, the take waits in IndexedDB with its upload URL, and the node has no sample.
    const banner = page.getByTestId('offline-banner');
    await page.waitForSelector('[data-testid="offline-banner"][data-state="offline"][data-waiting="1"]');
    expect(await banner.getByTestId('offline-waiting').textContent()).toBe(localeText('sw', 'common:offline.waiting', { number: 1 }));
    await expect.poll(() => queued(page)).toEqual([{ id: expect.any(String), uploadUrl }]);
    const speechSamples = () =>
      t.inspect((db) => db.prepare("SELECT id, prompt_id AS promptId, upload_id AS uploadId, audio_facts AS facts FROM samples WHERE modality = 'speech' AND contributor_id = ?").all(volunteer.id)) as Array<{
        id: string;
        promptId: string;
        uploadId: string;
        facts: string;
      }>;
    expect(speechSamples()).toEqual([]);
    // Part of it reached the node, not all.
    const head = await fetch(uploadUrl, { method: 'HEAD', headers: { authorization: `Bearer ${volunteer.token}`, 'tus-resumable': '1.0.0' } });
    const partial = Number(head.headers.get('upload-offset'));
    expect(partial).toBeGreaterThanOrEqual(CHUNK_BYTES);
    expect(partial).toBeLessThan(Number(head.headers.get('upload-length')));

    // The page is reloaded while offline: the service worker serves the shell, the queue is still there.
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.waitForSelector('#app[data-ready]');
    await page.waitForSelector('[data-testid="offline-banner"][data-state="offline"][data-waiting="1"]');
    expect(await queued(page)).toHaveLength(1);

    // The network returns: the kept take goes by itself, resumed on the same upload.
    const newUploads: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/uploads') && request.method() === 'POST') newUploads.push(request.url());
    });
    await network(cdp, 'normal');
    await page.waitForSelector('[data-testid="offline-banner"]', { state: 'hidden', timeout: 30_000 });
    await expect.poll(() => queued(page), { timeout: 10_000 }).toEqual([]);
    expect(newUploads, 'no new upload is created on resuming').toEqual([]);

    const stored = speechSamples();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.promptId).toBe(promptId);
    expect(stored[0]!.uploadId).toBe(new URL(uploadUrl).pathname.split('/').pop());
    const { durationSeconds } = JSON.parse(stored[0]!.facts) as { durationSeconds: number };
    // All of the take arrived (resumed, not restarted nor cut): the node's decoder and the
    // browser's agree within a couple of Opus frames.
    expect(Math.abs(durationSeconds - takeSeconds), `${durationSeconds} s stored, the take was ${takeSeconds} s`).toBeLessThanOrEqual(0.1);

    // Another reload online sends nothing more.
    await page.reload();
    await page.waitForSelector('#app[data-ready]');
    await page.waitForTimeout(500);
    expect(speechSamples()).toHaveLength(1);
    await context.close();
  }, 120_000);
});
