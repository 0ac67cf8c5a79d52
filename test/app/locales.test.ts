import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures } from '../fixtures/audio-fixtures.js';
import { ensureAppBuilt, launchChromium, localeText, toFakeMicWav, volunteerContext } from '../helpers/browser.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const index = JSON.parse(readFileSync(join(root, 'locales', 'index.json'), 'utf8')) as Record<string, { name: string; dir: string; status: string }>;

/** The app bakes the locale list in at build time: rebuild when locales/index.json is newer. */
function ensureBuiltWithLocales(): void {
  const built = join(root, 'contributor-app', 'dist', 'app.js');
  let stale = true;
  try {
    stale = statSync(built).mtimeMs < statSync(join(root, 'locales', 'index.json')).mtimeMs;
  } catch {
    // not built yet
  }
  if (stale) execFileSync(process.execPath, [join(root, 'contributor-app', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  ensureAppBuilt();
}

/** What <html> says about the page's language, and the direction the layout actually took. */
const html = (page: Page) =>
  page.evaluate<{ lang: string; dir: string; status: string | undefined; direction: string }>(`({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    status: document.documentElement.dataset.localeStatus,
    direction: getComputedStyle(document.body).direction,
  })`);

describe('contributor app: interface languages', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-app-locales-'));
  let t: TestNode;
  let browser: Browser;

  beforeAll(async () => {
    ensureBuiltWithLocales();
    const mic = toFakeMicWav(audioFixtures().files['silence-3s.wav'], join(work, 'silence-48k.wav'));
    [t, browser] = await Promise.all([startTestNode(), launchChromium(mic)]);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves each locale’s name, direction and status at /locales/index.json', async () => {
    const response = await fetch(`${t.url}/locales/index.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(index);
  });

  it('an Arabic browser gets the app right to left, in Arabic, with the English notice named as such', async () => {
    const joined = await t.api.post('/contributors', {});
    const context = await volunteerContext(browser, t.url, { locale: 'ar-EG', token: joined.body.token as string });
    const page = await context.newPage();
    await page.goto('/consent');
    await page.locator('.notice__text').waitFor();

    expect(await html(page)).toEqual({ lang: 'ar', dir: 'rtl', status: index.ar!.status, direction: 'rtl' });
    expect((await page.locator('main h1').textContent())?.trim()).toBe(localeText('ar', 'consentui:title'));

    // The node has no Arabic notice: it shows the English one, marked as English, and says so in Arabic.
    expect(await page.getAttribute('.notice__text', 'lang')).toBe('en');
    const english = await page.evaluate(() => new Intl.DisplayNames(['ar'], { type: 'language' }).of('en')!);
    await expect
      .poll(() => page.locator('main').textContent())
      .toContain(localeText('ar', 'consentui:fallbackLanguage', { language: english }));

    // The picker names every locale in itself and says how far each was checked.
    const options = await page.locator('[data-testid="ui-locale"] option').evaluateAll((nodes) =>
      nodes.map((n) => ({ value: n.getAttribute('value'), text: n.textContent, status: n.getAttribute('data-status') })),
    );
    expect(options.map((o) => o.value).sort()).toEqual(Object.keys(index).sort());
    for (const option of options) expect(option).toEqual({ value: option.value, text: index[option.value!]!.name, status: index[option.value!]!.status });
    await context.close();
  }, 30_000);

  it('counts characters with Arabic plural forms and Arabic number formatting, and switches to Urdu and back to English', async () => {
    const volunteer = await joinWithConsent(t.api, 'en');
    const context = await volunteerContext(browser, t.url, { locale: 'ar', token: volunteer.token });
    const page = await context.newPage();
    await page.goto('/write');
    const text = page.getByTestId('write-text');
    await text.waitFor();
    const counter = page.locator('.char-count');
    const number = (n: number) => page.evaluate((value) => new Intl.NumberFormat('ar').format(value), n);
    const max = await number(2000);

    // Intl.PluralRules('ar'): 3 is "few", 11 is "many", 100 is "other"; each has its own form.
    for (const [typed, form] of [['abc', 'few'], ['abcdefghijk', 'many'], ['a'.repeat(100), 'other']] as const) {
      await text.fill(typed);
      const count = await number(typed.length);
      expect(await page.evaluate((n) => new Intl.PluralRules('ar').select(n), typed.length)).toBe(form);
      await expect.poll(() => counter.textContent()).toBe(localeText('ar', `contribute:write.count_${form}`, { count, max }));
    }
    await text.fill('a');
    await expect.poll(() => counter.textContent()).toBe(localeText('ar', 'contribute:write.count_one', { max }));

    // Switching the UI locale re-translates in place, keeps what was typed, and turns the page.
    await page.getByTestId('ui-locale').selectOption('ur');
    await expect.poll(() => html(page)).toEqual({ lang: 'ur', dir: 'rtl', status: index.ur!.status, direction: 'rtl' });
    expect(await counter.textContent()).toBe(localeText('ur', 'contribute:write.count_one', { count: await page.evaluate(() => new Intl.NumberFormat('ur').format(1)), max: await page.evaluate(() => new Intl.NumberFormat('ur').format(2000)) }));
    await page.getByTestId('ui-locale').selectOption('en');
    await expect.poll(() => html(page)).toEqual({ lang: 'en', dir: 'ltr', status: index.en!.status, direction: 'ltr' });
    expect(await counter.textContent()).toBe(localeText('en', 'contribute:write.count_one', { count: '1', max: '2,000' }));
    expect(await text.inputValue()).toBe('a');
    await context.close();
  }, 30_000);
});
