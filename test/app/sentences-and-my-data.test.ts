import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures } from '../fixtures/audio-fixtures.js';
import { clockSeconds, ensureAppBuilt, launchChromium, localeText, toFakeMicWav, volunteerContext } from '../helpers/browser.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

/** The node asks for more speech than its default, so a short take is refused in the app. */
const MIN_SECONDS = 3;

/**
 * Sentences (propose, review, honest empty states, "another sentence"), the refusal of a take
 * shorter than the node's minimum, My contributions with every status, and a wrong key.
 */
describe('contributor app: sentences, short takes and my contributions', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-app-sentences-'));
  let t: TestNode;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureAppBuilt();
    const mic = toFakeMicWav(audioFixtures().files['sw.wav'], join(work, 'sw-48k.wav'));
    [t, browser] = await Promise.all([startTestNode({ audio: { minSpeechSeconds: MIN_SECONDS } }), launchChromium(mic)]);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function open(volunteer: Volunteer, path: string, dataLanguage = 'sw', locale = 'en-GB'): Promise<Page> {
    const context = await volunteerContext(browser, t.url, { locale, token: volunteer.token });
    await context.addInitScript(`localStorage.setItem('tributary.dataLanguage', ${JSON.stringify(dataLanguage)})`);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(path);
    await page.waitForSelector('#app[data-ready]');
    return page;
  }

  it('says honestly that the node has no Yoruba sentences yet, and offers to propose some', async () => {
    const page = await open(await joinWithConsent(t.api), '/speak', 'yo');
    const empty = page.getByTestId('speak-empty');
    await empty.waitFor();
    expect(await empty.getAttribute('data-reason')).toBe('none');
    expect((await page.getByTestId('empty-text').textContent())?.trim()).toBe(localeText('en', 'contribute:speak.emptyNone', { language: 'Yoruba' }));
    expect(await empty.locator('a[href="/sentences"]').count()).toBe(1);
  });

  it('"another sentence" never repeats the one on screen, and says so when there is no other', async () => {
    const [first, second] = importPrompts(t, 'sw', ['Mvua imenyesha sana usiku wa jana.', 'Watoto wanacheza mpira uwanjani.']) as [string, string];
    const page = await open(await joinWithConsent(t.api), '/speak');
    await page.waitForSelector('main[data-phase="ready"]');
    const shown = () => page.locator('.sentence-card').getAttribute('data-prompt-id');
    let previous = await shown();
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('s');
      await page.locator(`.sentence-card:not([data-prompt-id="${previous}"])`).waitFor();
      const now = await shown();
      expect([first, second]).toContain(now);
      previous = now;
    }

    // A volunteer who reports one sentence is left with the other, and "another" has nowhere to go.
    const reported = await shown();
    await page.getByTestId('report').locator('summary').click();
    const sent = page.waitForResponse((r) => r.url().endsWith(`/prompts/${reported}/reports`));
    await page.getByTestId('report-send').click();
    expect((await sent).status()).toBe(201);
    await page.locator(`.sentence-card:not([data-prompt-id="${reported}"])`).waitFor();
    const left = await shown();
    await page.keyboard.press('s');
    await page.locator('main .status[data-kind="info"]').waitFor();
    expect((await page.locator('main .status').textContent())?.trim()).toBe(localeText('en', 'contribute:speak.noOther'));
    expect(await shown()).toBe(left);
  });

  it('does not offer a take shorter than the node’s minimum for sending, and says why', async () => {
    const limits = await t.api.get('/limits');
    expect(limits.body.audio.minSeconds).toBe(MIN_SECONDS);
    const page = await open(await joinWithConsent(t.api), '/speak');
    await page.waitForSelector('main[data-phase="ready"]');
    await page.keyboard.press('r');
    await page.waitForSelector('main[data-phase="recording"]');
    await expect.poll(async () => clockSeconds(await page.locator('.timer').textContent()), { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    await page.keyboard.press('r');
    await page.waitForSelector('main[data-phase="recorded"]');
    const seconds = Number(await page.locator('.review').getAttribute('data-seconds'));
    expect(seconds).toBeLessThan(MIN_SECONDS);
    const note = page.getByTestId('too-short');
    expect(await note.isVisible()).toBe(true);
    expect((await note.textContent())?.trim()).toBe(
      localeText('en', 'contribute:record.tooShort', { seconds: (Math.floor(seconds * 10) / 10).toFixed(1), min: MIN_SECONDS }),
    );
    expect(await page.getByTestId('send').isVisible()).toBe(false);
    // N (send) does nothing: no upload starts.
    let uploads = 0;
    page.on('request', (r) => r.url().includes('/api/v1/uploads') && uploads++);
    await page.keyboard.press('n');
    expect(await page.getAttribute('main', 'data-phase')).toBe('recorded');
    expect(uploads).toBe(0);
    expect(await page.getByTestId('record').isEnabled()).toBe(true);
  }, 30_000);

  it('proposes a sentence, which two other volunteers approve in Review, and then it can be read', async () => {
    const author = await joinWithConsent(t.api);
    const text = 'Kaka yangu anajifunza kuendesha baiskeli mpya.';
    const page = await open(author, '/sentences');
    const field = page.getByTestId('propose-text');
    expect(await field.getAttribute('lang')).toBe('sw');
    expect(await field.getAttribute('dir')).toBe('auto');
    await field.fill(text);
    const proposed = page.waitForResponse((r) => r.url().endsWith('/api/v1/prompts') && r.request().method() === 'POST');
    await page.getByTestId('propose-send').click();
    const prompt = (await (await proposed).json()) as { id: string; status: string };
    expect(prompt.status).toBe('pending');
    await page.locator(`[data-testid="proposed-list"] li[data-prompt-id="${prompt.id}"]`).waitFor();
    expect((await page.locator('main .status').textContent())?.trim()).toBe(localeText('en', 'contribute:sentences.propose.sent'));

    for (const reviewer of [await joinWithConsent(t.api), await joinWithConsent(t.api)]) {
      const review = await open(reviewer, '/sentences/review');
      const card = review.locator(`[data-testid="review-card"][data-prompt-id="${prompt.id}"]`);
      await card.waitFor();
      expect(await review.getByTestId('review-sentence').getAttribute('lang')).toBe('sw');
      const voted = review.waitForResponse((r) => r.url().endsWith(`/prompts/${prompt.id}/votes`));
      await review.keyboard.press('y');
      expect((await voted).status()).toBe(201);
      await review.getByTestId('review-empty').waitFor();
      expect((await review.getByTestId('empty-text').textContent())?.trim()).toBe(localeText('en', 'contribute:sentences.review.empty', { language: 'Swahili' }));
    }
    expect(t.inspect((db) => db.prepare('SELECT status FROM prompts WHERE id = ?').pluck().get(prompt.id))).toBe('accepted');
    const reader = await joinWithConsent(t.api);
    const readable = await t.api.get('/prompts?lang=sw&limit=50', reader.token);
    expect(readable.body.prompts.map((p: { id: string }) => p.id)).toContain(prompt.id);
  }, 60_000);

  it('lists my contributions with their status and counts: pending, validated, rejected, withdrawn', async () => {
    const me = await joinWithConsent(t.api);
    const post = async (text: string) => (await t.api.post('/samples/text', { language: 'sw', text }, me.token)).body.id as string;
    const withdrawn = await post('Shangazi ametuletea ndizi tamu kutoka shambani.');
    expect((await t.api.delete(`/consents/${me.consentRecordId}`, me.token, { reason: 'test' })).status).toBe(200);
    const notice = (await t.api.get('/consent/notice?lang=en')).body;
    const required = notice.purposes.filter((p: { required: boolean }) => p.required).map((p: { id: string }) => p.id);
    expect((await t.api.post('/consents', { noticeId: notice.id, noticeSha256: notice.sha256, purposes: required }, me.token)).status).toBe(201);
    const validated = await post('Walimu wamepanda miti mingi kuzunguka shule yetu.');
    const rejected = await post('Tutakutana kanisani kesho baada ya ibada ya asubuhi.');
    const pending = await post('Samaki wakubwa huonekana ziwani wakati wa masika.');
    for (const voter of [await joinWithConsent(t.api), await joinWithConsent(t.api)]) {
      expect((await t.api.post(`/samples/${validated}/votes`, { value: 'up' }, voter.token)).status).toBe(201);
      expect((await t.api.post(`/samples/${rejected}/votes`, { value: 'down' }, voter.token)).status).toBe(201);
    }

    const page = await open(me, '/me');
    const list = page.getByTestId('my-samples');
    await page.waitForSelector('[data-testid="my-samples"][aria-busy="false"] li[data-sample-id]');
    const rows = await list.locator('li[data-sample-id]').evaluateAll((items) =>
      items.map((li) => [li.getAttribute('data-sample-id'), li.querySelector('[data-testid="sample-status"]')?.textContent?.trim()]),
    );
    // Newest first, each status in words.
    expect(rows).toEqual([
      [pending, localeText('en', 'mydata:contributions.status.pending')],
      [rejected, localeText('en', 'mydata:contributions.status.rejected')],
      [validated, localeText('en', 'mydata:contributions.status.validated')],
      [withdrawn, localeText('en', 'mydata:contributions.status.withdrawn')],
    ]);
    const counts = await page.getByTestId('sample-counts').locator('li').allTextContents();
    expect(counts.map((c) => c.trim())).toEqual([
      localeText('en', 'mydata:contributions.count.pending', { count: 1 }),
      localeText('en', 'mydata:contributions.count.validated', { count: 1 }),
      localeText('en', 'mydata:contributions.count.rejected', { count: 1 }),
      localeText('en', 'mydata:contributions.count.withdrawn', { count: 1 }),
    ]);
    // The withdrawn sample's text is gone from the node, and the list says so.
    expect((await list.locator(`li[data-sample-id="${withdrawn}"]`).textContent())).toContain(localeText('en', 'mydata:contributions.erased'));
  }, 30_000);

  it('says "key not recognised" for a wrong key at sign-in, not that a session ended', async () => {
    const context = await volunteerContext(browser, t.url, { locale: 'en-GB' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto('/join');
    await page.getByTestId('paste-key').fill('not-a-key-this-node-ever-gave');
    await page.getByTestId('paste-key').press('Enter');
    await page.locator('main .status[data-kind="error"]').waitFor();
    expect((await page.locator('main .status').textContent())?.trim()).toBe(localeText('en', 'common:join.keyNotRecognised'));
    expect(await page.evaluate('localStorage.getItem("tributary.token")')).toBeNull();
  });
});
