import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';

describe('roles, moderation and statistics', () => {
  let t: TestNode;
  let admin: string;
  let author: Volunteer;
  let reviewer: Volunteer;
  beforeAll(async () => {
    t = await startTestNode();
    admin = runCli(['admin', 'token', '--dir', t.dir]).stdout.trim();
    author = await joinWithConsent(t.api);
    reviewer = await joinWithConsent(t.api);
  });
  afterAll(() => t.stop());

  it('only an admin changes roles, and the last admin cannot step down', async () => {
    expect((await t.api.put(`/admin/contributors/${reviewer.id}/role`, { role: 'reviewer' }, author.token)).body.error.code).toBe('AdminRequired');
    const promoted = await t.api.put(`/admin/contributors/${reviewer.id}/role`, { role: 'reviewer' }, admin);
    expect(promoted.status).toBe(200);
    expect(promoted.body.role).toBe('reviewer');
    const me = (await t.api.get('/me', admin)).body;
    const demote = await t.api.put(`/admin/contributors/${me.id}/role`, { role: 'volunteer' }, admin);
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('LastAdmin');
  });

  it('a reviewer upholds a report, which rejects the sample; dismissing releases it to validation', async () => {
    const bad = await t.api.post('/samples/text', { language: 'sw', text: 'Namba yangu ya simu ni sifuri saba mbili.' }, author.token);
    const fine = await t.api.post('/samples/text', { language: 'sw', text: 'Wakulima wamevuna mahindi mengi mwaka huu.' }, author.token);
    const validator = await joinWithConsent(t.api);
    await t.api.post(`/samples/${bad.body.id}/reports`, { reason: 'personal-data' }, validator.token);
    await t.api.post(`/samples/${fine.body.id}/reports`, { reason: 'other', detail: 'not sure' }, validator.token);

    const open = await t.api.get('/admin/reports', reviewer.token);
    expect(open.status).toBe(200);
    const byTarget = new Map(open.body.reports.map((r: { sampleId: string; id: string }) => [r.sampleId, r.id]));
    const upheld = await t.api.post(`/admin/reports/${byTarget.get(bad.body.id)}/resolution`, { decision: 'uphold' }, reviewer.token);
    expect(upheld.body.status).toBe('upheld');
    await t.api.post(`/admin/reports/${byTarget.get(fine.body.id)}/resolution`, { decision: 'dismiss' }, reviewer.token);
    const again = await t.api.post(`/admin/reports/${byTarget.get(fine.body.id)}/resolution`, { decision: 'uphold' }, reviewer.token);
    expect(again.body.error.code).toBe('ReportResolved');

    const statuses = t.inspect((db) =>
      db.prepare('SELECT id, status FROM samples WHERE id IN (?, ?)').all(bad.body.id, fine.body.id),
    ) as Array<{ id: string; status: string }>;
    expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({ [bad.body.id]: 'rejected', [fine.body.id]: 'pending' });
    const queue = await t.api.get('/samples/to-validate?lang=sw', reviewer.token);
    expect(queue.body.samples.map((s: { id: string }) => s.id)).toContain(fine.body.id);
  });

  it('reports per-language statistics without identifying anyone', async () => {
    const stats = await t.api.get('/stats');
    expect(stats.status).toBe(200);
    const sw = stats.body.languages.find((l: { language: string }) => l.language === 'sw');
    expect(sw.samples.text).toMatchObject({ pending: 1, rejected: 1, validated: 0, withdrawn: 0 });
    expect(sw.contributors).toBe(1);
    expect(sw.backlog.text).toBe(1);
    expect(JSON.stringify(stats.body)).not.toContain(author.id);
    expect(stats.body.languages.map((l: { language: string }) => l.language)).toEqual(['sw', 'yo', 'en']);
  });

  it('upholding a report on an accepted sentence takes it out of the reading queue', async () => {
    const imported = await t.api.post('/admin/prompts', { language: 'sw', prompts: [{ text: 'Mtoto wangu anapenda kuimba nyimbo za zamani.' }] }, admin);
    expect(imported.body.imported).toBe(1);
    const reading = async () => (await t.api.get('/prompts?lang=sw', author.token)).body.prompts as Array<{ id: string; text: string }>;
    const prompt = (await reading()).find((p) => p.text === 'Mtoto wangu anapenda kuimba nyimbo za zamani.')!;
    expect(prompt).toBeDefined();
    const reported = await t.api.post(`/prompts/${prompt.id}/reports`, { reason: 'offensive' }, author.token);
    expect(reported.status, JSON.stringify(reported.body)).toBe(201);
    const resolved = await t.api.post(`/admin/reports/${reported.body.id}/resolution`, { decision: 'uphold' }, reviewer.token);
    expect(resolved.body.status).toBe('upheld');
    expect((await reading()).map((p) => p.id)).not.toContain(prompt.id);
  });
});

describe('published descriptions of the node', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());

  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const doc = (await fetch(`${t.url}/openapi.json`).then((r) => r.json())) as any;
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/contributors', '/consents', '/consents/{id}', '/samples/text', '/samples/to-validate', '/samples/{id}/votes', '/me/export', '/stats']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    // The request body is the route's zod schema: fields, limits, required, nothing else allowed.
    const textBody = doc.paths['/samples/text'].post.requestBody.content['application/json'].schema;
    expect(textBody).toMatchObject({
      type: 'object',
      properties: {
        language: { type: 'string', minLength: 1, maxLength: 35 },
        text: { type: 'string', maxLength: 200_000 },
        consentRecordId: { type: 'string' },
      },
      required: ['language', 'text'],
      additionalProperties: false,
    });
    expect(doc.paths['/samples/text'].post.security).toEqual([{ bearer: [] }]);
  });

  it('describes itself at /.well-known/tributary.json', async () => {
    const res = await fetch(`${t.url}/.well-known/tributary.json`);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ type: 'tributary-node', name: 'Test node', languages: ['sw', 'yo', 'en'], api: `${t.url}/api/v1` });
    // With a public URL the node is a did:web of its host; it publishes a signing and a separate rotation key.
    expect(body.did).toBe(`did:web:${encodeURIComponent(new URL(t.url).host)}`);
    expect(body.publicKeys.map((k: { use: string }) => k.use)).toEqual(['signing', 'rotation']);
    expect(body.publicKeys[0].publicKeyMultibase).not.toBe(body.publicKeys[1].publicKeyMultibase);
    const didDocument = (await fetch(`${t.url}/.well-known/did.json`).then((r) => r.json())) as any;
    expect(didDocument.id).toBe(body.did);
    expect(didDocument.assertionMethod).toEqual([`${body.did}#${body.publicKeys[0].id}`]);
  });

  it('is a did:web named after its public URL, with one slash before the API however the URL was written', async () => {
    const named = await startTestNode({ url: 'https://jumuiya.example/' });
    try {
      const body = (await fetch(`${named.url}/.well-known/tributary.json`).then((r) => r.json())) as any;
      expect(body.did).toBe('did:web:jumuiya.example');
      expect(body.api).toBe('https://jumuiya.example/api/v1');
      expect(body.openapi).toBe('https://jumuiya.example/openapi.json');
      const didDocument = (await fetch(`${named.url}/.well-known/did.json`).then((r) => r.json())) as any;
      expect(didDocument.id).toBe('did:web:jumuiya.example');
    } finally {
      await named.stop();
    }
  });
});
