import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../server/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { startTestNode, type TestNode } from '../helpers/node.js';

const FRENCH = "Les enfants jouent dans le jardin après l'école.";

/** Runs a command in this process, which is quicker than a new one, and returns what it printed. */
async function runHere(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  try {
    const status = await run(argv);
    return { status, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('prompts import', () => {
  let t: TestNode;
  let admin: string;
  beforeAll(async () => {
    t = await startTestNode();
    admin = t.node.context.contributors.issueAdminToken().token;
  });
  afterAll(() => t.stop());

  const file = (name: string, lines: string[]): string => {
    const path = join(t.dir, name);
    writeFileSync(path, lines.join('\n'));
    return path;
  };
  const args = (path: string, more: string[]) => ['prompts', 'import', path, '--lang', 'sw', '--dir', t.dir, ...more];
  /** The real CLI in a process of its own: what it writes to stderr is all a person sees. */
  const importCli = (path: string, ...more: string[]) => runCli(args(path, more));
  const importHere = (path: string, ...more: string[]) => runHere(args(path, more));
  const stored = (text: string) =>
    t.inspect((db) => db.prepare('SELECT text, source, license FROM prompts WHERE text = ?').get(text)) as
      | { text: string; source: string | null; license: string }
      | undefined;
  const promptCount = () => t.inspect((db) => db.prepare('SELECT count(*) FROM prompts').pluck().get()) as number;

  it('skips a TSV header line and reads the columns it names, in its order', async () => {
    const path = file('with-header.tsv', [
      'Licence\tSentence\tSOURCE',
      'CC0-1.0\tWavuvi walirudi pwani na samaki wengi jana.\tHadithi za pwani',
      '\tWakulima wamevuna mahindi mengi mwaka huu.\t',
    ]);
    const res = await importHere(path, '--json', '--license', 'cc-by-sa-4.0');
    expect(res.status, res.stderr).toBe(0);
    const outcome = JSON.parse(res.stdout);
    expect(outcome).toMatchObject({ imported: 2, duplicates: 0, refused: [], flagged: [], headerSkipped: true });
    expect(stored('Sentence')).toBeUndefined();
    expect(stored('Wavuvi walirudi pwani na samaki wengi jana.')).toEqual({
      text: 'Wavuvi walirudi pwani na samaki wengi jana.',
      source: 'Hadithi za pwani',
      license: 'CC0-1.0',
    });
    // The option fills in for an empty cell, in SPDX's own spelling.
    expect(stored('Wakulima wamevuna mahindi mengi mwaka huu.')?.license).toBe('CC-BY-SA-4.0');
  });

  it('refuses lines whose licence is not an SPDX id, saying why, and accepts LicenseRef-…', async () => {
    const path = file('licences.tsv', [
      'Mvua kubwa ilinyesha usiku kucha wiki iliyopita.\tKijiji\tFree for all',
      'Soko la samaki hufunguliwa mapema kila asubuhi.\tKijiji\tGPL-2.0',
      'Daktari alituambia tunywe maji mengi kila siku.\tKijiji\tLicenseRef-Jamii-1.0',
    ]);
    const res = await importHere(path, '--json');
    expect(res.status, res.stderr).toBe(0);
    const outcome = JSON.parse(res.stdout);
    expect(outcome.imported).toBe(1);
    expect(outcome.refused).toEqual([
      expect.objectContaining({ line: 1, problem: 'UnknownLicense', detail: expect.stringContaining('"Free for all" is not an SPDX license id') }),
      expect.objectContaining({ line: 2, problem: 'UnknownLicense', detail: expect.stringContaining('deprecated') }),
    ]);
    expect(stored('Daktari alituambia tunywe maji mengi kila siku.')?.license).toBe('LicenseRef-Jamii-1.0');
    expect(stored('Mvua kubwa ilinyesha usiku kucha wiki iliyopita.')).toBeUndefined();
  });

  it('refuses a wrong --license before opening the node, in one line', () => {
    const before = promptCount();
    const path = file('any.txt', ['Rafiki yangu anasoma kitabu kizuri darasani leo.']);
    const res = importCli(path, '--license', 'Creative Commons');
    expect(res.status).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('"Creative Commons" is not an SPDX license id');
    expect(promptCount()).toBe(before);
  });

  it('refuses a missing file in one line, without a stack trace', () => {
    const res = importCli(join(t.dir, 'no-such-file.tsv'));
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe(`tributary: cannot read ${join(t.dir, 'no-such-file.tsv')}: no such file`);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('flags a French line in a Swahili import and skips it unless --force', async () => {
    const path = file('mixed.txt', ['Bibi anasimulia hadithi nzuri za zamani kila jioni.', FRENCH]);
    const skipped = await importHere(path, '--json');
    expect(skipped.status, skipped.stderr).toBe(0);
    const outcome = JSON.parse(skipped.stdout);
    expect(outcome.imported).toBe(1);
    expect(outcome.flagged).toEqual([
      expect.objectContaining({ line: 2, text: FRENCH, mismatch: 'language', detected: 'fra', imported: false }),
    ]);
    expect(stored(FRENCH)).toBeUndefined();

    const table = await importHere(path);
    expect(table.stdout).toMatch(/imported.*duplicates.*refused.*flagged/s);
    expect(table.stdout).toContain('flagged, skipped');
    expect(table.stderr).toContain('--force');

    const forced = await importHere(path, '--json', '--force');
    expect(forced.status, forced.stderr).toBe(0);
    const forcedOutcome = JSON.parse(forced.stdout);
    expect(forcedOutcome).toMatchObject({ imported: 1, duplicates: 1 });
    expect(forcedOutcome.flagged).toEqual([expect.objectContaining({ line: 2, imported: true })]);
    expect(stored(FRENCH)?.text).toBe(FRENCH);
  });

  it('lists the first 50 refused or flagged lines and points to --json for the rest', async () => {
    const lines = Array.from({ length: 53 }, (_, i) => `Nina shilingi ${i + 100} mfukoni mwangu leo.`);
    const res = await importHere(file('digits.txt', lines));
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('SentenceHasDigits');
    expect(res.stdout).toContain('… and 3 more (use --json)');
    expect(res.stdout).not.toContain('shilingi 152');
  });

  it('applies the licence check and the language flag to POST /admin/prompts too', async () => {
    const body = {
      language: 'sw',
      prompts: [
        { text: 'Tunapenda kusikiliza muziki mzuri wakati wa sikukuu.', license: 'CC0-1.0' },
        { text: 'Watoto wanacheza mpira uwanjani baada ya masomo.', license: 'public domain' },
        { text: 'Le marché ouvre très tôt le matin près de la gare.' },
      ],
    };
    const res = await t.api.post('/admin/prompts', body, admin);
    expect(res.status).toBe(200);
    expect(res.body.imported).toBe(1);
    expect(res.body.refused).toEqual([expect.objectContaining({ line: 2, problem: 'UnknownLicense' })]);
    expect(res.body.flagged).toEqual([expect.objectContaining({ line: 3, mismatch: 'language', imported: false })]);

    const forced = await t.api.post('/admin/prompts', { ...body, force: true }, admin);
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ imported: 1, duplicates: 1 });
    expect(forced.body.flagged).toEqual([expect.objectContaining({ line: 3, imported: true })]);
  });
});
