import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signKeyRotation } from '../../pipelines/signing/key-rotation.js';
import { keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import { rotateNodeKey } from '../../server/node/init.js';
import { runCli } from '../helpers/cli.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import {
  craftedManifest,
  heartbeat,
  registration,
  signerOf,
  startRestartableNode,
  startTestIndex,
  type RestartableNode,
  type TestIndex,
} from './helpers.js';

const events = async (ix: TestIndex, cursor = 0) =>
  (await ix.api.get(`/feed?cursor=${cursor}&limit=1000`)).body.events.map((e: { event: { type: string } }) => e.event);

describe('registration: keys pinned on first use, changed only by the rotation key', () => {
  let ix: TestIndex;
  const nodes: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    ix = await startTestIndex();
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop();
  });
  afterAll(() => ix.stop());

  it('updates a node’s name and languages from a newer registration, and refuses an older one', async () => {
    const t = await startTestNode();
    nodes.push(t);
    const signer = signerOf(t);
    expect((await ix.api.post('/nodes', registration(signer, { issued: '2027-01-01T00:00:00.000Z' }))).body.status).toBe('registered');
    const renamed = await ix.api.post('/nodes', registration({ ...signer, name: 'Jumuiya', languages: ['sw'] }, { issued: '2027-01-02T00:00:00.000Z' }));
    expect(renamed.body.status).toBe('updated');
    expect((await events(ix, renamed.body.logIndices[0]))[0]).toMatchObject({ type: 'node.registered', name: 'Jumuiya', languages: ['sw'] });
    const before = await ix.state();
    const stale = await ix.api.post('/nodes', registration(signer, { issued: '2027-01-01T12:00:00.000Z' }));
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('RegistrationStale');
    expect(await ix.state()).toEqual(before);
    expect((await ix.index.context.store.node(signer.identity.did))?.name).toBe('Jumuiya');
  });

  it('follows a key rotation signed by the pinned rotation key; what the old key signed still verifies', async () => {
    const n: RestartableNode = await startRestartableNode();
    nodes.push(n);
    const before = signerOf(n);
    expect((await ix.api.post('/nodes', registration(before))).body.status).toBe('registered');
    const signedBefore = craftedManifest(before, (r) => (r.datasetId = 'before-rotation'));

    const rotated = rotateNodeKey(n.dir);
    await n.restart();
    const after = signerOf(n);
    expect(after.identity.keyId).toBe(rotated.newKeyId);
    const answer = await ix.api.post('/nodes', registration(after));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.status).toBe('key-rotated');
    expect((await events(ix, answer.body.logIndices[0]))[0]).toMatchObject({
      type: 'node.key-rotated',
      node: after.identity.did,
      sequence: 1,
      previousKey: { id: before.identity.keyId },
      newKey: { id: after.identity.keyId },
    });
    const pinned = await ix.index.context.store.node(after.identity.did);
    expect(pinned).toMatchObject({ signingKey: { id: after.identity.keyId }, rotationSequence: 1 });

    // Signed before the rotation, delivered after: the chain vouches for the old key.
    expect((await ix.api.post('/manifests', signedBefore.envelope)).body.status).toBe('published');
    expect((await ix.api.post('/manifests', craftedManifest(after, (r) => (r.datasetId = 'after-rotation')).envelope)).body.status).toBe('published');
    // The registration from before the rotation is history now (its node's own document says so first).
    const old = await ix.api.post('/nodes', registration(before));
    expect(old.body.error.code).toBe('WellKnownMismatch');
    expect((await ix.index.context.store.node(after.identity.did))?.signingKey.id).toBe(after.identity.keyId);
  });

  it('registers a did:key node by the key it names, and refuses a did:key that names another key', async () => {
    const t = await startTestNode({ url: undefined });
    nodes.push(t);
    const signer = signerOf(t);
    expect(signer.identity.did).toMatch(/^did:key:z/);
    const before = await ix.state();
    const other = `did:key:${publicKeyMultibase(generateKeyPairSync('ed25519').privateKey)}`;
    const forged = await ix.api.post('/nodes', registration(signer, { node: other }));
    expect(forged.status).toBe(422);
    expect(forged.body.error.code).toBe('RegistrationDidMismatch');
    expect(await ix.state()).toEqual(before);
    expect((await ix.api.post('/nodes', registration(signer))).body.status).toBe('registered');
  });

  it('refuses a registration its node’s own document contradicts, or that it cannot read', async () => {
    const a = await startTestNode({ url: undefined });
    const b = await startTestNode({ url: undefined });
    nodes.push(a, b);
    const before = await ix.state();
    // A did:key node claiming to live at another node's address.
    const elsewhere = await ix.api.post('/nodes', registration({ ...signerOf(a), url: b.url }));
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.error.code).toBe('WellKnownMismatch');
    await b.stop();
    nodes.pop();
    const gone = await ix.api.post('/nodes', registration({ ...signerOf(a), url: b.url }));
    expect(gone.status).toBe(422);
    expect(gone.body.error.code).toBe('NodeUnreachable');
    expect(await ix.state()).toEqual(before);
  });

  it('suspends a node from the CLI while the index runs: node.suspended, then its intake is refused', async () => {
    const t = await startTestNode();
    nodes.push(t);
    const signer = signerOf(t);
    await ix.api.post('/nodes', registration(signer));
    // The running index has searched (so holds the node's dataset in its catalogue) before
    // another process suspends the node: its next search must leave the dataset out.
    expect((await ix.api.post('/manifests', craftedManifest(signer).envelope)).status).toBe(200);
    const found = async () => (await ix.api.get(`/manifests?node=${encodeURIComponent(signer.identity.did)}`)).body as { manifests: unknown[]; totals: { datasets: number } };
    expect((await found()).totals.datasets).toBe(1);
    const cli = runCli(['index', 'suspend', signer.identity.did, '--reason', 'publishes spam', '--dir', ix.dir, '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    const outcome = JSON.parse(cli.stdout);
    expect(outcome).toMatchObject({ node: signer.identity.did, status: 'suspended' });
    expect((await events(ix, outcome.logIndices[0]))[0]).toMatchObject({ type: 'node.suspended', node: signer.identity.did, reason: 'publishes spam' });
    expect(await found()).toMatchObject({ manifests: [], totals: { datasets: 0 } });

    const before = await ix.state();
    for (const [path, body] of [
      ['/manifests', craftedManifest(signer).envelope],
      ['/heartbeats', heartbeat(signer, 1)],
      ['/nodes', registration(signer, { name: 'Renamed' })],
    ] as const) {
      const refused = await ix.api.post(path, body);
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code, path).toBe('NodeSuspended');
    }
    expect(await ix.state()).toEqual(before);
    expect(runCli(['index', 'suspend', 'did:web:nobody.example', '--reason', 'x', '--dir', ix.dir]).status).toBe(1);
  });
});

