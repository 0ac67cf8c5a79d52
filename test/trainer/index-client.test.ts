import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPES, signStatement } from '../../pipelines/federation/statements.js';
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

  it('a search whose cursors loop, or that never ends, is stopped: IndexAnswerInvalid', async () => {
    const totals = { datasets: 0, records: 0, hours: 0, speakers: 0, nodes: 0 };
    let asked = 0;
    // A → B → A: the second A is refused at once.
    routes.set('/api/v1/manifests', (res) => {
      asked++;
      res.writeHead(200).end(JSON.stringify({ manifests: [], next: asked % 2 === 1 ? 'A' : 'B', totals }));
    });
    await expect(new IndexClient(url).searchAll({})).rejects.toMatchObject({ code: 'IndexAnswerInvalid', message: expect.stringContaining('second time') });
    expect(asked).toBe(3);
    // A new cursor every time: stopped at the page bound, and at the byte bound.
    asked = 0;
    routes.set('/api/v1/manifests', (res) => res.writeHead(200).end(JSON.stringify({ manifests: [], next: `c${asked++}`, totals })));
    await expect(new IndexClient(url).searchAll({}, { maxPages: 5 })).rejects.toMatchObject({ message: expect.stringContaining('past 5 pages') });
    expect(asked).toBe(5);
    await expect(new IndexClient(url).searchAll({}, { maxBytes: 1000 })).rejects.toMatchObject({ message: expect.stringContaining('past 1000 bytes') });
  });

  it('a bad --index is a clear error', () => {
    expect(() => new IndexClient('ftp://index.example.org')).toThrow(/not an http\(s\) URL/);
    expect(() => new IndexClient('not a url')).toThrow(/is not a URL/);
  });
});

describe('node keys as the index pinned them', () => {
  const keys = generateNodeKeys();
  const did = 'did:web:node.example.org';
  const published = (key: typeof keys.signing) => ({ keyId: keyId(key), publicKey: publicKeyMultibase(key) });
  const named = (key: typeof keys.signing, use: 'signing' | 'rotation') => ({
    id: keyId(key),
    type: 'Ed25519VerificationKey2020' as const,
    use,
    publicKeyMultibase: publicKeyMultibase(key),
  });
  /** The registration the node signs: its keys, its URL. */
  const registration = (changes: Record<string, unknown> = {}, signer = keys.signing) =>
    JSON.stringify(
      signStatement(
        PAYLOAD_TYPES.registration,
        {
          type: 'tributary:node-registration/1',
          node: did,
          name: 'Node',
          url: 'https://node.example.org',
          languages: ['sw'],
          publicKeys: [named(keys.signing, 'signing'), named(keys.rotation, 'rotation')],
          keyRotations: [],
          issued: new Date().toISOString(),
          ...changes,
        } as never,
        signer,
        keyId(signer),
      ),
    );
  const record = (changes: Record<string, unknown> = {}) => ({
    did,
    name: 'Node',
    url: 'https://node.example.org',
    status: 'active' as const,
    signingKeys: [{ ...published(keys.signing), since: 0, current: true }],
    rotationKey: published(keys.rotation),
    keyRotations: [],
    registration: 'a'.repeat(64),
    ...changes,
  });
  const invalid = expect.objectContaining({ code: 'NodeKeysInvalid' });

  it('trusts the first signing key when there is no rotation, and pins it with the rotation key', () => {
    const node = trustedNodeKeys(record(), did, { registration: registration() });
    expect([...node.keys.keys()]).toEqual([keyId(keys.signing)]);
    expect(node.pin).toEqual({ did, firstKey: published(keys.signing), rotationKey: published(keys.rotation), rotations: [] });
  });

  it('refuses a current key the rotation chain does not lead to, and an answer about another node', () => {
    const other = generateNodeKeys();
    const forged = record({ signingKeys: [{ ...published(keys.signing), since: 0, current: false }, { ...published(other.signing), since: 1, current: true }] });
    expect(() => trustedNodeKeys(forged, did, { registration: registration() })).toThrow(invalid);
    expect(() => trustedNodeKeys(record({ did: 'did:web:other.example' }), did, { registration: registration() })).toThrow(/answered for did:web:other.example/);
  });

  it('refuses keys the node’s own registration does not name, a registration it did not sign, a URL on another host', () => {
    const other = generateNodeKeys();
    // The index swaps the rotation key, or serves a registration signed by a key of its own.
    expect(() => trustedNodeKeys(record({ rotationKey: published(other.rotation) }), did, { registration: registration() })).toThrow(invalid);
    const selfMade = registration({ publicKeys: [named(other.signing, 'signing'), named(other.rotation, 'rotation')] }, other.signing);
    expect(() => trustedNodeKeys(record(), did, { registration: selfMade })).toThrow(/another rotation key/);
    expect(() => trustedNodeKeys(record(), did, { registration: registration({}, other.signing) })).toThrow(/not signed by the key it names/);
    expect(() =>
      trustedNodeKeys(record({ url: 'https://elsewhere.example' }), did, { registration: registration({ url: 'https://elsewhere.example' }) }),
    ).toThrow(/not the host/);
    expect(() => trustedNodeKeys(record(), did, { registration: registration(), loggedRegistration: 'b'.repeat(64) })).toThrow(/log last names/);
  });

  it('refuses other keys than the folder pinned, even when they hold together', () => {
    const other = generateNodeKeys();
    const pinned = trustedNodeKeys(record(), did, { registration: registration() }).pin;
    const swapped = record({ signingKeys: [{ ...published(other.signing), since: 0, current: true }], rotationKey: published(other.rotation) });
    const theirs = registration({ publicKeys: [named(other.signing, 'signing'), named(other.rotation, 'rotation')] }, other.signing);
    expect(() => trustedNodeKeys(swapped, did, { registration: theirs })).not.toThrow();
    expect(() => trustedNodeKeys(swapped, did, { registration: theirs, pinned })).toThrow(/this folder pinned/);
    expect(() => trustedNodeKeys(record(), did, { registration: registration(), pinned: { ...pinned, rotations: ['sha256:' + 'c'.repeat(64)] } })).toThrow(
      /do not extend/,
    );
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
