import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPES } from '../../pipelines/federation/statements.js';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { IndexBusyError } from '../../server/index/errors.js';
import type { HarvestReport } from '../../server/index/services/harvest.js';
import { craftedManifest, registration, retraction, startFakeNode, startTestIndex, statement, type FakeNode, type Signer, type TestIndex } from './helpers.js';

/** Started by a test, stopped after it whatever happened. */
const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of running.splice(0).reverse()) await thing.stop().catch(() => {});
});

async function index(overrides: Parameters<typeof startTestIndex>[0] = {}, options: Parameters<typeof startTestIndex>[1] = {}): Promise<TestIndex> {
  const ix = await startTestIndex({ ...overrides, harvest: { timeoutMs: 2000, ...overrides.harvest } }, options);
  running.push(ix);
  return ix;
}

async function fakeNode(ix: TestIndex | null): Promise<FakeNode> {
  const fake = await startFakeNode();
  running.push(fake);
  if (ix) {
    const answer = await ix.api.post('/nodes', registration(fake.signer));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  }
  return fake;
}

function manifestOf(signer: Signer, dataset: string, version: string, rev: number) {
  return craftedManifest(signer, (r) => {
    r.datasetId = dataset;
    r.version = version;
    r.rev = rev;
  });
}

const shardsOf = (manifest: Record<string, unknown>) =>
  (manifest.distribution as Array<Record<string, unknown>>).filter((d) => d['@type'] === 'cr:FileObject').map((d) => ({ name: d.name as string, sha256: d.sha256 as string }));

function withdrawal(signer: Signer, dataset: string, version: string, shards: Array<{ name: string; sha256: string }>): DsseEnvelope {
  return statement(signer, PAYLOAD_TYPES.withdrawal, {
    type: 'tributary:withdrawal-notice/1',
    id: randomBytes(16).toString('hex'),
    dataset,
    release: { version },
    records: ['record-1'],
    shards,
    reason: 'consent-withdrawn',
    issued: new Date().toISOString().slice(0, 10),
  });
}

type Notice = { seq: number; id: string; kind: string; dataset: string; envelope: unknown };
const noticeOf = (seq: number, kind: string, dataset: string, envelope: DsseEnvelope): Notice => ({
  seq,
  id: (JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { id: string }).id,
  kind,
  dataset,
  envelope,
});

/** The node API a fake node serves: its datasets' current manifests, other versions, and its notice feed. */
function nodeApi(options: { current: Record<string, DsseEnvelope>; versions?: (dataset: string, version: string) => ReturnType<import('./helpers.js').FakeRoute>; notices?: Notice[] }) {
  return (path: string) => {
    const url = new URL(path, 'http://x');
    if (url.pathname === '/api/v1/datasets') return { body: { datasets: Object.keys(options.current).map((id) => ({ id })) } };
    const manifest = /^\/api\/v1\/datasets\/([^/]+)\/manifest$/.exec(url.pathname);
    if (manifest) {
      const version = url.searchParams.get('version');
      if (version) return options.versions?.(manifest[1]!, version);
      const envelope = options.current[manifest[1]!];
      return envelope && { body: envelope };
    }
    if (url.pathname === '/api/v1/notices') {
      const since = Number(url.searchParams.get('since'));
      const limit = Number(url.searchParams.get('limit'));
      const page = (options.notices ?? []).filter((n) => n.seq > since).slice(0, limit);
      return { body: { notices: page, next: page.at(-1)?.seq ?? since } };
    }
    return undefined;
  };
}

