import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseDescription } from '../../pipelines/release/manifest/types.js';
import { sha256Hex } from '../../server/index/domain/envelope.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { craftedManifest, heartbeat, registration, retraction, signerOf, startTestIndex, type Signer, type TestIndex } from './helpers.js';

const HOSTILE = '<script>alert("x")</script> & Kiswahili';

describe('search, manifests and nodes on the index', () => {
  let ix: TestIndex;
  let offset = 0;
  const nodes: TestNode[] = [];
  let a: Signer;
  let b: Signer;
  let c: Signer;
  const ids: Record<string, string> = {};

  const push = async (signer: Signer, key: string, change: (r: ReleaseDescription) => void, modality: 'text' | 'speech' = 'text') => {
    const { envelope } = craftedManifest(signer, change, { modality });
    const answer = await ix.api.post('/manifests', envelope);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    ids[key] = answer.body.manifest;
    return answer.body;
  };
  const search = async (query: string) => {
    const answer = await ix.api.get(`/manifests${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as { manifests: Array<Record<string, any>>; next: string | null; totals: Record<string, number> };
  };
  const datasets = async (query: string) => (await search(query)).manifests.map((m) => m.dataset).sort();

  beforeAll(async () => {
    ix = await startTestIndex({}, { now: () => new Date(Date.now() + offset) });
    for (const languages of [['sw'], ['pa'], ['en']]) nodes.push(await startTestNode({ languages }));
    [a, b, c] = nodes.map(signerOf) as [Signer, Signer, Signer];
    for (const signer of [a, b, c]) expect((await ix.api.post('/nodes', registration(signer))).status).toBe(200);

    const stamp = (r: ReleaseDescription, minutes: number) => (r.published = new Date(Date.now() - minutes * 60_000).toISOString());
    await push(a, 'swKe', (r) => {
      r.datasetId = 'sw-ke-speech';
      r.language = { tag: 'sw-KE', iso639_3: 'swa', name: 'Swahili' };
      r.name = 'Sauti ya Kenya';
      r.description = 'Read speech from Nairobi volunteers';
      stamp(r, 10);
    }, 'speech');
    await push(a, 'swTextOld', (r) => {
      r.datasetId = 'sw-text';
      r.language = { tag: 'sw', iso639_3: 'swa', name: 'Swahili' };
      r.name = 'Old Kiswahili text';
      stamp(r, 9);
    });
    await push(a, 'swText', (r) => {
      r.datasetId = 'sw-text';
      r.version = '2.0.0';
      r.rev = 2;
      r.language = { tag: 'sw', iso639_3: 'swa', name: 'Swahili' };
      r.name = HOSTILE;
      r.usage = { permitted: ['evaluate'], duties: [], purposes: ['evaluate'] };
      stamp(r, 8);
    });
    await push(b, 'pa', (r) => {
      r.datasetId = 'pa-text';
      r.language = { tag: 'pa-Arab', iso639_3: 'pnb', name: 'Punjabi' };
      r.license = { spdx: 'CC-BY-NC-4.0', url: 'https://creativecommons.org/licenses/by-nc/4.0/' };
      r.accessClass = 'on-request';
      r.name = 'Shahmukhi sentences';
      r.description = 'Punjabi written in the Arabic script';
      r.usage = { permitted: ['train', 'evaluate', 'redistribute'], duties: ['attribute'], purposes: ['train-lm', 'evaluate'] };
      stamp(r, 7);
    });
    await push(b, 'yo', (r) => {
      r.datasetId = 'yo-text';
      stamp(r, 6);
    });
    expect((await ix.api.post('/notices', retraction(b, 'yo-text'))).status).toBe(200);
    await push(b, 'short', (r) => {
      r.datasetId = 'short-lived';
      r.expires = new Date(Date.now() + 3_600_000).toISOString();
      stamp(r, 5);
    });
    await push(c, 'en', (r) => {
      r.datasetId = 'en-text';
      r.language = { tag: 'en', iso639_3: 'eng', name: 'English' };
      stamp(r, 4);
    });
    expect((await ix.index.context.registry.suspend(c.identity.did, 'spam')).status).toBe('suspended');
    // Two hours later: the short-lived manifest has expired, every node has gone quiet, and B speaks again.
    offset = 2 * 3_600_000;
    await ix.index.context.registry.markStale();
    expect((await ix.api.post('/heartbeats', heartbeat(b, 1, { expires: new Date(Date.now() + offset + 600_000) }))).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await ix?.stop();
    for (const t of nodes) await t.stop();
  });

  it('finds current manifests only: not superseded, retracted, expired nor of a suspended node', async () => {
    const all = await search('');
    expect(all.manifests.map((m) => m.dataset)).toEqual(['pa-text', 'sw-text', 'sw-ke-speech']);
    expect(all.next).toBeNull();
    expect(all.totals).toEqual({ datasets: 3, records: 30 + 30 + 1200, hours: 1.346, speakers: 6 + 6 + 40, nodes: 2 });
    const swText = all.manifests.find((m) => m.dataset === 'sw-text')!;
    expect(swText).toEqual({
      id: ids.swText,
      dataset: 'sw-text',
      version: '2.0.0',
      rev: 2,
      name: HOSTILE,
      description: 'Text in Yoruba written by volunteers.',
      language: { tag: 'sw', iso639_3: 'swa' },
      modality: 'text',
      license: 'LicenseRef-Community-1.0',
      accessClass: 'open',
      permits: ['evaluate'],
      records: 30,
      hours: null,
      speakers: 6,
      published: expect.any(String),
      expires: expect.any(String),
      node: { did: a.identity.did, name: 'Test node', url: a.url, stale: true, lastHeardAt: expect.any(String) },
      logIndex: expect.any(Number),
      envelope: expect.stringMatching(/^\/api\/v1\/envelopes\/[0-9a-f]{64}$/),
    });
    // The envelope named is the one the node signed: its payload hashes to the manifest's id.
    const envelope = (await ix.api.get(swText.envelope.replace('/api/v1', ''))).body;
    expect(sha256Hex(new Uint8Array(Buffer.from(envelope.payload, 'base64')))).toBe(ids.swText);
    // The log index is that of the manifest.published event.
    const event = (await ix.api.get(`/feed?cursor=${swText.logIndex}&limit=1`)).body.events[0].event;
    expect(event).toMatchObject({ type: 'manifest.published', manifestSha256: ids.swText });
    // A node heard from again is fresh; one that went quiet is marked stale.
    expect(all.manifests.find((m) => m.dataset === 'pa-text')!.node.stale).toBe(false);
  });

  it('matches language ranges the RFC 4647 way, in any case', async () => {
    expect(await datasets('?lang=sw')).toEqual(['sw-ke-speech', 'sw-text']);
    expect(await datasets('?lang=SW-ke')).toEqual(['sw-ke-speech']);
    expect(await datasets('?lang=pa')).toEqual(['pa-text']);
    expect(await datasets('?lang=pa-arab')).toEqual(['pa-text']);
    expect(await datasets('?lang=*')).toEqual(['pa-text', 'sw-ke-speech', 'sw-text']);
    expect(await datasets('?lang=sw-KE,pa')).toEqual(['pa-text', 'sw-ke-speech']);
    expect(await datasets('?lang=s')).toEqual([]);
    expect(await datasets('?lang=en')).toEqual([]);
  });

  it('filters on permitted actions and training purposes read from the ODRL terms', async () => {
    expect(await datasets('?permits=train')).toEqual(['pa-text', 'sw-ke-speech']);
    expect(await datasets('?permits=train-asr')).toEqual(['sw-ke-speech']);
    expect(await datasets('?permits=train-lm')).toEqual(['pa-text']);
    expect(await datasets('?permits=evaluate')).toEqual(['pa-text', 'sw-ke-speech', 'sw-text']);
    expect(await datasets('?permits=train,redistribute')).toEqual(['pa-text']);
    expect(await datasets('?permits=commercial-model')).toEqual([]);
    const pa = (await search('?permits=redistribute')).manifests[0]!;
    expect(pa.permits).toEqual(['train', 'evaluate', 'redistribute']);
  });

  it('filters on licence, access, modality, sizes, node and free text', async () => {
    expect(await datasets('?license=cc-by-nc-4.0')).toEqual(['pa-text']);
    expect(await datasets('?license=CC-BY-4.0')).toEqual(['sw-ke-speech']);
    expect(await datasets('?access=on-request')).toEqual(['pa-text']);
    expect(await datasets('?access=open,gated')).toEqual(['sw-ke-speech', 'sw-text']);
    expect(await datasets('?modality=speech')).toEqual(['sw-ke-speech']);
    expect(await datasets('?minHours=1')).toEqual(['sw-ke-speech']);
    expect(await datasets('?minHours=2')).toEqual([]);
    expect(await datasets('?minRecords=100')).toEqual(['sw-ke-speech']);
    expect(await datasets(`?node=${encodeURIComponent(b.identity.did)}`)).toEqual(['pa-text']);
    expect(await datasets('?q=punjabi')).toEqual(['pa-text']);
    expect(await datasets('?q=SHAHMUKHI%20arab')).toEqual(['pa-text']);
    expect(await datasets('?q=nairobi')).toEqual(['sw-ke-speech']);
    expect(await datasets('?q=kiswahili')).toEqual(['sw-text']);
    // The superseded manifest's name is no longer searchable.
    expect(await datasets('?q=old')).toEqual([]);
    const filtered = await search('?lang=sw&permits=train');
    expect(filtered.totals).toEqual({ datasets: 1, records: 1200, hours: 1.346, speakers: 40, nodes: 1 });
  });

  it('pages with an opaque cursor in a stable order; the totals are the whole match’s on every page', async () => {
    const all = (await search('')).manifests.map((m) => m.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await search(`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.totals.datasets).toBe(3);
      expect(page.manifests).toHaveLength(1);
      seen.push(...page.manifests.map((m) => m.id));
      cursor = page.next;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
  });

  it('refuses bad query values with 400 InvalidRequest and a message naming the field', async () => {
    for (const [query, field] of [
      ['lang=s%20w', 'lang'],
      ['lang=toolongsubtag', 'lang'],
      ['permits=fly', 'permits'],
      ['access=secret', 'access'],
      ['modality=video', 'modality'],
      ['minHours=-1', 'minHours'],
      ['minHours=lots', 'minHours'],
      ['minRecords=1.5', 'minRecords'],
      ['limit=1000', 'limit'],
      ['node=alice', 'node'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['q=%21%21%21', 'q'],
    ]) {
      const answer = await ix.api.get(`/manifests?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code, query).toBe('InvalidRequest');
      expect(answer.body.error.message, query).toContain(field);
    }
  });

  it('shows any manifest it took by id, with its status', async () => {
    const status = async (key: string) => (await ix.api.get(`/manifests/${ids[key]}`)).body;
    expect(await status('swText')).toMatchObject({ id: ids.swText, status: 'current', supersededBy: null, name: HOSTILE, version: '2.0.0' });
    // A superseded manifest is described by its own signed document.
    expect(await status('swTextOld')).toMatchObject({ status: 'superseded', supersededBy: ids.swText, name: 'Old Kiswahili text', version: '1.0.0', rev: 1 });
    expect(await status('yo')).toMatchObject({ status: 'retracted', dataset: 'yo-text' });
    expect(await status('short')).toMatchObject({ status: 'expired', dataset: 'short-lived' });
    // Node c is suspended: search hides its dataset, and its manifest says why rather than `current`.
    expect(await status('en')).toMatchObject({ status: 'suspended', node: { did: c.identity.did } });
    const unknown = await ix.api.get(`/manifests/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ManifestNotFound');
    expect((await ix.api.get('/manifests/not-a-sha')).status).toBe(400);
  });

  it('shows a node with its keys and the registration a client can check them against', async () => {
    const answer = await ix.api.get(`/nodes/${encodeURIComponent(a.identity.did)}`);
    expect(answer.status).toBe(200);
    const view = answer.body;
    expect(view).toMatchObject({ did: a.identity.did, url: a.url, name: 'Test node', status: 'stale', suspended: null });
    expect(view.signingKeys).toEqual([
      { keyId: a.identity.keyId, publicKey: a.identity.publicKeys.find((k) => k.use === 'signing')!.publicKeyMultibase, since: 0, current: true },
    ]);
    expect(view.rotationKey.keyId).toBe(a.identity.publicKeys.find((k) => k.use === 'rotation')!.id);
    expect(view.keyRotations).toEqual(a.identity.keyRotations);
    const envelope = await fetch(`${ix.url}/api/v1/envelopes/${view.registration}`);
    expect(sha256Hex(await envelope.text())).toBe(view.registration);

    expect((await ix.api.get(`/nodes/${encodeURIComponent(b.identity.did)}`)).body.status).toBe('active');
    expect((await ix.api.get(`/nodes/${encodeURIComponent(c.identity.did)}`)).body).toMatchObject({ status: 'suspended', suspended: { reason: 'spam' } });
    const unknown = await ix.api.get(`/nodes/${encodeURIComponent('did:web:nobody.example')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NodeNotFound');
  });

  it('serves a browse page at / that escapes what nodes sent, runs no script and pages', async () => {
    const answer = await fetch(`${ix.url}/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await answer.text();
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Kiswahili');
    expect(html).toContain('3 datasets');
    for (const dataset of ['sw-ke-speech', 'sw-text', 'pa-text']) expect(html).toContain(dataset);
    expect(html).not.toContain('en-text');
    // Node freshness: A went quiet, B spoke again.
    expect(html.match(/class="stale"/g)).toHaveLength(2);
    expect(html.match(/class="fresh"/g)).toHaveLength(1);

    const filtered = await (await fetch(`${ix.url}/?lang=pa&permits=train-lm&q=punjabi`)).text();
    expect(filtered).toContain('pa-text');
    expect(filtered).not.toContain('sw-ke-speech');
    expect(filtered).toContain('value="punjabi"');

    const paged = await (await fetch(`${ix.url}/?lang=sw&limit=1`)).text();
    const next = /<a rel="next" href="([^"]+)"/.exec(paged)?.[1];
    expect(next).toBeDefined();
    const second = await (await fetch(`${ix.url}${next!.replace(/&amp;/g, '&')}`)).text();
    expect(paged).toContain('sw-text');
    expect(second).toContain('sw-ke-speech');
    expect(second).not.toContain('sw-text');

    const bad = await fetch(`${ix.url}/?lang=${encodeURIComponent('"><img src=x onerror=alert(1)>')}`);
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('lang: one to ten RFC 4647 language ranges');
    expect(badHtml).not.toContain('<img');
  });
});

describe('the browse page', () => {
  it('spends the same rate-limit budget as the API (M2)', async () => {
    const ix = await startTestIndex({ limits: { ratePerAddress: 3, ratePerToken: 1_000_000 } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${ix.url}/?q=word`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await ix.api.get('/manifests')).status).toBe(429);
    } finally {
      await ix.stop();
    }
  });

  it('offers and applies minHours, minRecords and node (L5)', async () => {
    const ix = await startTestIndex();
    try {
      const page = await (await fetch(`${ix.url}/?minRecords=5&minHours=1&node=did:web:nowhere.example`)).text();
      for (const name of ['minHours', 'minRecords', 'node']) expect(page).toContain(`name="${name}"`);
      expect(page).toContain('value="did:web:nowhere.example"');
      expect((await fetch(`${ix.url}/?minRecords=-1`)).status).toBe(400);
    } finally {
      await ix.stop();
    }
  });
});
