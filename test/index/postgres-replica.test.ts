import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { openCheckpoint } from '../../pipelines/transparency/checkpoint.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { verifyInclusion } from '../../pipelines/transparency/verify.js';
import { runCli } from '../helpers/cli.js';
import { apiClient, startTestNode, type TestNode } from '../helpers/node.js';
import { postgresSkipReason, startReplicatedPostgres, type ReplicatedPostgres } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';
import { craftedManifest, registration, signerOf, startIndexProcess, type IndexProcess, type Signer } from './helpers.js';

const skip = postgresSkipReason();
if (skip) console.log(`Skipping the index on a PostgreSQL read replica: ${skip}`);

interface HealthBody {
  status: string;
  log: { size: number };
  replica: { entries: number | null; seconds: number | null; serving: 'replica' | 'primary' } | null;
}

const health = async (index: IndexProcess) => (await (await fetch(`${index.url}/api/v1/health`)).json()) as HealthBody;

interface FeedBody {
  events: Array<{ index: number; event: { type: string; manifestSha256?: string; envelopeSha256?: string } }>;
  size: number;
}

describe.skipIf(skip !== undefined)('an index reading from a PostgreSQL read replica', () => {
  let t: TestNode;
  let signer: Signer;
  let dir: string;
  let database: ReplicatedPostgres;
  /** Reads from the replica. */
  let replicaReader: IndexProcess;
  /** On the primary alone. */
  let primaryOnly: IndexProcess;
  let replicaUrl: string;

  beforeAll(async () => {
    t = await startTestNode();
    signer = signerOf(t);
    database = await startReplicatedPostgres();
    dir = mkdtempSync(join(tmpdir(), 'tributary-index-replica-'));
    const init = runCli(['index', 'init', '--dir', dir, '--name', 'Replicated index', '--url', 'http://127.0.0.1:8090', '--json']);
    expect(init.status, init.stderr).toBe(0);
    primaryOnly = await startIndexProcess(dir, { args: ['--database', database.primaryUrl] });
    replicaUrl = database.replicaUrl.replace('postgres://postgres@', 'postgres://postgres:not-to-be-logged@');
    replicaReader = await startIndexProcess(dir, { args: ['--database', database.primaryUrl, '--read-database', replicaUrl] });
  }, 120_000);
  afterAll(async () => {
    for (const index of [replicaReader, primaryOnly]) index?.child.kill('SIGTERM');
    await t?.stop();
    await database?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says where it reads from, without the password', () => {
    expect(replicaReader.output()).toMatch(/reads from the replica postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\//);
    expect(replicaReader.output()).not.toContain('not-to-be-logged');
  });

  it('serves the feed, checkpoints and search as the replica has them, and proofs and envelopes of newer entries from the primary', async () => {
    const reader = apiClient(replicaReader.url + '/api/v1');
    const primary = apiClient(primaryOnly.url + '/api/v1');
    // Writes go to the primary whichever process takes them.
    expect((await reader.post('/nodes', registration(signer))).status).toBe(200);
    await database.caughtUp();
    const wellKnown = (await (await fetch(`${replicaReader.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    const verifier = { ...parseVerifierKey(wellKnown.logKey), origin: wellKnown.origin };
    const checkpoint = async (url: string) => openCheckpoint(await (await fetch(`${url}/api/v1/log/checkpoint`)).text(), verifier);
    expect((await checkpoint(replicaReader.url)).size).toBe(1);

    // The replica stops applying: what is committed from now on is on the primary only.
    await database.pauseReplay();
    const { envelope } = craftedManifest(signer, (r) => {
      r.datasetId = 'replicated-corpus';
      r.name = 'Replicated corpus';
    });
    const accepted = await reader.post('/manifests', envelope);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const { logIndex } = accepted.body as { logIndex: number };
    expect(logIndex).toBe(1);

    // The primary-only process sees the new entry at once.
    const primaryFeed = (await primary.get('/feed?cursor=0&limit=10')).body as FeedBody;
    expect(primaryFeed.size).toBe(2);
    const published = primaryFeed.events[1]!.event;
    expect(published.type).toBe('manifest.published');

    // The replica's reader serves the state before it: one state, complete up to the registration.
    const laggingFeed = (await reader.get('/feed?cursor=0&limit=10')).body as FeedBody;
    expect(laggingFeed.size).toBe(1);
    expect(laggingFeed.events.map((e) => e.event.type)).toEqual(['node.registered']);
    expect((await checkpoint(replicaReader.url)).size).toBe(1);
    expect(((await reader.get('/manifests?q=replicated')).body as { manifests: unknown[] }).manifests).toHaveLength(0);

    // The publisher, just told of entry 1, can have its proof and envelope at once: the primary has them.
    const inclusion = await reader.get(`/log/inclusion?index=${logIndex}&size=2`);
    expect(inclusion.status, JSON.stringify(inclusion.body)).toBe(200);
    const stored = await fetch(`${replicaReader.url}/api/v1/envelopes/${published.envelopeSha256}`);
    expect(stored.status).toBe(200);
    // A size neither has is still refused.
    expect((await reader.get(`/log/inclusion?index=${logIndex}&size=3`)).body).toMatchObject({ error: { code: 'InvalidTreeRequest' } });

    // The replica applies again and catches up: everything agrees, and the early proof holds.
    await database.resumeReplay();
    await database.caughtUp();
    const caughtUp = (await reader.get('/feed?cursor=0&limit=10')).body as FeedBody;
    expect(caughtUp).toEqual(primaryFeed);
    const head = await checkpoint(replicaReader.url);
    expect(head.size).toBe(2);
    expect(head.rootHash).toEqual((await checkpoint(primaryOnly.url)).rootHash);
    // The entry's leaf is the event's canonical JSON; the proof served early leads from it to this head.
    const proof = (inclusion.body as { proof: string[] }).proof.map((p) => new Uint8Array(Buffer.from(p, 'base64')));
    expect(verifyInclusion(hashLeaf(Buffer.from(canonicalJson(published), 'utf8')), 1, 2, proof, head.rootHash)).toEqual({ ok: true });
    expect(((await reader.get('/manifests?q=replicated')).body as { manifests: unknown[] }).manifests).toHaveLength(1);
  });

  // Last: it stops the replica.
  it('reads from the primary while the replica is more than --max-replica-lag behind or down, and says so at /health', async () => {
    expect(await health(primaryOnly)).toMatchObject({ status: 'ok', replica: null });
    const bounded = await startIndexProcess(dir, { args: ['--database', database.primaryUrl, '--read-database', replicaUrl, '--max-replica-lag', '1'] });
    try {
      const reader = apiClient(bounded.url + '/api/v1');
      await database.caughtUp();
      // /health reports the process's latest comparison (it makes one a second).
      await until('caught up, on the replica', async () => (await health(bounded)).replica?.entries === 0, 15_000);
      expect((await health(bounded)).replica).toEqual({ entries: 0, seconds: 0, serving: 'replica' });

      await database.pauseReplay();
      const { envelope } = craftedManifest(signer, (r) => {
        r.datasetId = 'lagging-corpus';
        r.name = 'Lagging corpus';
      });
      const accepted = await reader.post('/manifests', envelope);
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      const size = (accepted.body as { logIndex: number }).logIndex + 1;

      // Once the entry the replica lacks is more than a second old, the feed and search come from the primary.
      await until('on the primary', async () => (await health(bounded)).replica?.serving === 'primary', 15_000);
      const lagging = await health(bounded);
      expect(lagging).toMatchObject({ status: 'ok', log: { size }, replica: { entries: 1, serving: 'primary' } });
      // Reported to a tenth of a second: just over the bound reads 1.
      expect(lagging.replica!.seconds).toBeGreaterThanOrEqual(1);
      expect(((await reader.get('/feed?cursor=0&limit=10')).body as FeedBody).size).toBe(size);
      expect(((await reader.get('/manifests?q=lagging')).body as { manifests: unknown[] }).manifests).toHaveLength(1);
      // The process with the default bound (30 s) still reads the replica as it is.
      expect(((await apiClient(replicaReader.url + '/api/v1').get('/feed?cursor=0&limit=10')).body as FeedBody).size).toBe(size - 1);

      // Caught up, it reads from the replica again.
      await database.resumeReplay();
      await database.caughtUp();
      await until('caught up, back on the replica', async () => (await health(bounded)).replica?.entries === 0, 15_000);
      expect((await health(bounded)).replica).toEqual({ entries: 0, seconds: 0, serving: 'replica' });

      // The replica goes down: the feed and search come from the primary, and /health says why.
      await database.stopReplica();
      await until('on the primary without the replica', async () => (await health(bounded)).replica?.entries === null, 15_000);
      expect((await health(bounded)).replica).toEqual({ entries: null, seconds: null, serving: 'primary' });
      expect(((await reader.get('/feed?cursor=0&limit=10')).body as FeedBody).size).toBe(size);
      expect(((await reader.get('/manifests?q=lagging')).body as { manifests: unknown[] }).manifests).toHaveLength(1);
    } finally {
      bounded.child.kill('SIGTERM');
    }
  });
});