describe('harvest keeps what the index may take later (H1)', () => {
  it('reads again, next harvest, a withdrawal whose release the node could not serve this time', async () => {
    const ix = await index();
    const fake = await fakeNode(ix);
    const v1 = manifestOf(fake.signer, 'ds', '1.0.0', 1);
    const v2 = manifestOf(fake.signer, 'ds', '2.0.0', 2);
    let down = true;
    fake.route = nodeApi({
      current: { ds: v2.envelope },
      versions: (_d, version) => (version !== '1.0.0' ? undefined : down ? { status: 503, body: { error: { code: 'Busy', message: 'later' } } } : { body: v1.envelope }),
      notices: [noticeOf(1, 'withdrawal', 'ds', withdrawal(fake.signer, 'ds', '1.0.0', shardsOf(v1.manifest)))],
    });
    const { harvester, store } = ix.index.context;
    const [first] = await harvester.harvest(fake.signer.identity.did);
    expect(first).toMatchObject({ status: 'harvested', cursor: 0, error: { code: 'NoticeHeld' } });
    expect(first!.refused.map((r) => r.code)).toEqual(['Busy', 'UnknownRelease']);
    expect(await store.harvestCursor(fake.signer.identity.did)).toBe(0);
    // Nothing published after the held notice is taken before it.
    expect(await store.dataset(fake.signer.identity.did, 'ds')).toBeUndefined();

    down = false;
    const [second] = await harvester.harvest(fake.signer.identity.did);
    expect(second).toMatchObject({ status: 'harvested', cursor: 1, new: 3, refused: [], error: null });
    const types = (await store.feed(0, 100)).map((e) => (JSON.parse(e.leaf) as { type: string }).type);
    expect(types).toEqual(['node.registered', 'manifest.published', 'withdrawal', 'manifest.published', 'manifest.superseded']);
  });

  it('takes what a node signed with a key it rotated to, following its well-known rotation chain', async () => {
    const ix = await index();
    const fake = await fakeNode(ix);
    const oldKey = fake.signer.identity.keyId;
    fake.rotate();
    const ds = manifestOf(fake.signer, 'ds', '1.0.0', 1);
    fake.route = nodeApi({ current: { ds: ds.envelope }, notices: [] });
    const { harvester, store } = ix.index.context;
    const [first] = await harvester.harvest(fake.signer.identity.did);
    expect(first).toMatchObject({ status: 'harvested', new: 1, refused: [], error: null });
    // A retraction signed with the new key, after the manifest.
    fake.route = nodeApi({ current: {}, notices: [noticeOf(1, 'retraction', 'ds', retraction(fake.signer, 'ds'))] });
    const [second] = await harvester.harvest(fake.signer.identity.did);
    expect(second).toMatchObject({ status: 'harvested', new: 1, cursor: 1, refused: [] });
    expect((await store.dataset(fake.signer.identity.did, 'ds'))!.retracted).not.toBeNull();
    const rotated = (await store.feed(0, 100)).map((e) => JSON.parse(e.leaf) as Record<string, unknown>).find((e) => e.type === 'node.key-rotated')!;
    expect(rotated).toMatchObject({ sequence: 1, previousKey: { id: oldKey }, newKey: { id: fake.signer.identity.keyId } });
    // The statement is served as the envelope the event names.
    const served = await fetch(`${ix.url}/api/v1/envelopes/${rotated.envelopeSha256 as string}`);
    expect(served.status).toBe(200);
    expect(((await served.json()) as { payload: string }).payload).toBe(fake.signer.identity.keyRotations[0]!.payload);
    expect((await ix.api.get(`/nodes/${encodeURIComponent(fake.signer.identity.did)}`)).body.signingKeys).toHaveLength(2);
  });

  it('holds a notice the index is too busy to take, reports it, and harvests the other nodes (M4)', async () => {
    const ix = await index();
    const busy = await fakeNode(ix);
    const calm = await fakeNode(ix);
    for (const fake of [busy, calm]) {
      const ds = manifestOf(fake.signer, 'ds', '1.0.0', 1);
      fake.route = nodeApi({ current: { ds: ds.envelope }, notices: [noticeOf(1, 'retraction', 'ds', retraction(fake.signer, 'ds'))] });
    }
    const { harvester, intake } = ix.index.context;
    const notice = intake.notice.bind(intake);
    // The database is held by another process for longer than intake waits: IndexBusy (503).
    intake.notice = async (body) => {
      if (Buffer.from(body.payload, 'base64').toString().includes(busy.signer.identity.did)) throw new IndexBusyError();
      return notice(body);
    };
    const reports = new Map((await harvester.harvest()).map((r) => [r.node, r]));
    expect(reports.get(busy.signer.identity.did)).toMatchObject({ status: 'harvested', new: 1, cursor: 0, error: { code: 'NoticeHeld' } });
    expect(reports.get(calm.signer.identity.did)).toMatchObject({ status: 'harvested', new: 2, cursor: 1, error: null });
    intake.notice = notice;
    expect((await harvester.harvest(busy.signer.identity.did))[0]).toMatchObject({ new: 1, cursor: 1, error: null });
  });
});

