import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNodeKeys, keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import { IndexClient } from '../../server/trainer/index-client.js';
import { trustedNodeKeys } from '../../server/trainer/node-keys.js';
import { permitsAction } from '../../server/trainer/permits.js';

/**
 * The index client against a small index that misbehaves on purpose: every answer is bounded in
 * size and time and checked for shape before anything reads it, and each failure has its code.
 */
describe('the index client refuses what an index should not send', () => {
  let server: Server;
  let url: string;
  const routes = new Map<string, (res: import('node:http').ServerResponse) => void>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const handler = routes.get(new URL(req.url!, 'http://x').pathname);
      if (handler) handler(res);
      else res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NotFound', message: 'Not found.' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an answer larger than the bound: IndexUnreachable, read no further', async () => {
    routes.set('/api/v1/manifests', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('['.repeat(64 * 1024)));
    await expect(new IndexClient(url, { maxBytes: 1024 }).search({})).rejects.toMatchObject({ code: 'IndexUnreachable' });
  });

  it('an index that never answers: IndexUnreachable after the timeout', async () => {
    routes.set('/api/v1/manifests', () => {});
    await expect(new IndexClient(url, { timeoutMs: 200 }).search({})).rejects.toMatchObject({ code: 'IndexUnreachable' });
  });

  it('a wrong shape: IndexAnswerInvalid naming the field; a refusal: IndexRequestRefused with the index’s code', async () => {
    routes.set('/api/v1/manifests', (res) => res.writeHead(200).end(JSON.stringify({ manifests: [{ id: 'nope' }], next: null, totals: {} })));
    await expect(new IndexClient(url).search({})).rejects.toMatchObject({ code: 'IndexAnswerInvalid' });
    await expect(new IndexClient(url).node('did:key:z6Mkx')).rejects.toMatchObject({ code: 'IndexRequestRefused', message: expect.stringContaining('NotFound') });
  });

  it('an envelope whose bytes are not the sha256 asked for is refused', async () => {
    const sha = 'a'.repeat(64);
    routes.set(`/api/v1/envelopes/${sha}`, (res) => res.writeHead(200).end('{"payloadType":"x","payload":"","signatures":[]}'));
    await expect(new IndexClient(url).envelope(sha)).rejects.toMatchObject({ code: 'IndexAnswerInvalid' });
  });

  it('a feed page that skips an index is refused (its entries are log leaves, in order)', async () => {
    routes.set('/api/v1/feed', (res) =>
      res.writeHead(200).end(JSON.stringify({ events: [{ index: 5, event: { type: 'node.stale', node: 'did:key:z', v: 1, at: '', lastHeardAt: '' } }], next: 6, size: 6 })),
    );
    await expect(new IndexClient(url).feed(4, 10)).rejects.toMatchObject({ code: 'IndexAnswerInvalid' });
  });

  it('a feed page whose next skips past entries it did not send is refused', async () => {
    const event = { type: 'node.stale', node: 'did:key:z', v: 1, at: '', lastHeardAt: '' };
    routes.set('/api/v1/feed', (res) => res.writeHead(200).end(JSON.stringify({ events: [{ index: 4, event }], next: 1004, size: 2000 })));
    await expect(new IndexClient(url).feed(4, 10)).rejects.toMatchObject({ code: 'IndexAnswerInvalid', message: expect.stringContaining('next 1004') });
    routes.set('/api/v1/feed', (res) => res.writeHead(200).end(JSON.stringify({ events: [], next: 9, size: 2000 })));
    await expect(new IndexClient(url).feed(4, 10)).rejects.toMatchObject({ code: 'IndexAnswerInvalid' });
  });

  it('a bad --index is a clear error', () => {
    expect(() => new IndexClient('ftp://index.example.org')).toThrow(/not an http\(s\) URL/);
    expect(() => new IndexClient('not a url')).toThrow(/is not a URL/);
  });
});

describe('node keys as the index pinned them', () => {
  const keys = generateNodeKeys();
  const published = (key: typeof keys.signing) => ({ keyId: keyId(key), publicKey: publicKeyMultibase(key) });
  const record = (changes: Record<string, unknown> = {}) => ({
    did: 'did:web:node.example.org',
    name: 'Node',
    url: 'https://node.example.org',
    status: 'active' as const,
    signingKeys: [{ ...published(keys.signing), since: 0, current: true }],
    rotationKey: published(keys.rotation),
    keyRotations: [],
    ...changes,
  });

  it('trusts the first signing key when there is no rotation', () => {
    expect([...trustedNodeKeys(record(), 'did:web:node.example.org').keys.keys()]).toEqual([keyId(keys.signing)]);
  });

  it('refuses a current key the rotation chain does not lead to, and an answer about another node', () => {
    const other = generateNodeKeys();
    const forged = record({ signingKeys: [{ ...published(keys.signing), since: 0, current: false }, { ...published(other.signing), since: 1, current: true }] });
    expect(() => trustedNodeKeys(forged, 'did:web:node.example.org')).toThrow(expect.objectContaining({ code: 'NodeKeysInvalid' }));
    expect(() => trustedNodeKeys(record({ did: 'did:web:other.example' }), 'did:web:node.example.org')).toThrow(/answered for did:web:other.example/);
  });
});

describe('permits', () => {
  const facts = (permitted: string[], purposes: string[], spdx = 'CC-BY-4.0') =>
    ({ terms: { permitted, duties: [], purposes }, license: { spdx, url: '' } }) as unknown as Parameters<typeof permitsAction>[0];

  it('reads actions and consent purposes, and says why not', () => {
    expect(permitsAction(facts(['train', 'evaluate'], ['train-asr', 'evaluate']), 'train-asr')).toEqual({ ok: true });
    expect(permitsAction(facts(['train'], ['train-lm']), 'train-asr')).toEqual({ ok: false, reason: 'its contributors consented to train-lm, not train-asr' });
    expect(permitsAction(facts(['train'], ['commercial-model', 'train-asr'], 'CC-BY-NC-4.0'), 'commercial-model')).toEqual({
      ok: false,
      reason: 'its terms do not permit commercial-model (CC-BY-NC-4.0 is non-commercial); they permit train',
    });
    expect(permitsAction(facts(['train'], []), 'dance').ok).toBe(false);
  });
});
