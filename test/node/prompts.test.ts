import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';

describe('prompts', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());

  it('imports sentences from a TSV file with the CLI, applying the language’s rules and refusing duplicates', () => {
    const file = join(t.dir, 'sentences.tsv');
    writeFileSync(
      file,
      [
        'Watoto wanacheza nje ya nyumba.\tHadithi za kijiji\tCC0-1.0',
        'Ninapenda kusoma vitabu vya historia.',
        'Ninapenda  kusoma vitabu vya historia.', // same sentence once normalised
        'Nina miaka 25 sasa.', // digits are read in more than one way
        'Tembelea https://example.org leo.',
        '# a comment line',
      ].join('\n'),
    );
    const res = runCli(['prompts', 'import', file, '--lang', 'sw', '--dir', t.dir, '--json']);
    expect(res.status, res.stderr).toBe(0);
    const outcome = JSON.parse(res.stdout);
    expect(outcome.imported).toBe(2);
    expect(outcome.duplicates).toBe(1);
    expect(outcome.refused.map((r: { problem: string }) => r.problem).sort()).toEqual(['SentenceHasDigits', 'SentenceHasUrl']);
    const rows = t.inspect((db) => db.prepare("SELECT text, source, license, status FROM prompts WHERE language = 'sw' ORDER BY id").all());
    expect(rows).toEqual([
      { text: 'Watoto wanacheza nje ya nyumba.', source: 'Hadithi za kijiji', license: 'CC0-1.0', status: 'accepted' },
      { text: 'Ninapenda kusoma vitabu vya historia.', source: null, license: 'CC-BY-4.0', status: 'accepted' },
    ]);
    const table = runCli(['prompts', 'import', file, '--lang', 'sw', '--dir', t.dir]);
    expect(table.stdout).toMatch(/imported.*duplicates.*refused/s);
    expect(table.stdout).toContain('SentenceHasDigits');
  });

  it('serves accepted sentences to read, and lets volunteers propose and vote on new ones', async () => {
    const [proposer, a, b] = await Promise.all([joinWithConsent(t.api), joinWithConsent(t.api), joinWithConsent(t.api)]);
    const toRead = await t.api.get('/prompts?lang=sw&limit=5', proposer.token);
    expect(toRead.status).toBe(200);
    expect(toRead.body.prompts.length).toBeGreaterThanOrEqual(2);
    expect(toRead.body.prompts.every((p: { status: string }) => p.status === 'accepted')).toBe(true);

    const proposed = await t.api.post('/prompts', { language: 'sw', text: 'Ndege wanaimba juu ya mti mrefu.' }, proposer.token);
    expect(proposed.status).toBe(201);
    expect(proposed.body.status).toBe('pending');
    expect((await t.api.post('/prompts', { language: 'sw', text: 'Ndege wanaimba juu ya mti mrefu.' }, a.token)).body.error.code).toBe('DuplicatePrompt');
    expect((await t.api.post('/prompts', { language: 'sw', text: 'Nina shilingi 500.' }, a.token)).body.error.code).toBe('SentenceHasDigits');

    expect((await t.api.post(`/prompts/${proposed.body.id}/votes`, { value: 'up' }, proposer.token)).body.error.code).toBe('OwnSample');
    const review = await t.api.get('/prompts/to-review?lang=sw', a.token);
    expect(review.body.prompts.map((p: { id: string }) => p.id)).toContain(proposed.body.id);
    await t.api.post(`/prompts/${proposed.body.id}/votes`, { value: 'up' }, a.token);
    const accepted = await t.api.post(`/prompts/${proposed.body.id}/votes`, { value: 'up' }, b.token);
    expect(accepted.body.status).toBe('accepted');
  });

  it('lets an admin import over HTTP with a token from the CLI', async () => {
    const tokenRun = runCli(['admin', 'token', '--dir', t.dir]);
    expect(tokenRun.status, tokenRun.stderr).toBe(0);
    const token = tokenRun.stdout.trim();
    expect(token).toMatch(/^trb_[A-Za-z0-9_-]{43}$/);
    const res = await t.api.post('/admin/prompts', { language: 'yo', prompts: [{ text: 'Ọjà náà kún fún ènìyàn lónìí.' }] }, token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ imported: 1, duplicates: 0, refused: [], flagged: [] });
    expect((await t.api.get('/me', token)).body.role).toBe('admin');
  });
});