describe('a hostile node cannot keep a harvest running or growing (H2)', () => {
  it('reads at most harvest.maxNotices of an endless notice feed, lists at most maxRefusals, and goes on next time', async () => {
    const ix = await index({ harvest: { noticePage: 10, maxNotices: 30, maxRefusals: 5 } });
    const fake = await fakeNode(ix);
    fake.route = (path) => {
      const url = new URL(path, 'http://x');
      if (url.pathname === '/api/v1/datasets') return { body: { datasets: [] } };
      // Always a full page of junk, always further on.
      const since = Number(url.searchParams.get('since'));
      const notices = Array.from({ length: 10 }, (_, i) => ({ seq: since + i + 1, id: `n${since + i + 1}`, kind: 'retraction', dataset: 'ds', envelope: { junk: true } }));
      return { body: { notices, next: since + 10 } };
    };
    const { harvester, store } = ix.index.context;
    const [report] = await harvester.harvest(fake.signer.identity.did);
    expect(report).toMatchObject({ status: 'harvested', cursor: 30, refusedTotal: 30, error: { code: 'HarvestIncomplete' } });
    expect(report!.refused).toHaveLength(5);
    expect(await store.harvestCursor(fake.signer.identity.did)).toBe(30);
    const [next] = await harvester.harvest(fake.signer.identity.did);
    expect(next!.cursor).toBe(60);
  }, 30_000);

  it('gives one node harvest.nodeDeadlineMs in all, and harvests the others meanwhile', async () => {
    const ix = await index({ harvest: { nodeDeadlineMs: 1500, timeoutMs: 1000 } });
    const slow = await fakeNode(ix);
    const quick = await fakeNode(ix);
    // Each answer in time, but pages without end, slowly.
    slow.route = async (path) => {
      const url = new URL(path, 'http://x');
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (url.pathname === '/api/v1/datasets') return { body: { datasets: [] } };
      const since = Number(url.searchParams.get('since'));
      return { body: { notices: Array.from({ length: 100 }, (_, i) => ({ seq: since + i + 1, id: `n${i}`, kind: 'retraction', dataset: 'ds', envelope: {} })), next: since + 100 } };
    };
    quick.route = nodeApi({ current: { ds: manifestOf(quick.signer, 'ds', '1.0.0', 1).envelope } });
    const started = Date.now();
    const reports = new Map((await ix.index.context.harvester.harvest()).map((r) => [r.node, r]));
    expect(Date.now() - started).toBeLessThan(4000);
    expect(reports.get(slow.signer.identity.did)).toMatchObject({ status: 'unreachable', error: { code: 'NodeUnreachable', message: expect.stringContaining('nodeDeadlineMs') } });
    expect(reports.get(quick.signer.identity.did)).toMatchObject({ status: 'harvested', new: 1 });
  }, 60_000);

  it('close() stops a scheduled harvest under way at once', async () => {
    const ix = await index({ harvest: { everyMinutes: 0.003, timeoutMs: 20_000 } });
    const fake = await fakeNode(ix);
    let asked!: () => void;
    const waiting = new Promise<void>((resolve) => (asked = resolve));
    // Never answers (within the 20 s a fetch may take).
    fake.route = () => {
      asked();
      return new Promise(() => {});
    };
    // The scheduled round starts by itself within ~200 ms.
    await waiting;
    const started = Date.now();
    await ix.index.close();
    expect(Date.now() - started).toBeLessThan(2000);
  }, 30_000);

  it('keeps no more manifest bytes than harvest.heldBytes: the rest are read again when taken', async () => {
    const ix = await index({ harvest: { heldBytes: 0 } });
    const fake = await fakeNode(ix);
    fake.route = nodeApi({ current: { a: manifestOf(fake.signer, 'a', '1.0.0', 1).envelope, b: manifestOf(fake.signer, 'b', '1.0.0', 1).envelope } });
    const [report] = await ix.index.context.harvester.harvest(fake.signer.identity.did);
    expect(report).toMatchObject({ status: 'harvested', new: 2, refused: [] });
    expect(fake.requests.filter((p) => p.endsWith('/manifest'))).toHaveLength(4);
  });
});

