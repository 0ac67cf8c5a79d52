import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimit } from '../../server/core/rate-limit.js';
import { parseNodeConfig } from '../../server/node/config.js';
import { joinWithConsent, rowCounts, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';

describe('bad input gets a 4xx with a stable code and leaves the database unchanged', () => {
  let t: TestNode;
  let v: Volunteer;
  beforeAll(async () => {
    t = await startTestNode({ limits: { ratePerAddress: 100_000, ratePerToken: 100_000, bodyBytes: 64 * 1024 } });
    v = await joinWithConsent(t.api);
  });
  afterAll(() => t.stop());

  const refused: Array<[string, () => Promise<{ status: number; body: any }>, number, string]> = [
    ['malformed JSON', () => t.api.request('POST', '/samples/text', { token: v.token, raw: '{"language": "sw", "text": ' }), 400, 'MalformedJson'],
    ['a JSON array', () => t.api.request('POST', '/samples/text', { token: v.token, raw: '[1,2]' }), 400, 'InvalidRequest'],
    ['wrong types', () => t.api.post('/samples/text', { language: 42, text: ['a'] }, v.token), 400, 'InvalidRequest'],
    ['an unknown field', () => t.api.post('/samples/text', { language: 'sw', text: 'Habari za asubuhi rafiki yangu.', admin: true }, v.token), 400, 'InvalidRequest'],
    ['a form body', () => t.api.request('POST', '/samples/text', { token: v.token, raw: 'language=sw&text=hi', contentType: 'application/x-www-form-urlencoded' }), 415, 'UnsupportedMediaType'],
    ['a huge body', () => t.api.request('POST', '/samples/text', { token: v.token, raw: JSON.stringify({ language: 'sw', text: 'a'.repeat(200_000) }) }), 413, 'PayloadTooLarge'],
    ['an unknown language', () => t.api.post('/samples/text', { language: 'de', text: 'Die Kinder spielen draußen im Garten.' }, v.token), 422, 'LanguageNotSupported'],
    ['an invalid language tag', () => t.api.post('/samples/text', { language: 'not a tag!', text: 'Habari za asubuhi.' }, v.token), 422, 'InvalidLanguageTag'],
    ['empty text', () => t.api.post('/samples/text', { language: 'sw', text: '' }, v.token), 422, 'TextEmpty'],
    ['whitespace-only text', () => t.api.post('/samples/text', { language: 'sw', text: ' \n\t\u00a0\u3000 ' }, v.token), 422, 'TextEmpty'],
    ['control characters', () => t.api.post('/samples/text', { language: 'sw', text: 'Habari\u0000 za\u0007 asubuhi' }, v.token), 422, 'TextControlCharacters'],
    ['10,000-character text', () => t.api.post('/samples/text', { language: 'sw', text: 'neno '.repeat(2000) }, v.token), 422, 'TextTooLong'],
    ['no token', () => t.api.post('/samples/text', { language: 'sw', text: 'Habari za asubuhi.' }), 401, 'Unauthenticated'],
    ['a forged token', () => t.api.post('/samples/text', { language: 'sw', text: 'Habari za asubuhi.' }, 'trb_' + 'A'.repeat(43)), 401, 'Unauthenticated'],
    ['an unknown sample', () => t.api.post('/samples/01HZZZZZZZZZZZZZZZZZZZZZZZ/votes', { value: 'up' }, v.token), 404, 'NotFound'],
    ['an invalid vote', () => t.api.post('/samples/x/votes', { value: 'maybe' }, v.token), 400, 'InvalidRequest'],
    ['an unknown route', () => t.api.get('/no/such/route', v.token), 404, 'NotFound'],
    ['an admin route as a volunteer', () => t.api.post('/admin/prompts', { language: 'sw', prompts: [{ text: 'Habari yako leo' }] }, v.token), 403, 'AdminRequired'],
    ['malformed percent-encoding in a path', () => t.api.get('/datasets/%ff/card', v.token), 400, 'MalformedUrl'],
    ['malformed percent-encoding in a vote', () => t.api.post('/samples/%ff/votes', { value: 'up' }, v.token), 400, 'MalformedUrl'],
    ['a body that claims gzip and is not', () => t.api.request('POST', '/samples/text', { token: v.token, raw: '{"language":"sw"}', headers: { 'content-encoding': 'gzip' } }), 415, 'UnsupportedMediaType'],
    ['a body that claims br and is not', () => t.api.request('POST', '/samples/text', { token: v.token, raw: 'not brotli', headers: { 'content-encoding': 'br' } }), 415, 'UnsupportedMediaType'],
    ['a real gzip body', () => t.api.request('POST', '/samples/text', { token: v.token, raw: gzipSync(JSON.stringify({ language: 'sw', text: 'Habari za asubuhi.' })), headers: { 'content-encoding': 'gzip' } }), 415, 'UnsupportedMediaType'],
    ['a stale consent notice', () => t.api.post('/consents', { noticeId: 'en-0.9-000000000000', noticeSha256: '0'.repeat(64), purposes: ['train-asr'] }, v.token), 409, 'NoticeChanged'],
  ];

  for (const [name, send, status, code] of refused) {
    it(`refuses ${name} with ${status} ${code}`, async () => {
      const before = t.inspect(rowCounts);
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe('string');
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
      expect(t.inspect(rowCounts)).toEqual(before);
    });
  }

  it('stores SQL and HTML injection strings verbatim and returns them as inert JSON', async () => {
    const hostile = [
      "Robert'); DROP TABLE samples;-- ni mwanafunzi wetu",
      '<script>alert("habari")</script> karibu nyumbani kwetu',
      '<img src=x onerror=alert(1)> picha ya mlima Kilimanjaro',
    ];
    for (const text of hostile) {
      const res = await t.api.request('POST', '/samples/text', { token: v.token, json: { language: 'sw', text } });
      expect(res.status).toBe(201);
      expect(res.body.text).toBe(text);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const raw = await fetch(`${t.url}/api/v1/me/export`, { headers: { authorization: `Bearer ${v.token}` } }).then((r) => r.text());
      expect(raw).not.toContain('<script>');
      expect(raw).not.toContain('<img');
      const stored = t.inspect((db) => db.prepare('SELECT text FROM samples WHERE id = ?').pluck().get(res.body.id));
      expect(stored).toBe(text);
    }
    expect(t.inspect((db) => db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'samples'").pluck().get())).toBe(1);
  });

  it('answers 409 DuplicateText for a text already on the node', async () => {
    const text = 'Jua limewaka sana mchana wa leo mjini.';
    expect((await t.api.post('/samples/text', { language: 'sw', text }, v.token)).status).toBe(201);
    const before = t.inspect(rowCounts);
    const again = await t.api.post('/samples/text', { language: 'sw', text: `  ${text.toUpperCase()} ` }, v.token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DuplicateText');
    expect(t.inspect(rowCounts)).toEqual(before);
  });

  it('sends security headers and no stack traces', async () => {
    const res = await fetch(`${t.url}/api/v1/stats`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+; includeSubDomains$/);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
    // The app page gets the same set.
    const page = await fetch(`${t.url}/`);
    expect(page.headers.get('content-security-policy')).toBe(res.headers.get('content-security-policy'));
  });

  it('never answers 5xx for arbitrary text bodies (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          language: fc.oneof(fc.constantFrom('sw', 'yo', 'en', 'sw-KE', 'xx', ''), fc.string({ maxLength: 12 })),
          text: fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 })),
        }),
        async (body) => {
          const res = await t.api.post('/samples/text', body, v.token);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(typeof res.body.error.code).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('rate limits', () => {
  it('answers 429 RateLimited once a token spends its budget', async () => {
    const t = await startTestNode({ limits: { ratePerAddress: 1000, ratePerToken: 5, rateWindowSeconds: 60 } });
    try {
      const joined = await t.api.post('/contributors', {});
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await t.api.get('/me', joined.body.token)).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const limited = await t.api.get('/me', joined.body.token);
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RateLimited');
      // Another token from the same address still has its own budget.
      const other = await t.api.post('/contributors', {});
      expect((await t.api.get('/me', other.body.token)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('tells clients their budget in RateLimit fields and when to retry', async () => {
    const t = await startTestNode({ limits: { ratePerAddress: 1000, ratePerToken: 2, rateWindowSeconds: 600 } });
    try {
      const joined = await t.api.post('/contributors', {});
      const first = await fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${joined.body.token}` } });
      expect(first.headers.get('ratelimit-policy')).toBe('"address";q=1000;w=600, "token";q=2;w=600');
      expect(first.headers.get('ratelimit')).toMatch(/^"token";r=1;t=(600|599)$/);
      await t.api.get('/me', joined.body.token);
      const limited = await fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${joined.body.token}` } });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(590);
      expect(limited.headers.get('ratelimit')).toMatch(/^"token";r=0;t=(600|599|59\d)$/);
    } finally {
      await t.stop();
    }
  });

  it('restores every budget when the window turns (a clock the test moves)', () => {
    let now = 1_000_000;
    const limiter = rateLimit({ windowSeconds: 60, perAddress: 2, perToken: 100 }, () => now);
    const answer = () => {
      let error: unknown;
      const res = { setHeader: () => {} };
      limiter({ ip: '10.0.0.1', headers: {} } as never, res as never, (e?: unknown) => (error = e));
      return error === undefined ? 'ok' : (error as { code: string }).code;
    };
    expect([answer(), answer(), answer()]).toEqual(['ok', 'ok', 'RateLimited']);
    now += 59_999;
    expect(answer()).toBe('RateLimited');
    now += 1;
    expect([answer(), answer(), answer()]).toEqual(['ok', 'ok', 'RateLimited']);
  });

  it('ignores X-Forwarded-For unless the node names its proxy', async () => {
    const forwarded = (t: TestNode, address: string) =>
      fetch(`${t.url}/api/v1/stats`, { headers: { 'x-forwarded-for': address } }).then((r) => r.status);
    const plain = await startTestNode({ limits: { ratePerAddress: 2, ratePerToken: 1000, rateWindowSeconds: 600 } });
    try {
      // A local program that picks its own address gets no fresh budget from it.
      expect([await forwarded(plain, '203.0.113.1'), await forwarded(plain, '203.0.113.2'), await forwarded(plain, '203.0.113.3')]).toEqual([200, 200, 429]);
    } finally {
      await plain.stop();
    }
    const proxied = await startTestNode({
      limits: { ratePerAddress: 2, ratePerToken: 1000, rateWindowSeconds: 600 },
      http: { trustProxy: ['loopback'] },
    });
    try {
      // Behind a named proxy on loopback, the client address it reports is the bucket.
      expect([await forwarded(proxied, '203.0.113.1'), await forwarded(proxied, '203.0.113.1'), await forwarded(proxied, '203.0.113.1')]).toEqual([200, 200, 429]);
      expect(await forwarded(proxied, '203.0.113.2')).toBe(200);
    } finally {
      await proxied.stop();
    }
  });

  it('refuses to trust every proxy, and names the setting', () => {
    expect(() => parseNodeConfig({ name: 'n', languages: ['sw'], http: { trustProxy: true } })).toThrow(/http\.trustProxy/);
    expect(() => parseNodeConfig({ name: 'n', languages: ['sw'], http: { trustProxy: ['not-an-address'] } })).toThrow(/CIDR/);
    expect(parseNodeConfig({ name: 'n', languages: ['sw'], http: { trustProxy: ['10.0.0.0/8', '::1', 'loopback'] } }).http.trustProxy).toHaveLength(3);
  });

  it('limits an address whatever tokens it sends', async () => {
    const t = await startTestNode({ limits: { ratePerAddress: 4, ratePerToken: 1000, rateWindowSeconds: 60 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await t.api.get('/stats')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      const other = await fetch(`${t.url}/api/v1/stats`, { headers: { authorization: 'Bearer trb_not-a-real-token' } });
      expect(other.status).toBe(429);
      expect(other.headers.get('ratelimit')).toBe('"address";r=0;t=60');
    } finally {
      await t.stop();
    }
  });
});
