import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../pipelines/transparency/checkpoint.js';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { verifyConsistency } from '../../pipelines/transparency/verify.js';
import { runCli } from '../helpers/cli.js';
import { apiClient, startTestNode, type TestNode } from '../helpers/node.js';
import { postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { craftedManifest, registration, signerOf, startIndexProcess, type IndexProcess, type Signer } from './helpers.js';

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));


const skip = postgresSkipReason();
if (skip) console.log(`Skipping two index processes on one PostgreSQL: ${skip}`);

describe.skipIf(skip !== undefined)('two index processes on one PostgreSQL', () => {
  let t: TestNode;
  let signer: Signer;
  let dir: string;
  const indexes: IndexProcess[] = [];

  beforeAll(async () => {
    t = await startTestNode();
    signer = signerOf(t);
    dir = mkdtempSync(join(tmpdir(), 'tributary-index-pg-'));
    const init = runCli(['index', 'init', '--dir', dir, '--name', 'Shared index', '--url', 'http://127.0.0.1:8090', '--json']);
    expect(init.status, init.stderr).toBe(0);
    // A password in the URL (the test server trusts local connections and ignores it) must never be printed.
    const database = (await (await postgresServer()).createDatabase()).replace('postgres://postgres@', 'postgres://postgres:not-to-be-logged@');
    // One after the other: the second finds the schema the first migrated.
    indexes.push(await startIndexProcess(dir, { args: ['--database', database] }));
    indexes.push(await startIndexProcess(dir, { args: ['--database', database] }));
    for (const index of indexes) expect(index.output()).not.toContain('not-to-be-logged');
  });
  afterAll(async () => {
    for (const index of indexes) index.child.kill('SIGTERM');
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes manifests pushed to both at once into one feed, one log and one search', async () => {
    const [a, b] = indexes.map((index) => apiClient(index.url + '/api/v1'));
    expect((await a!.post('/nodes', registration(signer))).status).toBe(200);
    const wellKnown = (await (await fetch(`${indexes[1]!.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    const verifier = { ...parseVerifierKey(wellKnown.logKey), origin: wellKnown.origin };
    const checkpoint = async (url: string) => openCheckpoint(await (await fetch(`${url}/api/v1/log/checkpoint`)).text(), verifier);
    const before = await checkpoint(indexes[1]!.url);
    expect(before.size).toBe(1);

    const manifests = Array.from({ length: 20 }, (_, n) => craftedManifest(signer, (r) => {
      r.datasetId = `shared-${n}`;
      r.name = `Shared corpus ${n}`;
    }));
    const answers = await Promise.all(manifests.map(({ envelope }, n) => (n % 2 === 0 ? a! : b!).post('/manifests', envelope)));
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(200);

    // One feed: both processes serve the same events in the same order, each manifest once.
    const feeds = await Promise.all([a!, b!].map(async (api) => (await api.get('/feed?cursor=0&limit=100')).body.events as Array<{ index: number; event: Record<string, unknown> }>));
    expect(feeds[0]).toEqual(feeds[1]);
    expect(feeds[0]!.map((e) => e.index)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(new Set(feeds[0]!.filter((e) => e.event.type === 'manifest.published').map((e) => e.event.manifestSha256)).size).toBe(20);

    // One log: checkpoints from either process, and a consistency proof between them from the other.
    const afterA = await checkpoint(indexes[0]!.url);
    const afterB = await checkpoint(indexes[1]!.url);
    expect(afterA.size).toBe(21);
    expect(afterB.rootHash).toEqual(afterA.rootHash);
    for (const [api, from, to] of [[a!, before, afterB], [b!, before, afterA]] as const) {
      const proof = (await api.get(`/log/consistency?from=${from.size}&to=${to.size}`)).body.proof.map(b64);
      expect(verifyConsistency(from.size, to.size, from.rootHash, to.rootHash, proof)).toEqual({ ok: true });
    }

    // One search: the same answers from both, words included.
    for (const query of ['', '?q=shared', '?q=corpus%2013', '?limit=5']) {
      const [fromA, fromB] = await Promise.all([a!, b!].map(async (api) => (await api.get(`/manifests${query}`)).body));
      expect(fromA).toEqual(fromB);
    }
    const all = (await b!.get('/manifests?limit=100')).body as { totals: { datasets: number } };
    expect(all.totals.datasets).toBe(20);
    expect(((await a!.get('/manifests?q=corpus%2013')).body as { manifests: unknown[] }).manifests).toHaveLength(1);
  });
});
