import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { newPrincipal } from '../helpers/principals.js';

const FRENCH = "Les enfants jouent dans le jardin après l'école.";

/** The routes behind the operator pages: overview, sentence files, publishing, staff. */
describe('operator routes', () => {
  let t: TestNode;
  let admin: string;
  beforeAll(async () => {
    t = await startTestNode({ indexes: ['http://127.0.0.1:9/never'] });
    admin = t.node.context.contributors.issueAdminToken().token;
  });
  afterAll(() => t.stop());

  it('shows key settings, contributors by role and samples per day by status, every day and language counted', async () => {
    const [writer, a, b] = [await joinWithConsent(t.api), await joinWithConsent(t.api), await joinWithConsent(t.api)];
    const texts = ['Wakulima wa kijiji chetu wamevuna mahindi mengi mwaka huu.', 'Mvua kubwa ilinyesha usiku kucha na barabara zimejaa maji.'];
    const ids: string[] = [];
    for (const text of texts) ids.push((await t.api.post('/samples/text', { language: 'sw-KE', text }, writer.token)).body.id);
    for (const voter of [a, b]) expect((await t.api.post(`/samples/${ids[0]}/votes`, { value: 'up' }, voter.token)).status).toBe(201);

    // Two samples made before today, written beside the node with the ids it would have given
    // them then: three days ago (in the window) and ten days ago (out of it).
    const daysAgo = (days: number) => Date.now() - days * 86_400_000;
    {
      const insert = t.node.context.db.prepare(
        `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, text, text_key, license, status, created_at)
         VALUES (?, ?, ?, 'text', 'yo', 'yor', ?, ?, 'CC-BY-4.0', 'pending', ?)`,
      );
      for (const days of [3, 10]) {
        insert.run(ulid(daysAgo(days)), writer.id, writer.consentRecordId, `Ọrọ ${days}`, `yo:old-${days}`, new Date(daysAgo(days)).toISOString());
      }
    }

    const res = await t.api.get('/admin/overview?days=7', admin);
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject({ name: 'Test node', languages: ['sw', 'yo', 'en'], quorum: { validateAt: 2, rejectAt: 2 }, indexes: ['http://127.0.0.1:9/never'] });
    expect(res.body.contributors).toEqual({ volunteer: 3, reviewer: 0, admin: 1 });
    expect(res.body.days).toBe(7);
    // 7 days × 3 languages × 2 modalities, oldest first, today last.
    expect(res.body.daily).toHaveLength(42);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body.daily.at(-1).day).toBe(today);
    // sw-KE is counted under the node's sw.
    expect(res.body.daily.find((d: { day: string; language: string; modality: string }) => d.day === today && d.language === 'sw' && d.modality === 'text')).toEqual({
      day: today, language: 'sw', modality: 'text', pending: 1, validated: 1, rejected: 0, withdrawn: 0,
    });
    const threeDaysAgo = new Date(daysAgo(3)).toISOString().slice(0, 10);
    expect(res.body.daily.find((d: { day: string; language: string; modality: string }) => d.day === threeDaysAgo && d.language === 'yo' && d.modality === 'text').pending).toBe(1);
    const total = res.body.daily.reduce((n: number, d: { pending: number; validated: number }) => n + d.pending + d.validated, 0);
    expect(total).toBe(3);
    expect((await t.api.get('/admin/overview?days=0', admin)).status).toBe(400);
  });

  it('imports a file as the CLI does: header skipped, licences checked, other-language lines flagged unless forced', async () => {
    const text = ['Licence\tSentence\tSOURCE', 'CC0-1.0\tWavuvi walirudi pwani na samaki wengi jana.\tHadithi', 'Free for all\tSoko la samaki hufunguliwa mapema kila asubuhi.\t', `\t${FRENCH}\t`].join('\n');
    const first = await t.api.post('/admin/prompts/file', { language: 'sw', fileName: 'sentences.tsv', text, license: 'CC-BY-4.0' }, admin);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ lines: 3, headerSkipped: true, imported: 1, duplicates: 0 });
    expect(first.body.refused).toEqual([expect.objectContaining({ line: 3, problem: 'UnknownLicense' })]);
    expect(first.body.flagged).toEqual([expect.objectContaining({ line: 4, text: FRENCH, detected: 'fra', imported: false })]);

    const forced = await t.api.post('/admin/prompts/file', { language: 'sw', fileName: 'sentences.tsv', text, force: true }, admin);
    expect(forced.body).toMatchObject({ imported: 1, duplicates: 1, headerSkipped: true });
    expect(forced.body.flagged).toEqual([expect.objectContaining({ line: 4, imported: true })]);
    const stored = t.inspect((db) => db.prepare('SELECT source, license FROM prompts WHERE text = ?').get(FRENCH));
    expect(stored).toEqual({ source: null, license: 'CC-BY-4.0' });

    // A .txt file is one sentence a line: a header-like first line is a sentence (refused by the rules).
    const plain = await t.api.post('/admin/prompts/file', { language: 'sw', fileName: 'list.txt', text: '# comment\n\nBibi anasimulia hadithi nzuri za zamani kila jioni.\r\n' }, admin);
    expect(plain.body).toMatchObject({ lines: 1, headerSkipped: false, imported: 1 });
    expect((await t.api.post('/admin/prompts/file', { language: 'de', fileName: 'a.txt', text: 'Hello there friend.' }, admin)).body.error.code).toBe('LanguageNotSupported');
  });

  it('lists each index the node publishes to with its outbox, and the node’s reviewers and admins', async () => {
    const publishing = await t.api.get('/admin/publishing', admin);
    expect(publishing.status).toBe(200);
    expect(publishing.body.indexes).toHaveLength(1);
    expect(publishing.body.indexes[0]).toMatchObject({ index: 'http://127.0.0.1:9/never', configured: true, registered: false });

    const reviewer = await newPrincipal(t, 'reviewer', admin);
    const staff = await t.api.get('/admin/contributors', admin);
    expect(staff.status).toBe(200);
    expect(staff.body.contributors.map((c: { id: string; role: string }) => [c.id, c.role])).toEqual(
      expect.arrayContaining([[reviewer.id, 'reviewer']]),
    );
    expect(staff.body.contributors.every((c: { role: string }) => c.role !== 'volunteer')).toBe(true);
    // The last admin cannot step down.
    const me = (await t.api.get('/me', admin)).body;
    expect((await t.api.put(`/admin/contributors/${me.id}/role`, { role: 'volunteer' }, admin)).body.error.code).toBe('LastAdmin');
  });
});
