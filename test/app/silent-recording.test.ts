import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures } from '../fixtures/audio-fixtures.js';
import { clockSeconds, ensureAppBuilt, launchChromium, localeText, toFakeMicWav, volunteerContext } from '../helpers/browser.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

describe('contributor app: a recording the node refuses', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-app-silent-'));
  let t: TestNode;
  let browser: Browser;

  beforeAll(async () => {
    ensureAppBuilt();
    // A microphone that hears nothing at all.
    const mic = toFakeMicWav(audioFixtures().files['silence-3s.wav'], join(work, 'silence-48k.wav'));
    [t, browser] = await Promise.all([startTestNode(), launchChromium(mic)]);
    importPrompts(t, 'sw', ['Mvua imenyesha sana usiku wa jana.']);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('explains AudioSilent in the volunteer’s language and keeps the take for another try', async () => {
    const volunteer = await joinWithConsent(t.api, 'sw');
    const context = await volunteerContext(browser, t.url, { locale: 'sw-TZ', token: volunteer.token });
    const page = await context.newPage();
    await page.goto('/speak');
    await page.waitForSelector('main[data-phase="ready"]');

    await page.getByTestId('record').click();
    await page.waitForSelector('main[data-phase="recording"]');
    // At least two seconds of silence: waiting for the clock to read exactly 0:02 would miss it on
    // a busy machine, where one poll can come after the clock has moved on.
    await expect.poll(async () => clockSeconds(await page.locator('.timer').textContent()), { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    await page.getByTestId('record').click();
    await page.getByTestId('send').waitFor();

    const refused = page.waitForResponse((r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH');
    await page.getByTestId('send').click();
    const response = await refused;
    expect(response.status()).toBe(422);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('AudioSilent');

    const status = page.locator('.status[data-code="AudioSilent"]');
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe(localeText('sw', 'errors:AudioSilent'));
    // Nothing was stored, and the volunteer can record again right away.
    expect(t.inspect((db) => db.prepare('SELECT count(*) FROM samples').pluck().get())).toBe(0);
    expect(await page.getAttribute('main', 'data-phase')).toBe('recorded');
    expect(await page.getByTestId('record').isEnabled()).toBe(true);
    await context.close();
  }, 30_000);
});
