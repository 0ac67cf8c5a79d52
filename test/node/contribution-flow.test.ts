import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';

const SWAHILI = 'Watoto wanacheza mpira uwanjani baada ya shule kila jioni.';
const ENGLISH = 'The children play football on the field after school every evening.';

describe('a text contribution from consent to validation', () => {
  let t: TestNode;
  let author: Volunteer;
  let validators: Volunteer[];

  beforeAll(async () => {
    t = await startTestNode();
    author = await joinWithConsent(t.api);
    validators = await Promise.all([1, 2, 3].map(() => joinWithConsent(t.api)));
  });
  afterAll(() => t.stop());

  it('refuses contributions before consent is given', async () => {
    const joined = await t.api.post('/contributors', {});
    const res = await t.api.post('/samples/text', { language: 'sw', text: SWAHILI }, joined.body.token);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('ConsentRequired');
  });

  it('stores the declared tag, ISO 639-3 code and language-ID result, tied to the consent record', async () => {
    const res = await t.api.post('/samples/text', { language: 'sw-KE', text: SWAHILI }, author.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ language: 'sw-KE', iso639_3: 'swa', status: 'pending', text: SWAHILI });
    expect(res.body.lid).toMatchObject({ code: 'swa', script: 'Latn', mismatch: null });
    expect(res.body.flags).toEqual([]);
    const row = t.inspect((db) => db.prepare('SELECT * FROM samples WHERE id = ?').get(res.body.id)) as any;
    expect(row.consent_record_id).toBe(author.consentRecordId);
    expect(row.lid_code).toBe('swa');
  });

  it('flags, but keeps, text whose language does not match the declared one', async () => {
    const res = await t.api.post('/samples/text', { language: 'sw', text: ENGLISH }, author.token);
    expect(res.status).toBe(201);
    expect(res.body.lid.code).toBe('eng');
    expect(res.body.lid.mismatch).toBe('language');
    expect(res.body.flags).toEqual(['lid-language-mismatch']);
    const queue = await t.api.get('/samples/to-validate?lang=sw&modality=text', validators[0]!.token);
    const queued = queue.body.samples.find((s: { id: string }) => s.id === res.body.id);
    expect(queued.flags).toEqual(['lid-language-mismatch']);
  });

  it('is validated by three other contributors, one vote each, never by its author', async () => {
    const created = await t.api.post(
      '/samples/text',
      { language: 'sw', text: 'Mama anapika chakula kitamu jikoni leo.' },
      author.token,
    );
    const id = created.body.id;

    const own = await t.api.get('/samples/to-validate?lang=sw', author.token);
    expect(own.body.samples.map((s: { id: string }) => s.id)).not.toContain(id);
    const selfVote = await t.api.post(`/samples/${id}/votes`, { value: 'up' }, author.token);
    expect(selfVote.status).toBe(403);
    expect(selfVote.body.error.code).toBe('OwnSample');

    const [a, b, c] = validators as [Volunteer, Volunteer, Volunteer];
    const queued = await t.api.get('/samples/to-validate?lang=sw', a.token);
    expect(queued.body.samples.map((s: { id: string }) => s.id)).toContain(id);

    const first = await t.api.post(`/samples/${id}/votes`, { value: 'skip' }, a.token);
    expect(first.status).toBe(201);
    expect(first.body.status).toBe('pending');
    const again = await t.api.post(`/samples/${id}/votes`, { value: 'up' }, a.token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('AlreadyVoted');
    const afterVote = await t.api.get('/samples/to-validate?lang=sw', a.token);
    expect(afterVote.body.samples.map((s: { id: string }) => s.id)).not.toContain(id);

    expect((await t.api.post(`/samples/${id}/votes`, { value: 'up' }, b.token)).body.status).toBe('pending');
    const deciding = await t.api.post(`/samples/${id}/votes`, { value: 'up' }, c.token);
    expect(deciding.body.status).toBe('validated');
    const votes = t.inspect((db) => db.prepare('SELECT count(*) FROM votes WHERE sample_id = ?').pluck().get(id));
    expect(votes).toBe(3);
  });

  it('rejects a sample when two validators vote it down', async () => {
    const created = await t.api.post('/samples/text', { language: 'yo', text: 'Ọmọ náà ń lọ sí ilé-ìwé lójoojúmọ́.' }, author.token);
    const [a, b] = validators as [Volunteer, Volunteer];
    await t.api.post(`/samples/${created.body.id}/votes`, { value: 'down' }, a.token);
    const second = await t.api.post(`/samples/${created.body.id}/votes`, { value: 'down' }, b.token);
    expect(second.body.status).toBe('rejected');
    const late = await t.api.post(`/samples/${created.body.id}/votes`, { value: 'up' }, validators[2]!.token);
    expect(late.body.error.code).toBe('VotingClosed');
  });

  it('holds a reported sample away from validators until a moderator decides', async () => {
    const created = await t.api.post('/samples/text', { language: 'sw', text: 'Huu ni ujumbe wa majaribio kuhusu hali ya hewa.' }, author.token);
    const id = created.body.id;
    const [a, b] = validators as [Volunteer, Volunteer];
    const report = await t.api.post(`/samples/${id}/reports`, { reason: 'personal-data' }, a.token);
    expect(report.status).toBe(201);
    expect((await t.api.post(`/samples/${id}/reports`, { reason: 'spam' }, a.token)).body.error.code).toBe('AlreadyReported');
    const queue = await t.api.get('/samples/to-validate?lang=sw', b.token);
    expect(queue.body.samples.map((s: { id: string }) => s.id)).not.toContain(id);
    expect((await t.api.post(`/samples/${id}/votes`, { value: 'up' }, b.token)).body.error.code).toBe('SampleOnHold');

    expect((await t.api.get('/admin/reports', a.token)).body.error.code).toBe('ReviewerRequired');
  });
});

