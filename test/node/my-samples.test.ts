import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';

/** `GET /me/samples`: the caller's own samples, newest first, paged, with counts by status. */
describe('my samples', () => {
  let t: TestNode;
  let me: Volunteer;
  let other: Volunteer;
  const mine: string[] = [];

  beforeAll(async () => {
    t = await startTestNode({ audio: { minSpeechSeconds: 1.5, maxSeconds: 12 } });
    [me, other] = await Promise.all([joinWithConsent(t.api), joinWithConsent(t.api)]);
    const texts = [
      'Tulisafiri kwa basi kutoka Mombasa mpaka Nairobi jana.',
      'Watoto wanapenda kucheza mpira baada ya masomo ya jioni.',
      'Daktari alisema tunapaswa kunywa maji safi kila siku.',
    ];
    for (const text of texts) {
      const sent = await t.api.post('/samples/text', { language: 'sw', text }, me.token);
      expect(sent.status).toBe(201);
      mine.push(sent.body.id);
    }
    await t.api.post('/samples/text', { language: 'sw', text: 'Ndege wengi huhamia hapa wakati wa baridi kila mwaka.' }, other.token);
    // The other volunteer and a third reject the first one; the volunteer withdraws nothing.
    const third = await joinWithConsent(t.api);
    for (const voter of [other, third]) expect((await t.api.post(`/samples/${mine[0]}/votes`, { value: 'down' }, voter.token)).status).toBe(201);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('lists only my samples, newest first, a page at a time, with counts over all of them', async () => {
    const first = await t.api.get('/me/samples?limit=2', me.token);
    expect(first.status).toBe(200);
    expect(first.body.samples.map((s: { id: string }) => s.id)).toEqual([mine[2], mine[1]]);
    expect(first.body.counts).toEqual({ pending: 2, validated: 0, rejected: 1, withdrawn: 0 });
    expect(first.body.nextCursor).toBe(mine[1]);

    const second = await t.api.get(`/me/samples?limit=2&cursor=${first.body.nextCursor}`, me.token);
    expect(second.body.samples.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([[mine[0], 'rejected']]);
    expect(second.body.nextCursor).toBeNull();

    const theirs = await t.api.get('/me/samples', other.token);
    expect(theirs.body.samples).toHaveLength(1);
    expect(theirs.body.samples.map((s: { id: string }) => s.id)).not.toContain(mine[0]);
  });

  it('shows withdrawn samples as withdrawn', async () => {
    expect((await t.api.delete(`/consents/${me.consentRecordId}`, me.token, { reason: 'test' })).status).toBe(200);
    const after = await t.api.get('/me/samples', me.token);
    expect(after.body.counts).toEqual({ pending: 0, validated: 0, rejected: 0, withdrawn: 3 });
    expect(new Set(after.body.samples.map((s: { status: string }) => s.status))).toEqual(new Set(['withdrawn']));
  });

  it('needs a token', async () => {
    expect((await t.api.get('/me/samples')).status).toBe(401);
  });

  it('advertises the node’s limits, so the app can refuse a too-short take before sending it', async () => {
    const limits = await t.api.get('/limits');
    expect(limits.status).toBe(200);
    expect(limits.body).toEqual({ audio: { minSeconds: 1.5, maxSeconds: 12, maxBytes: 10 * 1024 * 1024 }, text: { maxChars: 2000 } });
  });
});
