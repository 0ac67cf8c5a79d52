import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPseudonym } from '../../server/node/domain/pseudonym.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';

describe('pseudonyms', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());

  /** Joins with a pseudonym sent as raw JSON text, so lone surrogates arrive as the client wrote them. */
  const join = (pseudonymJson: string) => t.api.request('POST', '/contributors', { raw: `{"pseudonym": ${pseudonymJson}}` });

  it('are cleaned as contributed text is, and stored and answered alike', async () => {
    const cases: Array<[string, string]> = [
      ['"Amina\\u202Egnp.exe"', 'Aminagnp.exe'], // a bidi override that would show "exe.png"
      ['"Ami\\u0000na"', 'Amina'],
      ['"Juma\\ud800"', 'Juma'], // a lone surrogate
      ['"  Mwana   wa\\tPwani "', 'Mwana wa Pwani'],
      ['"Zainabu\\u0301"', 'Zainabú'], // composed to NFC
    ];
    for (const [sent, cleaned] of cases) {
      const res = await join(sent);
      expect(res.status, sent).toBe(201);
      expect(res.body.contributor.pseudonym).toBe(cleaned);
      const stored = t.inspect((db) => db.prepare('SELECT pseudonym FROM contributors WHERE id = ?').pluck().get(res.body.contributor.id));
      expect(stored).toBe(cleaned);
      expect((await t.api.get('/me', res.body.token)).body.pseudonym).toBe(cleaned);
    }
  });

  it('refuse names reserved for the node, however they are written, and empty ones', async () => {
    for (const sent of ['"admin"', '"Admin"', '"ＡＤＭＩＮ"', '"a.d.m.i.n"', '"Erased"', '"\\u202E\\u200B"', '"   "']) {
      const res = await join(sent);
      expect(res.status, sent).toBe(422);
      expect(res.body.error.code).toBe('PseudonymNotAllowed');
    }
    const v = await joinWithConsent(t.api);
    const renamed = await t.api.patch('/me', { pseudonym: 'Administrator' }, v.token);
    expect(renamed.status).toBe(422);
    expect(renamed.body.error.code).toBe('PseudonymNotAllowed');
    expect((await t.api.patch('/me', { pseudonym: 'Mama\u202E Admin' }, v.token)).body.pseudonym).toBe('Mama Admin');
  });

  it('stay out of consent records, which name the contributor by id', async () => {
    const v = await joinWithConsent(t.api);
    await t.api.patch('/me', { pseudonym: 'Bi Mkubwa Fatuma' }, v.token);
    const records = (await t.api.get('/consents', v.token)).body.records;
    expect(records[0].dataSubject).toEqual({ id: v.id });
    expect(JSON.stringify(records)).not.toContain('Fatuma');
  });

  it('are bounded in length after cleaning', () => {
    expect(checkPseudonym('\u200B'.repeat(100) + 'Amina')).toEqual({ ok: true, pseudonym: 'Amina' });
    expect(checkPseudonym('a'.repeat(41)).ok).toBe(false);
    expect(checkPseudonym('🌍'.repeat(40))).toEqual({ ok: true, pseudonym: '🌍'.repeat(40) });
  });
});
