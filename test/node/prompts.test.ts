import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { audioFixtures } from '../fixtures/audio-fixtures.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { importPrompts, postRecording } from '../helpers/speech.js';

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

// Choosing sentences walks what migration 014 keeps (recordings per prompt, prompts per tag and
// status) instead of counting every prompt's recordings on each request.
describe('sentences to read and to review', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
  });
  afterAll(() => t?.stop());

  const recordingsFromScratch = () =>
    t.inspect((db) => ({
      kept: db.prepare('SELECT id, recordings FROM prompts ORDER BY id').all(),
      counted: db
        .prepare("SELECT p.id, (SELECT count(*) FROM samples s WHERE s.prompt_id = p.id AND s.status <> 'withdrawn') AS recordings FROM prompts p ORDER BY p.id")
        .all(),
      keptByStatus: db.prepare('SELECT language, status, count FROM prompt_counts WHERE count > 0 ORDER BY 1, 2').all(),
      countedByStatus: db.prepare('SELECT language, status, count(*) AS count FROM prompts GROUP BY 1, 2 ORDER BY 1, 2').all(),
    }));

  it('serves the least recorded first across the language’s tags, never one the reader recorded, and forgets withdrawn recordings', async () => {
    const audio = new Uint8Array(readFileSync(audioFixtures().files['sw.webm']));
    const [p1, p2, p3] = importPrompts(t, 'sw', ['Watoto wanacheza nje ya nyumba.', 'Mama anapika chakula jikoni.', 'Mvua imenyesha usiku kucha.']);
    const [p4] = importPrompts(t, 'sw-KE', ['Tunaenda sokoni kesho asubuhi.']);
    const [speaker, reader] = await Promise.all([joinWithConsent(t.api), joinWithConsent(t.api)]);
    for (const promptId of [p1!, p2!, p2!]) {
      const recorded = await postRecording(t.url, speaker.token, { promptId }, { bytes: audio, name: 'a.webm' });
      expect(recorded.status, JSON.stringify(recorded.body)).toBeLessThan(300);
    }
    let state = recordingsFromScratch();
    expect(state.kept).toEqual(state.counted);
    expect(state.keptByStatus).toEqual(state.countedByStatus);

    const ids = async (who: { token: string }) =>
      ((await t.api.get('/prompts?lang=sw&limit=10', who.token)).body.prompts as Array<{ id: string }>).map((p) => p.id);
    // Unrecorded first (sw and sw-KE alike, in either order), then once, then twice.
    const forReader = await ids(reader);
    expect(new Set(forReader.slice(0, 2))).toEqual(new Set([p3, p4]));
    expect(forReader.slice(2)).toEqual([p1, p2]);
    expect(new Set(await ids(speaker))).toEqual(new Set([p3, p4]));

    // The speaker withdraws: their recordings no longer count, and they may read those sentences again.
    expect((await t.api.delete(`/consents/${speaker.consentRecordId}`, speaker.token)).status).toBe(200);
    state = recordingsFromScratch();
    expect(state.kept).toEqual(state.counted);
    expect(state.kept.every((row) => (row as { recordings: number }).recordings === 0)).toBe(true);
    expect(new Set(await ids(reader))).toEqual(new Set([p1, p2, p3, p4]));
  });

  it('offers proposals to review oldest first across tags, and keeps /stats counts true', async () => {
    const [proposer, reviewer, other] = await Promise.all([joinWithConsent(t.api), joinWithConsent(t.api), joinWithConsent(t.api)]);
    const first = await t.api.post('/prompts', { language: 'sw-KE', text: 'Ndege wanaimba juu ya mti mrefu.' }, proposer.token);
    const second = await t.api.post('/prompts', { language: 'sw', text: 'Samaki wanaogelea ziwani kwa furaha.' }, proposer.token);
    expect([first.status, second.status]).toEqual([201, 201]);
    const review = async (who: { token: string }) =>
      ((await t.api.get('/prompts/to-review?lang=sw', who.token)).body.prompts as Array<{ id: string }>).map((p) => p.id);
    expect(await review(reviewer)).toEqual([first.body.id, second.body.id]);
    expect(await review(proposer)).toEqual([]);
    await t.api.post(`/prompts/${first.body.id}/votes`, { value: 'up' }, reviewer.token);
    expect(await review(reviewer)).toEqual([second.body.id]);
    expect((await t.api.post(`/prompts/${first.body.id}/votes`, { value: 'up' }, other.token)).body.status).toBe('accepted');

    const state = recordingsFromScratch();
    expect(state.keptByStatus).toEqual(state.countedByStatus);
    const sw = ((await t.api.get('/stats')).body.languages as Array<{ language: string; prompts: Record<string, number> }>).find((l) => l.language === 'sw');
    expect(sw!.prompts).toEqual({ pending: 1, accepted: 5, rejected: 0 });
  });
});
