import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import type { HarvestReport } from '../../server/index/services/harvest.js';
import type { IndexStore } from '../../server/index/store/index-store.js';
import { runCliAsync } from '../helpers/cli.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { seedReleaseData } from '../helpers/release-data.js';
import { buildRelease, registration, signerOf, startTestIndex, type Signer, type TestIndex } from './helpers.js';

/**
 * What an index made of a node, without the times it heard things (those differ between any two
 * indexes): nodes, datasets, manifests, notices, the feed's events and every envelope held.
 */
async function stateOf(store: IndexStore, did: string) {
  const node = (await store.node(did))!;
  const { lastHeardAt: _l, registeredAt: _r, ...nodeRest } = node;
  const feed = (await store.feed(0, 10_000)).map((e) => {
    const { at: _at, ...event } = JSON.parse(e.leaf) as Record<string, unknown>;
    return canonicalJson(event);
  });
  const datasets = [];
  for (const id of ['sw-text', 'sw-speech']) {
    const row = await store.dataset(did, id);
    if (!row) continue;
    const { updatedAt: _u, retracted, ...rest } = row;
    datasets.push({ ...rest, retracted: retracted && { notice: retracted.notice } });
  }
  const manifests = [];
  for (const d of datasets) {
    const m = (await store.manifest(d.manifest))!;
    const { receivedAt: _r2, ...rest } = m;
    manifests.push(rest);
  }
  const counts = await store.counts();
  return { node: nodeRest, feed, datasets, manifests, counts, size: await store.logSize() };
}

