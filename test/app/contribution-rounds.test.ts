import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAppBuilt, launchChromium, localeText, toFakeMicWav, volunteerContext } from '../helpers/browser.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

/** What the test reads of an <audio> element (the root tsconfig has no DOM types). */
interface Clip {
  duration: number;
}

/** What the fake microphone says, made with espeak-ng: about six seconds of Swahili. */
const SPOKEN = 'Habari za asubuhi. Leo tunakwenda sokoni kununua matunda, mboga na samaki wabichi.';
const PROMPTS = [
  'Mvua imenyesha sana usiku wa jana.',
  'Watoto wanacheza mpira uwanjani.',
  'Bibi yangu anajua hadithi nyingi.',
  'Kesho tutasafiri kwenda Nairobi.',
  'Tunapenda kula wali na samaki.',
  'Ndege wengi huhamia hapa wakati wa baridi.',
];

function seconds(file: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

/**
 * Contribution sessions as volunteers know them from Common Voice, driven by the keyboard only:
 * a round of five recordings with progress and a summary, then two volunteers check them in a
 * Listen round each, and the node validates all five.
 */
describe('contributor app: rounds of five, by keyboard', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-app-rounds-'));
  let t: TestNode;
  let browser: Browser;
  let sourceSeconds: number;
  const sent: string[] = [];
  /** Sample id → the length of its take as the app decoded it (`data-seconds`). */
  const takeSeconds = new Map<string, number>();

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

  /** Presses a key as a volunteer would, with focus wherever the app left it. */
  const press = (page: Page, key: string) => page.keyboard.press(key);

  it('joins, consents and records a round of five with the keyboard only', async () => {
    const context = await volunteerContext(browser, t.url, { locale: 'sw-KE' });
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForSelector('#app[data-ready]');
    // Focus lands on each button as Tab would bring it there; Enter presses it.
    await page.getByTestId('join').focus();
    await press(page, 'Enter');
    await page.getByTestId('key-saved').waitFor();
    await page.getByTestId('key-saved').focus();
    await press(page, 'Enter');
    await page.getByTestId('consent-agree').waitFor();
    await page.getByTestId('consent-agree').focus();
    await press(page, 'Enter');
    await page.waitForURL('**/speak');

    // Every action shows its key on screen.
    for (const [testid, key] of [['record', 'R'], ['skip-sentence', 'S']] as const) {
      expect(await page.getByTestId(testid).getAttribute('aria-keyshortcuts')).toBe(key);
      expect((await page.getByTestId(testid).locator('kbd').textContent())?.trim()).toBe(key);
    }

    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await page.waitForSelector('main[data-phase="ready"]');
      expect((await page.getByTestId('round-progress').textContent())?.trim()).toBe(localeText('sw', 'common:round.progress', { current: i + 1, total: 5 }));
      const sentence = page.getByTestId('sentence');
      const text = (await sentence.textContent())!;
      expect(seen.has(text), 'a round never repeats a sentence').toBe(false);
      seen.add(text);
      expect(await sentence.getAttribute('lang')).toBe('sw');
      expect(await sentence.getAttribute('dir')).toBe('auto');

      await press(page, 'r');
      await page.waitForSelector('main[data-phase="recording"]');
      // The volunteer reads for as long as the sentence takes, then stops.
      await page.waitForTimeout(sourceSeconds * 1000 + 250);
      await press(page, 'r');
      await page.waitForSelector('main[data-phase="recorded"]');

      // The take shows its length and can be scrubbed: the element knows its (finite) duration.
      const player = page.getByTestId('playback');
      await expect.poll(() => player.evaluate((audio: Clip) => audio.duration), { timeout: 5000 }).toBeLessThan(60);
      const duration = await player.evaluate((audio: Clip) => audio.duration);
      expect(duration).toBeGreaterThan(sourceSeconds * 0.9);
      // The label gives the length decoded from the take (data-seconds); the element's own
      // duration, from the container, may differ by a frame, enough to round the other way.
      const measured = Number(await page.locator('main .review').getAttribute('data-seconds'));
      expect(Math.abs(duration - measured)).toBeLessThan(0.25);
      const m = Math.floor(Math.round(measured) / 60);
      const s = String(Math.round(measured) % 60).padStart(2, '0');
      expect((await page.getByTestId('take-length').textContent())?.trim()).toBe(localeText('sw', 'contribute:record.length', { length: `${m}:${s}` }));

      const finished = page.waitForResponse((r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 201);
      await press(page, 'n');
      const id = ((await (await finished).json()) as { id: string }).id;
      sent.push(id);
      takeSeconds.set(id, measured);
      // One status message at a time.
      expect(await page.locator('main .status').count()).toBe(1);
    }

    const summary = page.getByTestId('round-summary');
    await summary.waitFor();
    expect(await summary.locator('li[data-sample-id]').evaluateAll((items) => items.map((li) => li.getAttribute('data-sample-id')))).toEqual(sent);
    expect((await summary.getByTestId('more').textContent())).toContain(localeText('sw', 'common:round.more', { count: 5 }));

    const stored = t.inspect((db) =>
      db.prepare("SELECT id, status, audio_facts AS facts FROM samples WHERE modality = 'speech' ORDER BY id").all(),
    ) as Array<{ id: string; status: string; facts: string }>;
    expect(stored.map((row) => row.id)).toEqual([...sent].sort());
    for (const row of stored) {
      expect(row.status).toBe('pending');
      // The node holds each take whole: the length it decoded is the one the app showed. (Not the
      // source's: a take also holds the silence until the stop landed, longer on a busy machine.)
      const { durationSeconds } = JSON.parse(row.facts) as { durationSeconds: number };
      expect(Math.abs(durationSeconds - takeSeconds.get(row.id)!), `${durationSeconds} s stored, the take was ${takeSeconds.get(row.id)} s`).toBeLessThanOrEqual(0.1);
    }

    // "5 more" with its key starts the next round: one sentence is left.
    await press(page, 'm');
    await page.waitForSelector('main[data-phase="ready"]');
    expect((await page.getByTestId('round-progress').textContent())?.trim()).toBe(localeText('sw', 'common:round.progress', { current: 1, total: 5 }));
    expect(await page.getByTestId('sentence').textContent()).toBe(PROMPTS.find((p) => !seen.has(p)));
    await context.close();
  }, 120_000);

  it('two more volunteers check the round in Listen, by keyboard, and the five become validated', async () => {
    expect(sent).toHaveLength(5);
    // One after the other: the second sees the same five, and its votes make the quorum.
    for (const locale of ['sw-KE', 'en-GB']) {
      const validator = await joinWithConsent(t.api);
      const context = await volunteerContext(browser, t.url, { locale, token: validator.token, uiLocale: locale.split('-')[0] });
      await context.addInitScript(`localStorage.setItem('tributary.dataLanguage', 'sw')`);
      const page = await context.newPage();
      await page.goto('/listen');
      const ui = locale.split('-')[0]!;
      const checked: string[] = [];
      for (let i = 0; i < 5; i++) {
        const card = page.locator('[data-testid="sample-card"][data-loaded="true"]');
        await card.waitFor();
        expect((await page.getByTestId('round-progress').textContent())?.trim()).toBe(localeText(ui, 'common:round.progress', { current: i + 1, total: 5 }));
        const id = (await card.getAttribute('data-sample-id'))!;
        // Yes is locked until the clip has been heard; Y does nothing yet.
        expect(await page.getByTestId('vote-up').isDisabled()).toBe(true);
        await press(page, 'p');
        await page.waitForSelector('[data-testid="sample-card"][data-heard="true"]', { timeout: 20_000 });
        const voted = page.waitForResponse((r) => r.url().endsWith(`/samples/${id}/votes`));
        await press(page, 'y');
        expect((await voted).status()).toBe(201);
        checked.push(id);
        if (i < 4) await page.locator(`[data-testid="sample-card"]:not([data-sample-id="${id}"])`).waitFor();
      }
      expect([...checked].sort()).toEqual([...sent].sort());
      await page.getByTestId('round-summary').waitFor();
      expect((await page.getByTestId('round-summary').textContent())).toContain(localeText(ui, 'validate:summary.counts', { yes: 5, no: 0, skipped: 0 }));
      await context.close();
    }
    const statuses = t.inspect((db) => db.prepare("SELECT DISTINCT status FROM samples WHERE modality = 'speech'").pluck().all());
    expect(statuses).toEqual(['validated']);
  }, 240_000);
});
