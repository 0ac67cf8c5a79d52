import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ensureAppBuilt } from '../helpers/browser.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { giveConsent, newPrincipal } from '../helpers/principals.js';
import { seedReleaseData } from '../helpers/release-data.js';
import { importPrompts, postRecording } from '../helpers/speech.js';
import { audioFixtures } from '../fixtures/audio-fixtures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appSrc = join(root, 'contributor-app/src');
/** Where the screenshots go (named in contributor-app/README.md, ignored by git). */
export const SCREENSHOTS = join(root, 'test-artifacts/screenshots');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core'), 'utf8');

/** One LTR and one RTL interface language. */
const LOCALES = [
  { ui: 'en', browser: 'en-GB', dir: 'ltr' },
  { ui: 'ar', browser: 'ar-EG', dir: 'rtl' },
] as const;
const NARROWEST = 320;
const SHOT_WIDTHS = [360, 1280];

interface AppRoute {
  path: string;
  gate: string;
}

/**
 * Every page the app routes to, read from its route tables (`{ path: '/…', screen: …, gate: … }`
 * anywhere under src/), so a page added to the router is checked without touching this test.
 */
function appRoutes(): AppRoute[] {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });
  const routes: AppRoute[] = [];
  for (const file of files(appSrc)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\{\s*path:\s*'(\/[^']*)',\s*screen:\s*\w+,\s*gate:\s*'(\w+)'/g)) {
      routes.push({ path: match[1]!, gate: match[2]! });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path));
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core's findings on the page as it stands. Evaluated over DevTools, so the node's CSP stays on. */
async function axe(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // The root tsconfig has no DOM types; axe is the global the script above defined.
    const run = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const results = await run.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** The focused element, and whether anything marks it: an outline or a box shadow. */
const FOCUS_PROBE = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const again = el.__focusSeen === true;
  el.__focusSeen = true;
  const s = getComputedStyle(el);
  const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  return { tag: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''), again, visible: outlined || s.boxShadow !== 'none' };
})()`;

/** Waits until the screen has loaded what it shows: the app is up, nothing busy, the network quiet. */
async function settled(page: Page): Promise<void> {
  await page.waitForSelector('#app[data-ready]');
  await page.waitForLoadState('networkidle');
  // A function, not a string: the node's CSP forbids eval in the page.
  await page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('main [aria-busy=true], main[aria-busy=true]'), undefined, { timeout: 10_000 });
  // Fonts and late layout.
  await page.waitForTimeout(150);
}

const fileName = (path: string) => path.slice(1).replace(/\//g, '-') || 'home';

/**
 * Accessibility in real Chromium against a real node with data in it: axe-core on every page the
 * router knows, in English and in Arabic (right to left), at 320 px wide (no sideways scrolling)
 * and 1280 px; landmarks and a visible focus on everything Tab reaches. Screenshots of every page
 * at 360 px and 1280 px in both are written to test-artifacts/screenshots/.
 */
describe('contributor app: accessible on every page, in LTR and RTL', () => {
  let t: TestNode;
  let browser: Browser;
  /** Who opens each page: nobody for open pages, a newcomer for the notice, an admin who also volunteers for the rest. */
  const tokens: Record<'anonymous' | 'newcomer' | 'admin', string | undefined> = { anonymous: undefined, newcomer: undefined, admin: undefined };
  const routes = appRoutes();
  const findings: Array<{ locale: string; path: string; width: number } & Violation> = [];

  beforeAll(async () => {
    ensureAppBuilt();
    [t, browser] = await Promise.all([
      startTestNode(),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
      }),
    ]);
    // Something on every page: validated recordings and texts, a recording, a text and a proposed
    // sentence waiting to be checked, a report to moderate, sentences to read.
    const data = await seedReleaseData(t, { speakers: 2 });
    const admin = t.node.context.contributors.issueAdminToken().token;
    await giveConsent(t.api, admin);
    tokens.admin = admin;
    tokens.newcomer = (await newPrincipal(t, 'volunteer', admin)).token;
    const speaker = data.speakers[0]!;
    const [extra] = importPrompts(t, 'sw', ['Paka wetu analala juani mchana kutwa.', 'Jua linawaka sana leo mchana.']);
    const clip = new Uint8Array(readFileSync(audioFixtures().files['sw.webm']));
    const pending = await postRecording(t.url, speaker.token, { promptId: extra! }, { bytes: clip, name: 'sw.webm' });
    expect(pending.status).toBe(201);
    expect((await t.api.post('/prompts', { language: 'sw', text: 'Tunapanda miti mingi kila mwaka.' }, speaker.token)).status).toBe(201);
    // A text waiting for votes, so that Listen's text mode has one to show and to report.
    expect((await t.api.post('/samples/text', { language: 'sw', text: 'Mvua ilinyesha usiku kucha kijijini kwetu.' }, speaker.token)).status).toBe(201);
    expect((await t.api.post(`/prompts/${data.prompts[2]}/reports`, { reason: 'offensive' }, speaker.token)).status).toBe(201);
    expect(routes.length).toBeGreaterThanOrEqual(8);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    // Moderate and minor findings do not fail the test; they are kept beside the screenshots.
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, '..', 'axe-findings.json'), JSON.stringify(findings, null, 2) + '\n');
  });

  const contextFor = async (route: AppRoute, locale: (typeof LOCALES)[number]): Promise<BrowserContext> => {
    const who = route.gate === 'open' ? 'anonymous' : route.path === '/consent' ? 'newcomer' : 'admin';
    const context = await browser.newContext({ baseURL: t.url, locale: locale.browser, viewport: { width: NARROWEST, height: 720 }, permissions: ['microphone'] });
    const stored: Record<string, string> = { 'tributary.uiLocale': locale.ui, 'tributary.dataLanguage': 'sw' };
    if (tokens[who]) stored['tributary.token'] = tokens[who]!;
    await context.addInitScript(`for (const [k, v] of Object.entries(${JSON.stringify(stored)})) localStorage.setItem(k, v);`);
    return context;
  };

  for (const locale of LOCALES) {
    it(`${locale.ui} (${locale.dir}): no serious or critical axe violation, no sideways scroll at 320 px, landmarks; screenshots`, async () => {
      const serious: string[] = [];
      for (const route of routes) {
        const context = await contextFor(route, locale);
        const page = await context.newPage();
        await page.goto(route.path);
        await settled(page);
        expect(new URL(page.url()).pathname, `${route.path} opens as itself`).toBe(route.path);
        expect(await page.evaluate('document.documentElement.dir')).toBe(locale.dir);

        for (const width of [NARROWEST, ...SHOT_WIDTHS]) {
          await page.setViewportSize({ width, height: width < 1000 ? 720 : 900 });
          await page.waitForTimeout(100);
          if (width === NARROWEST) {
            const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
            expect.soft(scrollWidth, `${locale.ui} ${route.path}: nothing wider than the screen at 320 px`).toBeLessThanOrEqual(NARROWEST);
          }
          if (width !== 360) {
            for (const v of await axe(page)) {
              if (v.impact === 'serious' || v.impact === 'critical') serious.push(`${route.path} @${width}: ${v.impact} ${v.id} — ${v.help} — ${v.targets.slice(0, 4).join(', ')}`);
              else findings.push({ locale: locale.ui, path: route.path, width, ...v });
            }
          }
          if (width !== NARROWEST) {
            const dir = join(SCREENSHOTS, locale.ui, String(width));
            mkdirSync(dir, { recursive: true });
            await page.evaluate('window.scrollTo(0, 0)');
            await page.screenshot({ path: join(dir, `${fileName(route.path)}.png`), fullPage: true });
          }
        }

        // Nothing told by colour alone: every status badge has words, every chart bar a title.
        const silent = (await page.evaluate(`[...document.querySelectorAll('main .badge')].filter((el) => el.offsetParent !== null && el.textContent.trim() === '').map((el) => el.className)`)) as string[];
        expect.soft(silent, `${route.path}: status marks without words`).toEqual([]);
        const untitled = (await page.evaluate(`[...document.querySelectorAll('main svg rect')].filter((rect) => !rect.querySelector('title') && !rect.closest('g')?.querySelector(':scope > title')).length`)) as number;
        expect.soft(untitled, `${route.path}: chart marks without a title`).toBe(0);

        // Landmarks: a banner, a main region and (once signed in) the navigation.
        expect.soft(await page.locator('header').count(), `${route.path}: a header`).toBeGreaterThanOrEqual(1);
        expect.soft(await page.locator('main').count(), `${route.path}: one main`).toBe(1);
        if (route.gate !== 'open') expect.soft(await page.locator('nav:visible').count(), `${route.path}: navigation`).toBeGreaterThanOrEqual(1);
        await context.close();
      }
      expect(serious, serious.join('\n')).toEqual([]);
    }, 300_000);
  }

  /** axe, the 320 px check and a 360 px screenshot of a page in a state reached by using it. */
  const checkState = async (page: Page, locale: string, name: string, serious: string[]) => {
    await page.setViewportSize({ width: NARROWEST, height: 720 });
    await page.waitForTimeout(100);
    expect.soft((await page.evaluate('document.documentElement.scrollWidth')) as number, `${locale} ${name}: nothing wider than 320 px`).toBeLessThanOrEqual(NARROWEST);
    for (const v of await axe(page)) {
      if (v.impact === 'serious' || v.impact === 'critical') serious.push(`${name}: ${v.impact} ${v.id} — ${v.help} — ${v.targets.slice(0, 4).join(', ')}`);
      else findings.push({ locale, path: name, width: NARROWEST, ...v });
    }
    await page.setViewportSize({ width: 360, height: 740 });
    const dir = join(SCREENSHOTS, locale, '360');
    mkdirSync(dir, { recursive: true });
    // From the top: the sticky tab bar would otherwise be drawn where the page was scrolled to.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  };

  for (const locale of LOCALES) {
    it(`${locale.ui} (${locale.dir}): the states a volunteer reaches by using the pages pass axe too`, async () => {
      const serious: string[] = [];
      const open = async (path: string) => {
        const context = await contextFor({ path, gate: 'consented' }, locale);
        const page = await context.newPage();
        await page.goto(path);
        await settled(page);
        return { context, page };
      };

      // Speak: recording, then a take to listen to (the fake microphone's tone), then the report form.
      const speak = await open('/speak');
      await speak.page.getByTestId('record').click();
      await speak.page.waitForSelector('main[data-phase="recording"]');
      await checkState(speak.page, locale.ui, 'speak--recording', serious);
      await speak.page.waitForTimeout(1500);
      await speak.page.getByTestId('record').click();
      await speak.page.waitForSelector('main[data-phase="recorded"]');
      await checkState(speak.page, locale.ui, 'speak--recorded', serious);
      await speak.page.getByTestId('report').locator('summary').click();
      await checkState(speak.page, locale.ui, 'speak--report', serious);
      await speak.context.close();

      // Listen: texts instead of recordings, and the report form.
      const listen = await open('/listen');
      await listen.page.locator('label:has([data-testid="modality-text"])').click();
      await listen.page.waitForLoadState('networkidle');
      await checkState(listen.page, locale.ui, 'listen--texts', serious);
      await listen.page.getByTestId('report').locator('summary').click();
      await checkState(listen.page, locale.ui, 'listen--report', serious);
      await listen.context.close();

      // My data: the question before erasing everything (a modal dialog).
      const mine = await open('/me');
      await mine.page.getByTestId('erase').click();
      await mine.page.waitForSelector('dialog[open]');
      await checkState(mine.page, locale.ui, 'me--erase-dialog', serious);
      await mine.page.keyboard.press('Escape');
      await mine.context.close();

      expect(serious, serious.join('\n')).toEqual([]);
    }, 120_000);
  }

  it('shows where the focus is on everything Tab reaches, on every page', async () => {
    const unmarked: string[] = [];
    for (const route of routes) {
      const context = await contextFor(route, LOCALES[0]);
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(route.path);
      await settled(page);
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        const focused = (await page.evaluate(FOCUS_PROBE)) as { tag: string; again: boolean; visible: boolean } | null;
        if (!focused) continue;
        if (focused.again) break;
        seen.add(focused.tag);
        if (!focused.visible) unmarked.push(`${route.path}: ${focused.tag}`);
      }
      expect.soft(seen.size, `${route.path}: Tab reaches something`).toBeGreaterThan(0);
      await context.close();
    }
    expect(unmarked, unmarked.join('\n')).toEqual([]);
  }, 180_000);

  it('reads its pages from the router, operator pages included', () => {
    const paths = routes.map((r) => r.path);
    for (const path of ['/join', '/consent', '/speak', '/listen', '/write', '/sentences', '/sentences/review', '/me']) expect(paths).toContain(path);
    expect(paths.some((p) => p.startsWith('/operator'))).toBe(true);
    expect(relative(root, SCREENSHOTS)).toBe('test-artifacts/screenshots');
  });
});
