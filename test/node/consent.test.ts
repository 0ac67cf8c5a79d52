import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../helpers/node.js';

describe('consent notices and records', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ consent: { purposes: ['train-asr', 'train-lm', 'evaluate', 'commercial-model'], required: ['train-asr', 'evaluate'] } });
  });
  afterAll(() => t.stop());

  it('serves the notice in the volunteer’s locale, hashed over exactly what is shown', async () => {
    const sw = (await t.api.get('/consent/notice?lang=sw')).body;
    expect(sw.language).toBe('sw');
    expect(sw.title).toMatch(/idhini/i);
    const { id, sha256, ...document } = sw;
    expect(createHash('sha256').update(JSON.stringify(document)).digest('hex')).toBe(sha256);
    expect(sw.purposes.map((p: { id: string; required: boolean }) => [p.id, p.required])).toEqual([
      ['train-asr', true], ['train-lm', false], ['evaluate', true], ['commercial-model', false],
    ]);
    expect(sw.controller).toMatchObject({ name: 'Test node', jurisdiction: 'KE' });
    // A locale without its own notice falls back to English, and says so.
    expect((await t.api.get('/consent/notice?lang=sw-TZ')).body.language).toBe('sw');
    expect((await t.api.get('/consent/notice?lang=yo')).body.language).toBe('en');
  });

  it('records consent shaped after ISO/IEC TS 27560 with DPV terms', async () => {
    const joined = await t.api.post('/contributors', {});
    const notice = (await t.api.get('/consent/notice?lang=en')).body;
    const res = await t.api.post(
      '/consents',
      { noticeId: notice.id, noticeSha256: notice.sha256, purposes: ['train-asr', 'evaluate', 'commercial-model'] },
      joined.body.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      schema: 'tributary:consent-record/1',
      dataSubject: { id: joined.body.contributor.id },
      notice: { id: notice.id, language: 'en', version: '1.0.0', sha256: notice.sha256 },
      lawfulBasis: 'dpv:Consent',
      jurisdiction: 'KE',
      license: 'CC-BY-4.0',
      status: 'dpv:ConsentGiven',
      active: true,
    });
    expect(res.body.purposes).toEqual([
      { id: 'train-asr', dpv: 'dpv:ResearchAndDevelopment' },
      { id: 'evaluate', dpv: 'dpv:ResearchAndDevelopment' },
      { id: 'commercial-model', dpv: 'dpv:CommercialPurpose' },
    ]);
    expect(res.body.events).toEqual([{ type: 'dpv:ConsentGiven', at: expect.any(String) }]);
    const list = await t.api.get('/consents', joined.body.token);
    expect(list.body.records).toHaveLength(1);
  });

  it('refuses consent that misses a required purpose, names an unoffered one, or a changed notice', async () => {
    const joined = await t.api.post('/contributors', {});
    const token = joined.body.token;
    const notice = (await t.api.get('/consent/notice?lang=en')).body;
    const base = { noticeId: notice.id, noticeSha256: notice.sha256 };
    expect((await t.api.post('/consents', { ...base, purposes: ['train-asr'] }, token)).body.error.code).toBe('RequiredPurposeMissing');
    expect((await t.api.post('/consents', { ...base, purposes: ['train-asr', 'evaluate', 'train-tts'] }, token)).body.error.code).toBe('PurposeNotOffered');
    const tampered = { ...base, noticeSha256: notice.sha256.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a')) };
    expect((await t.api.post('/consents', { ...tampered, purposes: ['train-asr', 'evaluate'] }, token)).body.error.code).toBe('NoticeChanged');
    expect(t.inspect((db) => db.prepare('SELECT count(*) FROM consent_records WHERE contributor_id = ?').pluck().get(joined.body.contributor.id))).toBe(0);
  });

  it('withdraws a record once; a second withdrawal is a 409', async () => {
    const joined = await t.api.post('/contributors', {});
    const token = joined.body.token;
    const notice = (await t.api.get('/consent/notice')).body;
    const record = (await t.api.post('/consents', { noticeId: notice.id, noticeSha256: notice.sha256, purposes: ['train-asr', 'evaluate'] }, token)).body;
    expect((await t.api.delete(`/consents/${record.recordId}`, token)).status).toBe(200);
    const again = await t.api.delete(`/consents/${record.recordId}`, token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ConsentWithdrawn');
  });
});