describe('withdrawal and my data', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());

  it('withdrawing consent withdraws its samples at once and hides them from validators', async () => {
    const volunteer = await joinWithConsent(t.api);
    const validator = await joinWithConsent(t.api);
    const texts = ['Kesho tutasafiri kwenda Mombasa kwa basi.', 'Bei ya mahindi imepanda sokoni wiki hii.'];
    const ids: string[] = [];
    for (const text of texts) ids.push((await t.api.post('/samples/text', { language: 'sw', text }, volunteer.token)).body.id);
    const before = await t.api.get('/samples/to-validate?lang=sw', validator.token);
    expect(before.body.samples.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(ids));

    const other = await joinWithConsent(t.api);
    const stranger = await t.api.delete(`/consents/${volunteer.consentRecordId}`, other.token);
    expect(stranger.status).toBe(404);

    const withdrawn = await t.api.delete(`/consents/${volunteer.consentRecordId}`, volunteer.token, { reason: 'changed my mind' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.withdrawnSamples).toBe(2);
    expect(withdrawn.body.record.status).toBe('dpv:ConsentWithdrawn');
    expect(withdrawn.body.record.events.map((e: { type: string }) => e.type)).toEqual(['dpv:ConsentGiven', 'dpv:ConsentWithdrawn']);

    const after = await t.api.get('/samples/to-validate?lang=sw', validator.token);
    for (const id of ids) expect(after.body.samples.map((s: { id: string }) => s.id)).not.toContain(id);
    const vote = await t.api.post(`/samples/${ids[0]}/votes`, { value: 'up' }, validator.token);
    expect(vote.status).toBe(410);
    expect(vote.body.error.code).toBe('SampleWithdrawn');
    const rows = t.inspect((db) => db.prepare(`SELECT status, text FROM samples WHERE id IN (?, ?)`).all(...ids)) as any[];
    expect(rows).toEqual([{ status: 'withdrawn', text: null }, { status: 'withdrawn', text: null }]);

    const again = await t.api.post('/samples/text', { language: 'sw', text: 'Sentensi mpya baada ya kujiondoa kabisa.' }, volunteer.token);
    expect(again.body.error.code).toBe('ConsentRequired');
  });

  it('export holds exactly the caller’s data, and nobody else can read it', async () => {
    const me = await joinWithConsent(t.api);
    const someoneElse = await joinWithConsent(t.api);
    const mine = await t.api.post('/samples/text', { language: 'sw', text: 'Nimefurahi kukutana nawe leo asubuhi.' }, me.token);
    const theirs = await t.api.post('/samples/text', { language: 'sw', text: 'Mvua kubwa ilinyesha usiku kucha jana.' }, someoneElse.token);
    await t.api.post(`/samples/${theirs.body.id}/votes`, { value: 'up' }, me.token);
    await t.api.patch('/me', { ageBand: '25-34', variant: 'Kiunguja' }, me.token);

    const res = await t.api.get('/me/export', me.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const data = res.body;
    expect(data.contributor).toMatchObject({ id: me.id, ageBand: '25-34', variant: 'Kiunguja' });
    expect(data.samples.map((s: { id: string }) => s.id)).toEqual([mine.body.id]);
    expect(data.consentRecords.map((r: { recordId: string }) => r.recordId)).toEqual([me.consentRecordId]);
    expect(data.votes.samples).toEqual([expect.objectContaining({ targetId: theirs.body.id, value: 'up' })]);
    const serialized = JSON.stringify(data);
    expect(serialized).not.toContain(someoneElse.id);
    expect(serialized).not.toContain(someoneElse.consentRecordId);
    expect(serialized).not.toContain('Mvua kubwa');
    expect(serialized).not.toContain(me.token);

    // And the other way round: their export holds nothing of mine.
    const theirExport = JSON.stringify((await t.api.get('/me/export', someoneElse.token)).body);
    expect(theirExport).toContain(someoneElse.id);
    expect(theirExport).not.toContain(me.id);
    expect(theirExport).not.toContain(mine.body.id);

    expect((await t.api.get('/me/export')).status).toBe(401);
    expect((await t.api.get('/me/export', 'trb_' + 'x'.repeat(43))).status).toBe(401);
  });

  it('DELETE /me withdraws everything, erases the profile, keeps the withdrawal events, and ends the token', async () => {
    const me = await joinWithConsent(t.api);
    await t.api.patch('/me', { pseudonym: 'Amina', gender: 'female' }, me.token);
    const sample = await t.api.post('/samples/text', { language: 'sw', text: 'Shamba letu lina miembe mingi sana.' }, me.token);

    const res = await t.api.delete('/me', me.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ withdrawnConsentRecords: 1, withdrawnSamples: 1 });
    expect((await t.api.get('/me', me.token)).status).toBe(401);

    const state = t.inspect((db) => ({
      contributor: db.prepare('SELECT pseudonym, gender, erased_at FROM contributors WHERE id = ?').get(me.id),
      sample: db.prepare('SELECT status, text FROM samples WHERE id = ?').get(sample.body.id),
      events: db.prepare('SELECT type FROM consent_events WHERE record_id = ? ORDER BY seq').pluck().all(me.consentRecordId),
    })) as any;
    expect(state.contributor.pseudonym).toBe('erased');
    expect(state.contributor.gender).toBeNull();
    expect(state.contributor.erased_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(state.sample).toEqual({ status: 'withdrawn', text: null });
    expect(state.events).toEqual(['given', 'withdrawn']);
  });
});