describe('staleness: a node not heard from within the window gets one node.stale event', () => {
  let ix: TestIndex;
  let t: TestNode;

  beforeAll(async () => {
    ix = await startTestIndex({ nodes: { staleAfterMinutes: 30 } });
    t = await startTestNode();
  });
  afterAll(async () => {
    await ix.stop();
    await t.stop();
  });

  it('marks a quiet node stale once, and anything accepted from it makes it fresh again', async () => {
    const signer = signerOf(t);
    await ix.api.post('/nodes', registration(signer));
    const { registry, store } = ix.index.context;
    const soon = new Date(Date.now() + 29 * 60_000);
    const later = new Date(Date.now() + 31 * 60_000);
    expect(await registry.markStale(soon)).toEqual([]);
    expect(await registry.markStale(later)).toEqual([signer.identity.did]);
    expect(await registry.markStale(later)).toEqual([]);
    const stale = (await events(ix)).filter((e: { type: string }) => e.type === 'node.stale');
    expect(stale).toEqual([expect.objectContaining({ node: signer.identity.did, at: later.toISOString() })]);
    expect((await store.node(signer.identity.did))?.stale).toBe(true);

    expect((await ix.api.post('/heartbeats', heartbeat(signer, 1))).status).toBe(200);
    expect((await store.node(signer.identity.did))?.stale).toBe(false);
    expect(await registry.markStale(new Date(Date.now() + 61 * 60_000))).toEqual([signer.identity.did]);
    expect((await events(ix)).filter((e: { type: string }) => e.type === 'node.stale')).toHaveLength(2);
  });
});