describe('harvest and push end in the same state', () => {
  it('refuses an envelope larger than a push may send (limits.bodyBytes), and takes the node’s others (M1)', async () => {
    const ix = await index({ limits: { bodyBytes: 64 * 1024, ratePerAddress: 1_000_000, ratePerToken: 1_000_000 } });
    const fake = await fakeNode(ix);
    const big = craftedManifest(fake.signer, (r) => {
      r.datasetId = 'big';
      r.description = 'x'.repeat(100 * 1024);
    });
    const small = manifestOf(fake.signer, 'small', '1.0.0', 1);
    expect((await ix.api.post('/manifests', big.envelope)).status).toBe(413);
    fake.route = nodeApi({ current: { big: big.envelope, small: small.envelope } });
    const [report] = await ix.index.context.harvester.harvest(fake.signer.identity.did);
    expect(report).toMatchObject({ status: 'harvested', new: 1, refused: [{ what: 'manifest of big', code: 'PayloadTooLarge' }] });
    expect(await ix.index.context.store.dataset(fake.signer.identity.did, 'big')).toBeUndefined();
  });

  it('reports a manifest or notice that names another node instead of taking it (M3)', async () => {
    const ix = await index();
    const fake = await fakeNode(ix);
    const other = await fakeNode(ix);
    const theirs = manifestOf(other.signer, 'theirs', '1.0.0', 1);
    fake.route = nodeApi({ current: { theirs: theirs.envelope }, notices: [noticeOf(1, 'retraction', 'theirs', retraction(other.signer, 'theirs'))] });
    const [report] = await ix.index.context.harvester.harvest(fake.signer.identity.did);
    expect(report!.refused.map((r) => r.code)).toEqual(['ManifestWrongNode', 'NoticeWrongNode']);
    expect(report!.new).toBe(0);
    expect(await ix.index.context.store.dataset(other.signer.identity.did, 'theirs')).toBeUndefined();
  });

  it('re-sending what a node signed before does not make a stale node fresh (M3)', async () => {
    const ix = await index({ nodes: { staleAfterMinutes: 30 } });
    const fake = await fakeNode(ix);
    const held = manifestOf(fake.signer, 'ds', '1.0.0', 1);
    const notice = retraction(fake.signer, 'ds');
    expect((await ix.api.post('/manifests', held.envelope)).body.status).toBe('published');
    expect((await ix.api.post('/notices', notice)).body.status).toBe('accepted');
    const { registry, store } = ix.index.context;
    expect(await registry.markStale(new Date(Date.now() + 31 * 60_000))).toEqual([fake.signer.identity.did]);
    const before = (await store.node(fake.signer.identity.did))!;
    expect((await ix.api.post('/manifests', held.envelope)).body.status).toBe('unchanged');
    expect((await ix.api.post('/notices', notice)).body.status).toBe('unchanged');
    const registered = JSON.parse((await store.envelope(before.registration))!) as DsseEnvelope;
    expect((await ix.api.post('/nodes', registered)).body.status).toBe('unchanged');
    const after = (await store.node(fake.signer.identity.did))!;
    expect(after).toMatchObject({ stale: true, lastHeardAt: before.lastHeardAt });
  });
});

export type { HarvestReport };
