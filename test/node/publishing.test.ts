import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNode } from '../../server/node/init.js';
import { killHard, runCli, runCliAsync, startNodeProcess, type NodeProcess } from '../helpers/cli.js';
import { apiClient, joinWithConsent, startTestNode, TEST_CONFIG, type ApiClient, type TestNode } from '../helpers/node.js';
import { seedReleaseData, type ReleaseData } from '../helpers/release-data.js';
import { buildRelease, startIndexProcess, startTestIndex, type IndexProcess, type TestIndex } from '../index/helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

type FeedEvent = { index: number; event: Record<string, unknown> };

async function readFeed(url: string): Promise<FeedEvent[]> {
  const api = apiClient(url + '/api/v1');
  const events: FeedEvent[] = [];
  for (let cursor = 0; ; ) {
    const page = (await api.get(`/feed?cursor=${cursor}&limit=100`)).body;
    if (page.events.length === 0) return events;
    events.push(...page.events);
    cursor = page.next;
  }
}

const types = (events: FeedEvent[]) => events.map((e) => e.event.type);

/** Runs `release publish` in its own process while this one serves the node and the index. */
async function publish(dir: string, index: string) {
  const run = await runCliAsync(['release', 'publish', '--dir', dir, '--index', index, '--json']);
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout).indexes[0] as { registered: boolean; manifests: number; notices: number; refused: unknown[]; heartbeat: string };
}

describe('tributary release publish', () => {
  let t: TestNode;
  let ix: TestIndex;
  let admin: string;
  let data: ReleaseData;

  beforeAll(async () => {
    // Rebuilds after withdrawals are held off: each test decides what the node has to publish.
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 86_400 } });
    ix = await startTestIndex();
    admin = t.node.context.contributors.issueAdminToken().token;
    data = await seedReleaseData(t);
    await buildRelease(t, 'text', admin);
  }, 120_000);
  afterAll(async () => {
    await ix?.stop();
    await t?.stop();
  });

  it('registers the node and pushes its manifest; a second run has nothing to send', async () => {
    expect(await publish(t.dir, ix.url)).toMatchObject({ registered: true, manifests: 1, notices: 0, refused: [], heartbeat: 'sent' });
    const events = await readFeed(ix.url);
    expect(types(events)).toEqual(['node.registered', 'manifest.published']);
    expect(events[1]!.event).toMatchObject({ node: t.node.context.identity.did, dataset: 'sw-text', version: '1.0.0' });
    expect(await publish(t.dir, ix.url)).toMatchObject({ registered: false, manifests: 0, notices: 0 });
    expect(await readFeed(ix.url)).toHaveLength(2);
  });

  it('pushes the withdrawal notice a volunteer’s withdrawal made, and only that', async () => {
    const leaving = data.speakers[0]!;
    expect((await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBe(200);
    expect(await publish(t.dir, ix.url)).toMatchObject({ registered: false, manifests: 0, notices: 1 });
    const withdrawal = (await readFeed(ix.url)).at(-1)!.event;
    expect(withdrawal).toMatchObject({ type: 'withdrawal', dataset: 'sw-text', version: '1.0.0', reason: 'consent-withdrawn' });
    expect(withdrawal.records).toBe(data.text.filter((s) => s.speaker === leaving.id).length);
  });

  it('sends a retraction and the release that undoes it in the order they were made, so the index ends where the node is', async () => {
    expect(runCli(['release', 'retract', 'sw-text', '--dir', t.dir, '--reason', 'The elders asked for a review.']).status).toBe(0);
    const rebuilt = runCli(['release', 'build', '--dir', t.dir, '--lang', 'sw', '--modality', 'text', '--unretract', '--json']);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    // Made in that order: a retraction, then a manifest published after it.
    expect(await publish(t.dir, ix.url)).toMatchObject({ manifests: 1, notices: 1, refused: [] });
    const events = (await readFeed(ix.url)).slice(-3).map((e) => e.event);
    expect(events.map((e) => e.type)).toEqual(['dataset.retracted', 'manifest.published', 'manifest.superseded']);
    expect(events[1]).toMatchObject({ dataset: 'sw-text', version: '2.0.0' });
  });

  it('refuses without a URL to publish to, or with one that is not http(s), in one line', () => {
    // Nothing here reaches a server: the synchronous runner is fine.
    const none = runCli(['release', 'publish', '--dir', t.dir]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^tributary: Name an index: --index/);
    const bad = runCli(['release', 'publish', '--dir', t.dir, '--index', 'ftp://index.example.org']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/must be an http\(s\) URL/);
  });
});

