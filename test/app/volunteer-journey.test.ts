import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { clockSeconds, ensureAppBuilt, launchChromium, localeText, toFakeMicWav, volunteerContext } from '../helpers/browser.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

/** What the test reads of an <audio> element (the root tsconfig has no DOM types). */
interface Clip {
  src: string;
  readyState: number;
  duration: number;
}

/**
 * The contributor app in real Chromium against a real node: one volunteer joins in Swahili,
 * consents and records with the (fake) microphone; another checks the recording by ear; the
 * first switches the UI language, downloads their data and withdraws their consent.
 */
describe('contributor app: a volunteer’s journey', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-app-'));
  let t: TestNode;
  let browser: Browser;
  let speaker: BrowserContext;
  let page: Page;
  let promptId: string;
  let sampleId: string;

  beforeAll(async () => {
    ensureAppBuilt();
    const mic = toFakeMicWav(audioFixtures().files['sw.wav'], join(work, 'sw-48k.wav'));
    [t, browser] = await Promise.all([startTestNode(), launchChromium(mic)]);
    [promptId] = importPrompts(t, 'sw', [sentences['sw.wav']]) as [string];
    // navigator.language is sw-KE: the app starts in Swahili without being told.
    speaker = await volunteerContext(browser, t.url, { locale: 'sw-KE' });
    page = await speaker.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('joins anonymously and shows the key once', async () => {
    await page.goto('/');
    await page.waitForSelector('#app[data-ready]');
    expect(await page.getAttribute('html', 'lang')).toBe('sw');
    expect((await page.getByTestId('join').textContent())?.trim()).toBe(localeText('sw', 'common:join.start'));

    const joined = page.waitForResponse((r) => r.url().endsWith('/api/v1/contributors') && r.status() === 201);
    await page.getByTestId('join').click();
    const token = ((await (await joined).json()) as { token: string }).token;
    expect(await page.getByTestId('key-value').inputValue()).toBe(token);
    expect(await page.evaluate('localStorage.getItem("tributary.token")')).toBe(token);
  });

  it('shows the consent notice in Swahili, with required purposes locked, and records consent', async () => {
    await page.getByTestId('key-saved').click();
    const notice = JSON.parse(readFileSync(join(process.cwd(), 'locales/sw/consent.json'), 'utf8')) as { title: string };
    await page.getByRole('heading', { name: notice.title }).waitFor();
    const required = page.locator('input[name="purpose"]:disabled');
    expect(await required.count()).toBeGreaterThan(0);
    for (const box of await required.all()) expect(await box.isChecked()).toBe(true);
    expect(await page.isChecked('input[name="purpose"][value="commercial-model"]')).toBe(false);

    const given = page.waitForResponse((r) => r.url().endsWith('/api/v1/consents') && r.request().method() === 'POST');
    await page.getByTestId('consent-agree').click();
    expect((await given).status()).toBe(201);
    await page.waitForURL('**/speak');
  });

  it('records the sentence with the microphone and sends it with tus; the node stores a pending speech sample', async () => {
    // The card holds its place (empty) while the sentences load.
    const sentence = page.getByTestId('sentence');
    await expect.poll(() => sentence.textContent(), { timeout: 10_000, interval: 50 }).toBe(sentences['sw.wav']);

    await page.getByTestId('record').click();
    await page.waitForSelector('main[data-phase="recording"]');
    // The fixture speaks for about 4.6 s; stop once the app's clock says 5 s.
    await expect.poll(async () => clockSeconds(await page.locator('.timer').textContent()), { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(5);
    await page.getByTestId('record').click();
    await page.getByTestId('send').waitFor();
    // The take can be played back before it is sent.
    expect(await page.getByTestId('playback').getAttribute('src')).toMatch(/^blob:/);

    const finished = page.waitForResponse(
      (r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 201,
    );
    await page.getByTestId('send').click();
    sampleId = ((await (await finished).json()) as { id: string }).id;
    // The only sentence is read: the round ends with a summary naming the recording.
    await page.getByTestId('round-summary').waitFor();
    expect(await page.getByTestId('round-summary').locator('li[data-sample-id]').getAttribute('data-sample-id')).toBe(sampleId);

    const stored = t.inspect((db) =>
      db.prepare('SELECT status, modality, language, prompt_id AS promptId FROM samples WHERE id = ?').get(sampleId),
    );
    expect(stored).toEqual({ status: 'pending', modality: 'speech', language: 'sw', promptId });
  }, 40_000);

  it('lets another volunteer listen to the clip and vote on it', async () => {
    const validator = await joinWithConsent(t.api);
    const context = await volunteerContext(browser, t.url, { locale: 'en-GB', token: validator.token });
    try {
      const listener = await context.newPage();
      await listener.goto('/listen');
      // An English UI starts on the node's English; the validator chooses Swahili to check.
      await listener.locator('select[name="dataLanguage"]').selectOption('sw');
      const card = listener.getByTestId('sample-card');
      await card.waitFor();
      expect(await card.getAttribute('data-sample-id')).toBe(sampleId);
      expect(await listener.getByTestId('sample-text').textContent()).toBe(sentences['sw.wav']);

      // The clip was fetched with the bearer token into a blob: URL, and it plays.
      const clip = listener.getByTestId('clip');
      await expect
        .poll(() => clip.evaluate((audio: Clip) => audio.src.startsWith('blob:') && audio.readyState >= 1 && audio.duration > 1), { timeout: 10_000 })
        .toBe(true);
      expect(await listener.getByTestId('vote-up').isDisabled()).toBe(true);
      const box = (await clip.boundingBox())!;
      await clip.click({ position: { x: 22, y: box.height / 2 } });
      // Yes/No unlock once the whole clip has been heard.
      await listener.waitForSelector('[data-testid=vote-up]:not([disabled])', { timeout: 20_000 });

      const voted = listener.waitForResponse((r) => r.url().endsWith(`/samples/${sampleId}/votes`));
      await listener.getByTestId('vote-up').click();
      expect((await voted).status()).toBe(201);
      const vote = t.inspect((db) =>
        db.prepare('SELECT value FROM votes WHERE sample_id = ? AND contributor_id = ?').pluck().get(sampleId, validator.id),
      );
      expect(vote).toBe('up');
    } finally {
      await context.close();
    }
  }, 40_000);

  it('switches the UI language in place and remembers the choice', async () => {
    const speakTab = page.locator('a.tab[data-tab="speak"]');
    expect((await speakTab.textContent())?.trim()).toBe(localeText('sw', 'common:screen.speak'));

    await page.getByTestId('ui-locale').selectOption('fr');
    await expect.poll(() => page.getAttribute('html', 'lang'), { timeout: 10_000 }).toBe('fr');
    expect((await speakTab.textContent())?.trim()).toBe(localeText('fr', 'common:screen.speak'));
    expect((await page.locator('h1').textContent())?.trim()).toBe(localeText('fr', 'contribute:speak.title'));

    await page.reload();
    await page.waitForSelector('#app[data-ready]');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect((await speakTab.textContent())?.trim()).toBe(localeText('fr', 'common:screen.speak'));

    await page.getByTestId('ui-locale').selectOption('en');
    await expect.poll(() => page.getAttribute('html', 'lang'), { timeout: 10_000 }).toBe('en');
    expect((await speakTab.textContent())?.trim()).toBe(localeText('en', 'common:screen.speak'));
  });

  it('downloads my data as JSON that holds the recording', async () => {
    await page.locator('a.tab[data-tab="me"]').click();
    await page.waitForURL('**/me');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toMatch(/^tributary-export-.+\.json$/);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      format: string;
      samples: Array<{ id: string; modality: string }>;
    };
    expect(exported.format).toBe('tributary:export/1');
    expect(exported.samples.map((s) => [s.id, s.modality])).toEqual([[sampleId, 'speech']]);
  });

  it('withdraws the consent, and with it the recording', async () => {
    const withdraw = page.getByTestId('withdraw-consent');
    await withdraw.waitFor();
    await withdraw.click();
    const withdrawn = page.waitForResponse((r) => r.url().includes('/api/v1/consents/') && r.request().method() === 'DELETE');
    await page.locator('dialog[open] button[value="confirm"]').click();
    expect((await withdrawn).status()).toBe(200);
    await page.waitForSelector('.status[data-kind="success"]');
    expect((await page.locator('.status .status__text').textContent())?.trim()).toBe(
      localeText('en', 'mydata:consents.withdrawn_one', { count: 1 }),
    );
    await page.waitForSelector('.consent-record[data-active="false"]');
    const status = t.inspect((db) => db.prepare('SELECT status FROM samples WHERE id = ?').pluck().get(sampleId));
    expect(status).toBe('withdrawn');
  });
});
