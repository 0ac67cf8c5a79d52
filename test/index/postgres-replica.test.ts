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
import { craftedManifest, registration, signerOf, startIndexProcess, type IndexProcess, type Signer } from './helpers.js';

const skip = postgresSkipReason();
if (skip) console.log(`Skipping the index on a PostgreSQL read replica: ${skip}`);

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

  beforeAll(async () => {
    t = await startTestNode();
    signer = signerOf(t);
    database = await startReplicatedPostgres();
    dir = mkdtempSync(join(tmpdir(), 'tributary-index-replica-'));
    const init = runCli(['index', 'init', '--dir', dir, '--name', 'Replicated index', '--url', 'http://127.0.0.1:8090', '--json']);
    expect(init.status, init.stderr).toBe(0);
    primaryOnly = await startIndexProcess(dir, { args: ['--database', database.primaryUrl] });
    const replicaUrl = database.replicaUrl.replace('postgres://postgres@', 'postgres://postgres:not-to-be-logged@');
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
});