describe('harvest: the index pulls what a node publishes, ending where a push ends', () => {
  let t: TestNode;
  let pushed: TestIndex;
  let harvested: TestIndex;
  let signer: Signer;
  let admin: string;
  let pushedNotices = 0;

  const harvest = async (ix: TestIndex, only?: string): Promise<HarvestReport[]> => ix.index.context.harvester.harvest(only);

  /** What the node's outbox would do: every current manifest, then every notice not yet sent, as the node serves them. */
  async function push(ix: TestIndex) {
    // In the order the node made them, as its outbox sends them.
    const listing = ((await t.api.get('/datasets')).body.datasets as Array<{ id: string; published: string }>).sort((x, y) => x.published.localeCompare(y.published));
    for (const { id } of listing) {
      const served = await fetch(`${t.url}/api/v1/datasets/${id}/manifest`);
      if (served.status !== 200) continue;
      const answer = await ix.api.request('POST', '/manifests', { raw: await served.text() });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    const notices = (await t.api.get(`/notices?since=${pushedNotices}`)).body.notices as Array<{ seq: number; envelope: unknown }>;
    for (const notice of notices) {
      const answer = await ix.api.post('/notices', notice.envelope);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      pushedNotices = notice.seq;
    }
  }

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
    signer = signerOf(t);
    admin = t.node.context.contributors.issueAdminToken().token;
    await seedReleaseData(t);
    await buildRelease(t, 'text', admin);
    await buildRelease(t, 'speech', admin);
    const changed = await t.api.request('PUT', '/admin/datasets/sw-text/access', { json: { accessClass: 'gated' }, token: admin });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    pushed = await startTestIndex();
    harvested = await startTestIndex({ harvest: { timeoutMs: 2000 } });
    const registered = registration(signer);
    for (const ix of [pushed, harvested]) expect((await ix.api.post('/nodes', registered)).status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await pushed?.stop();
    await harvested?.stop();
    await t?.stop();
  });

  it('takes the node’s manifests and notices through intake; the state equals a push’s', async () => {
    await push(pushed);
    const [report] = await harvest(harvested);
    expect(report).toMatchObject({ node: signer.identity.did, status: 'harvested', fetched: 3, new: 3, unchanged: 0, refused: [], error: null });
    expect(report!.cursor).toBeGreaterThan(0);
    const did = signer.identity.did;
    const a = await stateOf(pushed.index.context.store, did);
    const b = await stateOf(harvested.index.context.store, did);
    expect(b).toEqual(a);
    expect(b.datasets.find((d) => d.datasetId === 'sw-text')!.accessClass).toBe('gated');
    // Search sees the harvested manifests.
    expect((await harvested.api.get('/manifests?lang=sw')).body.totals.datasets).toBe(2);
  });

  it('changes nothing when repeated, and follows the notice feed from its cursor', async () => {
    const before = await harvested.state();
    const [again] = await harvest(harvested);
    expect(again).toMatchObject({ fetched: 2, new: 0, unchanged: 2, refused: [] });
    expect(await harvested.state()).toEqual(before);
    // A push repeated changes nothing either.
    const pushedBefore = await pushed.state();
    pushedNotices = 0;
    await push(pushed);
    expect(await pushed.state()).toEqual(pushedBefore);

    // The community retracts a dataset: the next harvest reads only the new notice.
    const retracted = await t.api.post('/admin/datasets/sw-speech/retraction', { reason: 'The community asked.' }, admin);
    expect(retracted.status, JSON.stringify(retracted.body)).toBe(201);
    await push(pushed);
    const [after] = await harvest(harvested);
    expect(after!.new).toBe(1);
    // The retracted dataset is no longer listed by the node.
    expect(after).toMatchObject({ fetched: 2, refused: [] });
    const did = signer.identity.did;
    expect(await stateOf(harvested.index.context.store, did)).toEqual(await stateOf(pushed.index.context.store, did));
    expect((await harvested.index.context.store.dataset(did, 'sw-speech'))!.retracted).not.toBeNull();
    expect((await harvested.api.get('/manifests?lang=sw')).body.manifests.map((m: { dataset: string }) => m.dataset)).toEqual(['sw-text']);
  });

  it('reports a node it cannot reach, and goes on with the others', async () => {
    // A second node registers, then goes away.
    const gone = await startTestNode({ languages: ['yo'] });
    const goneSigner = signerOf(gone);
    expect((await harvested.api.post('/nodes', registration(goneSigner))).status).toBe(200);
    await gone.stop();
    const before = await harvested.state();
    const reports = await harvest(harvested);
    const byNode = new Map(reports.map((r) => [r.node, r]));
    expect(byNode.get(goneSigner.identity.did)).toMatchObject({ status: 'unreachable', error: { code: 'NodeUnreachable' }, new: 0 });
    expect(byNode.get(signer.identity.did)).toMatchObject({ status: 'harvested', new: 0 });
    expect(await harvested.state()).toEqual(before);
  });

  it('gives up on a node that never finishes its answer, within harvest.timeoutMs', async () => {
    // A "node" that never finishes its answer: the harvest gives up after harvest.timeoutMs.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"datasets": [');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const slow = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { store, harvester } = harvested.index.context;
    await store.transaction(async (tx) => {
      const node = (await tx.node(signer.identity.did))!;
      await tx.putNode({ ...node, did: 'did:web:slow.example', url: slow });
    });
    const started = Date.now();
    const [report] = await harvester.harvest('did:web:slow.example');
    server.closeAllConnections();
    server.close();
    expect(report).toMatchObject({ status: 'unreachable', error: { code: 'NodeUnreachable' } });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('runs as `tributary index harvest`, with a table or JSON', async () => {
    // Asynchronously: the node answering the command lives in this process.
    const run = (args: string[]) => runCliAsync(['index', 'harvest', '--dir', harvested.dir, ...args]);
    const json = await run(['--node', signer.identity.did, '--json']);
    expect(json.status, json.stderr + json.stdout).toBe(0);
    expect(JSON.parse(json.stdout).nodes).toEqual([expect.objectContaining({ node: signer.identity.did, status: 'harvested', new: 0, unchanged: 1 })]);
    const table = await run([]);
    // A node that cannot be reached is reported, and the exit status says so.
    expect(table.status).toBe(1);
    expect(table.stdout).toMatch(/node\s+│?\s*status/);
    expect(table.stdout).toContain('unreachable');
  }, 120_000);
});
