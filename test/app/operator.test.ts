import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ensureAppBuilt, localeText } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { newPrincipal } from '../helpers/principals.js';
import { seedReleaseData, type ReleaseData } from '../helpers/release-data.js';

const FRENCH = "Les enfants jouent dans le jardin après l'école.";

/**
 * The operator pages in real Chromium against a real node: an admin who never consented as a
 * volunteer signs in with a token from `tributary admin token`, lands on the overview, imports
 * sentences, builds a release, changes its access and retracts it; a reviewer sees moderation only.
 */
describe('contributor app: operator pages', () => {
  let t: TestNode;
  let browser: Browser;
  let admin: string;
  let data: ReleaseData;

  beforeAll(async () => {
    ensureAppBuilt();
    if (!existsSync(CHROMIUM)) throw new Error(`The operator tests need Chromium at ${CHROMIUM}`);
    [t, browser] = await Promise.all([
      startTestNode(),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      }),
    ]);
    data = await seedReleaseData(t);
    const issued = runCli(['admin', 'token', '--dir', t.dir]);
    expect(issued.status, issued.stderr).toBe(0);
    admin = issued.stdout.trim();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const open = async (options: { width?: number } = {}): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ baseURL: t.url, locale: 'en-GB', viewport: { width: options.width ?? 1280, height: 900 } });
    return { context, page: await context.newPage() };
  };

  /** Signs in as a volunteer would, by pasting the key on the join screen. */
  const signIn = async (page: Page, token: string) => {
    await page.goto('/join');
    await page.waitForSelector('#app[data-ready]');
    await page.locator('form.sign-in input').fill(token);
    await page.locator('form.sign-in button[type=submit]').click();
  };

  it('lets an admin run the node: overview, sentence import, a release built, listed, re-classed and retracted', async () => {
    const { context, page } = await open();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await signIn(page, admin);
    // Not a volunteer: no consent screen, the operator pages instead.
    await page.waitForURL('**/operator');
    await page.waitForSelector('main[data-loaded]');
    expect(await page.locator('h1').textContent()).toBe(localeText('en', 'admin:overview.title'));
    expect(await page.getByTestId('node-settings').textContent()).toContain('(sw)');
    const bars = await page.getByTestId('daily-chart').locator('g.chart__day').count();
    expect(bars).toBe(30);
    expect(await page.getByTestId('daily-chart').locator('rect.chart__bar--validated').count()).toBeGreaterThan(0);
    // Every Swahili sample seeded is validated; the table says so.
    const swSpeech = page.getByTestId('samples-by-language').locator('tbody tr').first();
    expect(await swSpeech.locator('td').nth(2).textContent()).toBe(String(data.speech.length));
    // Each count with its own plural form, after the label.
    expect(await page.getByTestId('backlog').textContent()).toMatch(
      /^Validation backlog: (1 sample waits|(0|[2-9]|\d\d+) samples wait) for votes\. (1 open report waits|(0|[2-9]|\d\d+) open reports wait) for moderation\.$/,
    );
    const navLinks = await page.getByTestId('operator-nav').locator('a').allTextContents();
    expect(navLinks).toHaveLength(7);

    // Sentence import from a file, with the CLI's checks and summary.
    await page.getByTestId('operator-nav').getByText(localeText('en', 'admin:screen.import')).click();
    await page.waitForURL('**/operator/sentences');
    await page.getByTestId('import-language').selectOption('sw');
    const file = ['Sentence\tSource', 'Wavuvi walirudi pwani na samaki wengi jana.\tHadithi', 'Nina shilingi 500 mfukoni.\t', `${FRENCH}\t`].join('\n');
    await page.getByTestId('import-file').setInputFiles({ name: 'sentensi.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from(file) });
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-summary').waitFor();
    expect(await page.getByTestId('import-imported').textContent()).toBe('1');
    expect(await page.getByTestId('import-refused').textContent()).toBe('1');
    expect(await page.getByTestId('import-flagged').textContent()).toBe('1');
    expect(await page.getByTestId('import-summary').textContent()).toContain(localeText('en', 'admin:import.headerSkipped'));
    await page.getByTestId('import-force-hint').waitFor();
    expect(t.inspect((db) => db.prepare('SELECT count(*) FROM prompts WHERE text = ?').pluck().get('Wavuvi walirudi pwani na samaki wengi jana.'))).toBe(1);

    // A release, built from the page.
    await page.getByTestId('operator-nav').getByText(localeText('en', 'admin:screen.releases')).click();
    await page.waitForURL('**/operator/releases');
    await page.waitForSelector('main[data-loaded]');
    await page.getByTestId('build-language').selectOption('sw');
    await page.getByTestId('build-modality').selectOption('speech');
    await page.getByTestId('build-access').selectOption('open');
    // The node holds the page's build where signing begins, until the page has shown it.
    const builder = t.node.context.releaseBuilder;
    const build = builder.build.bind(builder);
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    builder.build = (request, onProgress) =>
      build(request, async (progress) => {
        if (progress.phase === 'signing') await held;
        await onProgress?.(progress);
      });
    try {
      await page.getByTestId('build-submit').click();
      expect(await page.getByTestId('build-submit').isDisabled()).toBe(true);
      await page.waitForSelector('[data-testid="build-progress"][data-phase="signing"]', { timeout: 60_000 });
      expect(await page.getByTestId('build-phase').textContent()).toBe(localeText('en', 'admin:releases.phase.signing'));
      expect(await page.getByTestId('build-progress').locator('progress').evaluate((bar: { value: number }) => bar.value)).toBe(100);
      const running = await t.api.get('/admin/releases/building', admin);
      expect(running.body.builds).toEqual([expect.objectContaining({ datasetId: 'sw-speech', progress: { phase: 'signing' } })]);
    } finally {
      resume();
      builder.build = build;
    }
    await page.getByTestId('built-version').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('build-progress').isHidden()).toBe(true);
    expect((await t.api.get('/admin/releases/building', admin)).body).toEqual({ builds: [] });
    expect(await page.getByTestId('built-version').textContent()).toBe('1.0.0');
    const row = page.getByTestId('datasets-table').locator('tbody tr', { hasText: 'sw-speech' });
    await row.waitFor();
    const datasetId = (await row.getByTestId('dataset-id').textContent())!;
    expect((await t.api.get(`/datasets/${datasetId}/manifest`)).status).toBe(200);

    // Change its access class.
    await row.getByTestId('access-select').selectOption('gated');
    await row.getByTestId('access-save').click();
    await expect.poll(() => row.getByTestId('dataset-access').textContent()).toBe(localeText('en', 'admin:access.class.gated'));
    const listed = (await t.api.get('/admin/datasets', admin)).body.datasets.find((d: { id: string }) => d.id === datasetId);
    expect(listed.accessClass).toBe('gated');

    // Retract it, with a reason: 410 at once.
    await row.getByTestId('retract').click();
    await page.getByTestId('retract-reason').fill('The community asked for it back.');
    await page.getByTestId('retract-confirm').click();
    const retractedRow = page.getByTestId('datasets-table').locator('tbody tr', { hasText: datasetId });
    await expect.poll(() => retractedRow.textContent()).toContain(localeText('en', 'admin:datasetStatus.retracted'));
    expect(await retractedRow.textContent()).toContain('The community asked for it back.');
    const gone = await t.api.get(`/datasets/${datasetId}/manifest`);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('DatasetRetracted');

    // The signed notices: the retraction and the access change, newest first.
    const notices = page.getByTestId('notices-table').locator('tbody tr');
    await expect.poll(() => notices.count()).toBe(2);
    expect(await notices.nth(0).textContent()).toContain(localeText('en', 'admin:notices.kind.retraction'));
    expect(await notices.nth(0).textContent()).toContain('The community asked for it back.');
    expect(await notices.nth(1).textContent()).toContain(localeText('en', 'admin:notices.kind.access-change'));
    expect(await page.getByTestId('publishing').textContent()).toContain(localeText('en', 'admin:publishing.none'));

    // Translation status of the interface, from locales/index.json.
    await page.getByTestId('operator-nav').getByText(localeText('en', 'admin:screen.translations')).click();
    // The previous page's main is loaded too: wait for this page's rows, not for any loaded page.
    await page.getByTestId('translations-table').locator('[data-locale-status]').nth(11).waitFor();
    const statuses = await page.getByTestId('translations-table').locator('[data-locale-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-locale-status')));
    expect(statuses.length).toBeGreaterThanOrEqual(12);
    expect(statuses).toContain('machine-drafted');
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 180_000);

  it('lets an admin approve an access request, see the download receipt, and give a volunteer a role', async () => {
    const built = await t.api.post('/admin/releases', { language: 'sw', modality: 'text', accessClass: 'on-request' }, admin);
    expect(built.status).toBe(201);
    const { datasetId } = built.body.release;
    const shard = built.body.shards[0].name as string;
    const requested = await t.api.post(`/datasets/${datasetId}/access`, { name: 'Speech lab', contact: 'lab@example.org', purpose: 'Train an ASR model', acceptTerms: true });
    expect(requested.status).toBe(201);

    const { context, page } = await open();
    await signIn(page, admin);
    await page.waitForURL('**/operator');
    await page.goto('/operator/access');
    await page.waitForSelector('main[data-loaded]');
    const request = page.getByTestId('grants-table').locator('tbody tr', { hasText: 'Speech lab' });
    expect(await request.textContent()).toContain(localeText('en', 'admin:grant.pending'));
    await request.getByTestId('grant-approved').click();
    await expect.poll(() => request.textContent()).toContain(localeText('en', 'admin:grant.approved'));

    const download = await fetch(`${t.url}/api/v1/datasets/${datasetId}/shards/${shard}`, { headers: { authorization: `Bearer ${requested.body.token}` } });
    expect(download.status).toBe(200);
    await page.reload();
    await page.waitForSelector('main[data-loaded]');
    expect(await page.getByTestId('receipts').textContent()).toContain(shard);

    // Roles: a volunteer made a reviewer by the id My data shows them, the page saying whose it
    // is first; the last admin cannot step down.
    const volunteer = data.speakers[0]!;
    const theirs = await browser.newContext({ baseURL: t.url, locale: 'en-GB' });
    await theirs.addInitScript(`localStorage.setItem('tributary.token', ${JSON.stringify(volunteer.token)});`);
    const myData = await theirs.newPage();
    await myData.goto('/me');
    await myData.getByTestId('contributor-id').waitFor();
    const shownId = (await myData.getByTestId('contributor-id').textContent())!;
    expect(shownId).toBe(volunteer.id);
    await theirs.close();
    const pseudonym = t.inspect((db) => db.prepare('SELECT pseudonym FROM contributors WHERE id = ?').pluck().get(volunteer.id)) as string;
    await page.goto('/operator/roles');
    await page.waitForSelector('main[data-loaded]');
    await page.getByTestId('grant-id').fill('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    await page.waitForSelector('[data-testid="grant-who"][data-found="false"]');
    expect(await page.getByTestId('grant-who').textContent()).toBe(localeText('en', 'admin:roles.unknown'));
    await page.getByTestId('grant-id').fill(shownId);
    await page.waitForSelector('[data-testid="grant-who"][data-found="true"]');
    expect(await page.getByTestId('grant-who').textContent()).toMatch(new RegExp(`^${pseudonym.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, Volunteer, joined `));
    await page.getByTestId('grant-role').selectOption('reviewer');
    await page.getByTestId('grant-submit').click();
    await page.getByTestId('staff-table').locator('tbody tr', { hasText: volunteer.id }).waitFor();
    expect(t.inspect((db) => db.prepare('SELECT role FROM contributors WHERE id = ?').pluck().get(volunteer.id))).toBe('reviewer');
    const me = page.getByTestId('staff-table').locator('tbody tr', { hasText: localeText('en', 'admin:roles.you') });
    await me.getByTestId('role-select').selectOption('volunteer');
    await me.getByTestId('role-save').click();
    await expect.poll(() => page.locator('main .status').getAttribute('data-code')).toBe('LastAdmin');
    await context.close();
  }, 60_000);

  it('speaks the operator’s language, right to left in Arabic', async () => {
    const { context, page } = await open({ width: 360 });
    await context.addInitScript(`localStorage.setItem('tributary.uiLocale', 'ar'); localStorage.setItem('tributary.token', ${JSON.stringify(admin)});`);
    await page.goto('/operator/releases');
    await page.waitForSelector('main[data-loaded]');
    expect(await page.evaluate<string[]>('[document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.body).direction]')).toEqual(['ar', 'rtl', 'rtl']);
    expect(await page.locator('h1').textContent()).toBe(localeText('ar', 'admin:screen.releases'));
    expect(await page.getByTestId('build-submit').textContent()).toBe(localeText('ar', 'admin:releases.build'));
    // The page fits a 360 px phone: nothing but the tables' own scrollers is wider than the screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await context.close();
  }, 60_000);

  it('shows a reviewer moderation only, where they uphold a report', async () => {
    const reviewer = await newPrincipal(t, 'reviewer', admin);
    const reporter = data.validators[0]!;
    const reported = await t.api.post(`/samples/${data.text[0]!.id}/reports`, { reason: 'personal-data', detail: 'names a neighbour' }, reporter.token);
    expect(reported.status).toBe(201);
    const spoken = await t.api.post(`/samples/${data.speech[0]!.id}/reports`, { reason: 'wrong-language' }, reporter.token);
    expect(spoken.status).toBe(201);

    const { context, page } = await open({ width: 360 });
    await signIn(page, reviewer.token);
    await page.waitForURL('**/operator/moderation');
    await page.waitForSelector('main[data-loaded]');
    expect(await page.getByTestId('operator-nav').locator('a').allTextContents()).toEqual([localeText('en', 'admin:screen.moderation')]);
    // The admin pages are not theirs: asking for one lands on moderation.
    await page.goto('/operator/releases');
    await page.waitForURL('**/operator/moderation');
    await page.waitForSelector('main[data-loaded]');

    // Each report shows what it is about: the text itself, in its language; a recording, with the sentence it reads and a way to hear it.
    const item = page.locator(`[data-report-id="${reported.body.id}"]`);
    expect(await item.textContent()).toContain(localeText('en', 'admin:reason.personal-data'));
    expect(await item.textContent()).toContain('Text in Swahili');
    const sampleText = t.inspect((db) => db.prepare('SELECT text FROM samples WHERE id = ?').pluck().get(data.text[0]!.id)) as string;
    expect(await item.getByTestId('reported-text').textContent()).toBe(sampleText);
    expect(await item.getByTestId('reported-text').getAttribute('lang')).toBe('sw');
    const heard = page.locator(`[data-report-id="${spoken.body.id}"]`);
    expect(await heard.textContent()).toContain('Recording in Swahili');
    const sentence = t.inspect((db) => db.prepare('SELECT p.text FROM samples s JOIN prompts p ON p.id = s.prompt_id WHERE s.id = ?').pluck().get(data.speech[0]!.id)) as string;
    expect(await heard.getByTestId('reported-text').textContent()).toBe(sentence);
    await heard.getByTestId('reported-play').click();
    const clip = heard.getByTestId('reported-audio');
    await clip.waitFor();
    await expect.poll(() => clip.evaluate((audio: { duration: number }) => audio.duration)).toBeGreaterThan(0.5);
    await heard.getByTestId('dismiss').click();
    await heard.waitFor({ state: 'detached' });

    await item.getByTestId('uphold').click();
    await item.waitFor({ state: 'detached' });
    const resolved = t.inspect((db) => db.prepare('SELECT status FROM reports WHERE id = ?').pluck().get(reported.body.id));
    expect(resolved).toBe('upheld');
    await context.close();
  }, 60_000);
});