/** Three validated Swahili texts by one volunteer: enough for a text release. */
async function contributeTexts(api: ApiClient): Promise<void> {
  const writer = await joinWithConsent(api);
  const validators = [await joinWithConsent(api), await joinWithConsent(api)];
  for (const text of ['Mto huu unatoka milimani na kuelekea baharini mbali sana.', 'Kesho tutasherehekea harusi ya binamu yangu kijijini.', 'Ndege wengi huhamia hapa wakati wa baridi kila mwaka.']) {
    const written = await api.post('/samples/text', { language: 'sw', text }, writer.token);
    expect(written.status).toBe(201);
    for (const v of validators) expect((await api.post(`/samples/${written.body.id}/votes`, { value: 'up' }, v.token)).status).toBe(201);
  }
}


interface OutboxRow {
  registered_key_id: string | null;
  manifests_sent: number;
  notices_sent: number;
  failures: number;
  last_error: string | null;
  refused: number;
}

/** The node's outbox row for an index, read from its database as another process would. */
function outbox(dir: string, indexUrl: string): OutboxRow | undefined {
  const db = new Database(join(dir, 'node.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM index_deliveries WHERE index_url = ?').get(indexUrl) as OutboxRow | undefined;
  } finally {
    db.close();
  }
}

/** Reads the feed until `done` holds; the node's outbox polls every few seconds. */
function feedUntil(url: string, done: (events: FeedEvent[]) => boolean, timeoutMs = 60_000): Promise<FeedEvent[]> {
  return until(`the feed at ${url}`, async () => {
    const events = await readFeed(url);
    return done(events) ? events : undefined;
  }, timeoutMs);
}

describe('a node whose index is unreachable keeps its outbox across a restart', () => {
  let nodeDir: string;
  let indexDir: string;
  let node: NodeProcess | undefined;
  let index: IndexProcess | undefined;

  beforeAll(() => {
    nodeDir = mkdtempSync(join(tmpdir(), 'tributary-publishing-'));
    indexDir = mkdtempSync(join(tmpdir(), 'tributary-publishing-index-'));
  });
  afterAll(async () => {
    if (node) await killHard(node.child);
    if (index) await killHard(index.child);
    rmSync(nodeDir, { recursive: true, force: true });
    rmSync(indexDir, { recursive: true, force: true });
  });

  it('delivers everything it made while the index was down once the index is up, after the node restarted', async () => {
    const port = await freePort();
    const indexUrl = `http://127.0.0.1:${port}`;
    const init = runCli(['index', 'init', '--dir', indexDir, '--name', 'Late index', '--url', indexUrl]);
    expect(init.status, init.stderr).toBe(0);
    const nodePort = await freePort();
    initNode(nodeDir, { ...TEST_CONFIG, languages: ['sw'], url: `http://127.0.0.1:${nodePort}`, indexes: [indexUrl], heartbeatMinutes: 1 });

    // The node serves, makes a release and a retraction, and tries the index, which is down.
    node = await startNodeProcess(nodeDir, [], { TRIBUTARY_PORT: String(nodePort) });
    const api = apiClient(node.url + '/api/v1');
    // It says where it publishes.
    expect(((await (await fetch(`${node.url}/.well-known/tributary.json`)).json()) as { indexes: string[] }).indexes).toEqual([indexUrl]);
    const admin = runCli(['admin', 'token', '--dir', nodeDir]).stdout.trim();
    await contributeTexts(api);
    expect((await api.post('/admin/releases', { language: 'sw', modality: 'text' }, admin)).status).toBe(201);
    expect((await api.put('/admin/datasets/sw-text/access', { accessClass: 'gated' }, admin)).status).toBe(200);
    // The card tells trainers where to find it: this node's index.
    expect(await (await fetch(`${node.url}/api/v1/datasets/sw-text/card`)).text()).toContain(`--index ${indexUrl}`);
    // A pass by hand to a dead address fails in one line.
    const dead = runCli(['release', 'publish', '--dir', nodeDir, '--index', 'http://127.0.0.1:1', '--json']);
    expect(dead.status).toBe(1);
    expect(dead.stderr).toMatch(/^tributary: /);
    // The serving node tried its index, failed, and kept what it has to send: then it dies.
    const delivery = await until('a failed delivery in the outbox', () => {
      const row = outbox(nodeDir, indexUrl);
      return row && row.failures >= 1 ? row : undefined;
    }, 60_000);
    expect(delivery).toMatchObject({ manifests_sent: 0, notices_sent: 0, registered_key_id: null });
    await killHard(node.child);
    node = undefined;

    // Restarted, with the index up: everything arrives, in order, once.
    index = await startIndexProcess(indexDir, { env: { TRIBUTARY_PORT: String(port) } });
    node = await startNodeProcess(nodeDir, [], { TRIBUTARY_PORT: String(nodePort) });
    const events = await feedUntil(index.url, (e) => types(e).includes('dataset.access-changed'));
    expect(types(events)).toEqual(['node.registered', 'manifest.published', 'dataset.access-changed']);
    const sent = await until('the notice sent', () => {
      const row = outbox(nodeDir, indexUrl);
      return row && row.notices_sent === 1 ? row : undefined;
    }, 60_000);
    expect(sent).toMatchObject({ failures: 0, last_error: null, refused: 0 });
  }, 180_000);
});
