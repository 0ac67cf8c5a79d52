import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

const TUS = { 'tus-resumable': '1.0.0' };
const meta = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

/** Creates a resumable upload the way a tus client does, without sending any audio yet. */
async function createUpload(t: TestNode, token: string, promptId: string, length: number) {
  const res = await fetch(`${t.url}/api/v1/uploads`, {
    method: 'POST',
    headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-length': String(length), 'upload-metadata': meta({ promptId }) },
  });
  const text = await res.text();
  return { status: res.status, location: res.headers.get('location'), body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function patch(t: TestNode, location: string, token: string, offset: number, bytes: Uint8Array) {
  const res = await fetch(new URL(location, `${t.url}/api/v1/uploads/`), {
    method: 'PATCH',
    headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body: bytes,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Upload files on disk: data files and their metadata files (which name the contributor). */
const uploadFiles = (t: TestNode) => (existsSync(join(t.dir, 'uploads')) ? readdirSync(join(t.dir, 'uploads')).sort() : []);
const claims = (t: TestNode) => t.inspect((db) => db.prepare('SELECT count(*) FROM unfinished_uploads').pluck().get());

describe('resumable uploads', () => {
  let t: TestNode;
  afterEach(() => t?.stop());

  async function nodeWith(audio: Record<string, number>, limits: Record<string, number> = {}) {
    t = await startTestNode({
      audio: { maxBytes: 1_000_000, ...audio },
      limits: { ratePerAddress: 100_000, ratePerToken: 100_000, ...limits },
    });
    return importPrompts(t, 'sw', ['Habari za asubuhi, leo tunakwenda sokoni.'])[0]!;
  }

  it('share the API’s rate limits: a flood of HEADs is answered 429 with RateLimit fields', async () => {
    const prompt = await nodeWith({}, { ratePerToken: 20 });
    const v = await joinWithConsent(t.api);
    const created = await createUpload(t, v.token, prompt, 1000);
    expect(created.status).toBe(201);
    expect(created.headers.get('ratelimit')).toMatch(/^"token";r=\d+;t=\d+$/);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await fetch(new URL(created.location!, `${t.url}/api/v1/uploads/`), {
        method: 'HEAD',
        headers: { ...TUS, authorization: `Bearer ${v.token}` },
      });
      statuses.push(res.status);
    }
    // Two requests of the token's budget went on giving consent and creating the upload.
    expect(statuses.filter((s) => s === 200)).toHaveLength(18);
    expect(statuses.slice(18)).toEqual([429, 429, 429, 429, 429, 429, 429]);
  });

  it('are capped per contributor by count and by bytes before any byte is stored', async () => {
    const prompt = await nodeWith({ maxUnfinishedUploads: 2, maxUnfinishedBytes: 1_500_000 });
    const v = await joinWithConsent(t.api);
    expect((await createUpload(t, v.token, prompt, 1000)).status).toBe(201);
    expect((await createUpload(t, v.token, prompt, 1000)).status).toBe(201);
    const third = await createUpload(t, v.token, prompt, 1000);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('UploadQuotaExceeded');
    expect(third.body.error.details).toMatchObject({ unfinished: 2, maxUnfinished: 2 });

    const other = await joinWithConsent(t.api);
    expect((await createUpload(t, other.token, prompt, 1_000_000)).status).toBe(201);
    const tooMuch = await createUpload(t, other.token, prompt, 600_000);
    expect(tooMuch.status).toBe(429);
    expect(tooMuch.body.error.code).toBe('UploadQuotaExceeded');
    // Refusals store nothing: three uploads, each a data file and a metadata file.
    expect(uploadFiles(t)).toHaveLength(6);
    expect(claims(t)).toBe(3);
  });

  it('share a node-wide disk budget, refused with its own code', async () => {
    const prompt = await nodeWith({ uploadDiskBudgetBytes: 2 * 1024 * 1024, maxUnfinishedBytes: 2_000_000 });
    const a = await joinWithConsent(t.api);
    const b = await joinWithConsent(t.api);
    expect((await createUpload(t, a.token, prompt, 1_000_000)).status).toBe(201);
    expect((await createUpload(t, b.token, prompt, 1_000_000)).status).toBe(201);
    const full = await createUpload(t, b.token, prompt, 500_000);
    expect(full.status).toBe(507);
    expect(full.body.error.code).toBe('NodeStorageFull');
  });

  it('end their claim when they finish or are refused', async () => {
    const prompt = await nodeWith({ maxUnfinishedUploads: 1 });
    const v = await joinWithConsent(t.api);
    const created = await createUpload(t, v.token, prompt, 4);
    expect(await patch(t, created.location!, v.token, 0, new TextEncoder().encode('oops'))).toBe(422);
    expect(claims(t)).toBe(0);
    expect(uploadFiles(t)).toEqual([]);
    expect((await createUpload(t, v.token, prompt, 4)).status).toBe(201);
  });

  it('are deleted at once, files and metadata, when their contributor erases their data', async () => {
    const prompt = await nodeWith({});
    const v = await joinWithConsent(t.api);
    const other = await joinWithConsent(t.api);
    const mine = await createUpload(t, v.token, prompt, 10_000);
    expect(await patch(t, mine.location!, v.token, 0, new Uint8Array(5000))).toBe(204);
    const theirs = await createUpload(t, other.token, prompt, 10_000);
    expect(uploadFiles(t)).toHaveLength(4);

    expect((await t.api.delete('/me', v.token)).status).toBe(200);
    const id = (location: string) => location.split('/').at(-1)!;
    expect(uploadFiles(t)).toEqual([id(theirs.location!), `${id(theirs.location!)}.json`].sort());
    expect(claims(t)).toBe(1);
  });

  it('are deleted at once when the consent they were started under is withdrawn', async () => {
    const prompt = await nodeWith({});
    const v = await joinWithConsent(t.api);
    const started = await createUpload(t, v.token, prompt, 10_000);
    expect(await patch(t, started.location!, v.token, 0, new Uint8Array(5000))).toBe(204);
    expect(uploadFiles(t)).toHaveLength(2);

    expect((await t.api.delete(`/consents/${v.consentRecordId}`, v.token)).status).toBe(200);
    expect(uploadFiles(t)).toEqual([]);
    expect(claims(t)).toBe(0);
    // The rest of the upload finds nothing to continue.
    expect(await patch(t, started.location!, v.token, 5000, new Uint8Array(5000))).toBe(404);
  });
});
