import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';

// Samples are written on their own thread and connection while votes, consents and withdrawals
// are written on the request thread: the two must never trip over each other's locks, and a
// withdrawal must win over every submission it races with.
describe('text intake under concurrent writes', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ limits: { ratePerAddress: 100_000, ratePerToken: 100_000 } });
  });
  afterAll(() => t.stop());

  it('leaves no sample standing under a consent withdrawn mid-burst, and answers nothing with 5xx', async () => {
    const author = await joinWithConsent(t.api);
    const [other, ...voters] = await Promise.all([joinWithConsent(t.api), joinWithConsent(t.api), joinWithConsent(t.api)]);
    const seed = await t.api.post('/samples/text', { language: 'sw', text: 'Mvua imenyesha sana leo asubuhi.' }, other!.token);
    expect(seed.status).toBe(201);

    const submissions = Array.from({ length: 300 }, (_, i) =>
      t.api.post('/samples/text', { language: 'sw', text: `Leo ni siku ya ${i} ya mwezi huu wa mvua.` }, author.token),
    );
    // Writes on the request thread while the writer thread is busy with the burst.
    const votes = voters.map((voter) => t.api.post(`/samples/${seed.body.id}/votes`, { value: 'up' }, voter.token));
    await Promise.race(submissions);
    const withdrawal = await t.api.delete(`/consents/${author.consentRecordId}`, author.token);
    expect(withdrawal.status).toBe(200);
    const answers = await Promise.all(submissions);

    expect((await Promise.all(votes)).map((v) => v.status)).toEqual([201, 201]);
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].every((s) => s === 201 || s === 403)).toBe(true);
    for (const refused of answers.filter((a) => a.status === 403)) expect(refused.body.error.code).toBe('ConsentRequired');
    // Whatever was accepted before the withdrawal was withdrawn with it; nothing came after.
    const standing = t.inspect((db) =>
      db.prepare("SELECT count(*) FROM samples WHERE consent_record_id = ? AND status <> 'withdrawn'").pluck().get(author.consentRecordId),
    );
    expect(standing).toBe(0);
    const accepted = answers.filter((a) => a.status === 201).length;
    const withdrawnRows = t.inspect((db) =>
      db.prepare("SELECT count(*) FROM samples WHERE consent_record_id = ? AND status = 'withdrawn' AND text IS NULL").pluck().get(author.consentRecordId),
    );
    expect(withdrawnRows).toBe(accepted);
    expect(accepted).toBeGreaterThan(0);
  });
});