describe('the running index looks for stale nodes by itself', () => {
  let ix: TestIndex;
  let t: TestNode;
  let offset = 0;

  beforeAll(async () => {
    ix = await startTestIndex({ nodes: { staleAfterMinutes: 30, staleCheckSeconds: 1 } }, { now: () => new Date(Date.now() + offset), staleChecks: true });
    t = await startTestNode();
  });
  afterAll(async () => {
    await ix.stop();
    await t.stop();
  });

  it('appends node.stale within a check interval of the window passing', async () => {
    const signer = signerOf(t);
    await ix.api.post('/nodes', registration(signer));
    offset = 31 * 60_000;
    let stale: unknown[] = [];
    for (let tries = 0; tries < 300 && stale.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stale = (await events(ix)).filter((e: { type: string }) => e.type === 'node.stale');
    }
    expect(stale).toEqual([expect.objectContaining({ type: 'node.stale', node: signer.identity.did })]);
  });
});

describe('a node whose signing key changed without its rotation key', () => {
  let ix: TestIndex;
  let t: TestNode;

  beforeAll(async () => {
    // Whoever took over the node's host could serve any document there: the pinned keys must
    // hold on their own, so the well-known check is off here.
    ix = await startTestIndex({ nodes: { confirmWellKnown: false } });
    t = await startTestNode();
  });
  afterAll(async () => {
    await ix.stop();
    await t.stop();
  });

  it('is refused, whatever it shows instead of a statement by the pinned rotation key, and nothing changes', async () => {
    const signer = signerOf(t);
    await ix.api.post('/nodes', registration(signer));
    const before = await ix.state();
    const oldSigning = signer.identity.signingKey;
    const fresh = generateKeyPairSync('ed25519').privateKey;
    const signWithFresh = { key: fresh, keyid: keyId(fresh) };
    const published = (key: KeyObject, use: 'signing' | 'rotation') => ({ id: keyId(key), type: 'Ed25519VerificationKey2020', use, publicKeyMultibase: publicKeyMultibase(key) });
    const rotation = signer.identity.publicKeys.find((k) => k.use === 'rotation')!;

    // A new signing key and no statement at all.
    const bare = await ix.api.post('/nodes', registration(signer, { publicKeys: [published(fresh, 'signing'), rotation] }, signWithFresh));
    expect(bare.status).toBe(409);
    expect(bare.body.error.code).toBe('KeyChangeRefused');

    // A statement signed by another rotation key, which the registration names as its own.
    const other = generateKeyPairSync('ed25519').privateKey;
    const byOther = signKeyRotation({ did: signer.identity.did, rotationKey: other, previousKey: oldSigning, newKey: fresh, rotatedAt: new Date(), previous: null });
    const swapped = await ix.api.post(
      '/nodes',
      registration(signer, { publicKeys: [published(fresh, 'signing'), published(other, 'rotation')], keyRotations: [byOther] }, signWithFresh),
    );
    expect(swapped.status).toBe(409);
    expect(swapped.body.error.code).toBe('KeyChangeRefused');

    // A statement signed by the old signing key, beside the real rotation key: it proves nothing.
    const byOldKey = signKeyRotation({ did: signer.identity.did, rotationKey: oldSigning, previousKey: oldSigning, newKey: fresh, rotatedAt: new Date(), previous: null });
    const unsigned = await ix.api.post('/nodes', registration(signer, { publicKeys: [published(fresh, 'signing'), rotation], keyRotations: [byOldKey] }, signWithFresh));
    expect(unsigned.status).toBe(422);
    expect(unsigned.body.error.code).toBe('RegistrationInvalid');

    expect(await ix.state()).toEqual(before);
    expect((await ix.index.context.store.node(signer.identity.did))?.signingKey.id).toBe(signer.identity.keyId);
    // What the new key signs is not the node's.
    const refused = await ix.api.post('/manifests', craftedManifest(signer, () => {}, { key: signWithFresh }).envelope);
    expect(refused.body.error.code).toBe('ManifestSignerUnknown');
  });
});
