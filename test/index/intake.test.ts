import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { verifyRelease } from '../../pipelines/release/verify/verify-release.js';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { pinFromWellKnown } from '../../pipelines/signing/key-rotation.js';
import { openCheckpoint } from '../../pipelines/transparency/checkpoint.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { verifyConsistency, verifyInclusion } from '../../pipelines/transparency/verify.js';
import { DATABASE_FILE } from '../../server/index/context.js';
import { sha256Hex } from '../../server/index/domain/envelope.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { seedReleaseData, validate, type ReleaseData } from '../helpers/release-data.js';
import {
  accessChange,
  buildRelease,
  craftedManifest,
  heartbeat,
  payloadOf,
  registration,
  retraction,
  signerOf,
  startTestIndex,
  type Signer,
  type TestIndex,
} from './helpers.js';

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

describe('an index takes what a real node signs, and logs every change', () => {
  let t: TestNode;
  let ix: TestIndex;
  let signer: Signer;
  let admin: string;
  let data: ReleaseData;
  let text: { datasetId: string; envelope: DsseEnvelope; text: string };
  let speech: { datasetId: string; envelope: DsseEnvelope; text: string };

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
    ix = await startTestIndex();
    signer = signerOf(t);
    admin = t.node.context.contributors.issueAdminToken().token;
    data = await seedReleaseData(t);
    text = await buildRelease(t, 'text', admin);
    speech = await buildRelease(t, 'speech', admin);
  }, 120_000);
  afterAll(async () => {
    await ix?.stop();
    await t?.stop();
  });

  it('registers the node after reading its well-known document, pinning its keys; the same registration again changes nothing', async () => {
    const first = await ix.api.post('/nodes', registration(signer));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ node: signer.identity.did, status: 'registered', logIndices: [0] });
    const feed = (await ix.api.get('/feed')).body;
    expect(feed.events[0]).toMatchObject({
      index: 0,
      event: {
        type: 'node.registered',
        node: signer.identity.did,
        url: t.url,
        signingKey: { id: signer.identity.keyId },
        rotationKey: { id: signer.identity.publicKeys[1]!.id },
      },
    });
    const again = await ix.api.post('/nodes', registration(signer));
    expect(again.body).toEqual({ node: signer.identity.did, status: 'unchanged', logIndices: [] });
    expect((await ix.api.get('/feed')).body.size).toBe(1);
  });

  it('takes the node’s manifests verbatim; a re-push (however spelt) is an idempotent answer', async () => {
    const pushed = await ix.api.request('POST', '/manifests', { raw: text.text });
    expect(pushed.status).toBe(200);
    const manifestSha = sha256Hex(b64(text.envelope.payload));
    expect(pushed.body).toEqual({ manifest: manifestSha, node: signer.identity.did, dataset: 'sw-text', version: '1.0.0', rev: 1, status: 'published', logIndex: 1 });
    // Pretty-printed instead of compact: the same envelope.
    const again = await ix.api.request('POST', '/manifests', { raw: JSON.stringify(text.envelope, null, 2) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'unchanged', logIndex: 1 });
    expect((await ix.api.post('/manifests', speech.envelope)).body).toMatchObject({ status: 'published', dataset: 'sw-speech', logIndex: 2 });
  });

  it('re-serves each envelope so that it still verifies, shards and all, against the node’s published keys', async () => {
    const event = (await ix.api.get('/feed?cursor=1&limit=1')).body.events[0].event;
    expect(event).toMatchObject({ type: 'manifest.published', dataset: 'sw-text', rev: 1, accessClass: 'open' });
    const served = await fetch(`${ix.url}/api/v1/envelopes/${event.envelopeSha256}`);
    const bytes = new Uint8Array(await served.arrayBuffer());
    expect(sha256Hex(bytes)).toBe(event.envelopeSha256);
    const pinned = pinFromWellKnown(await (await fetch(`${t.url}/.well-known/tributary.json`)).json());
    if (!pinned.ok) throw new Error(pinned.reason);
    const verdict = await verifyRelease(bytes, {
      trustedKeys: pinned.signingKeys,
      expectedDid: signer.identity.did,
      openShard: async function* (name: string) {
        const shard = (payloadOf(text.envelope).distribution as Array<{ name: string; contentUrl?: string }>).find((d) => d.name === name)!;
        yield new Uint8Array(await (await fetch(shard.contentUrl!)).arrayBuffer());
      } as never,
    });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect((await ix.api.get(`/envelopes/${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('keeps what search will filter on for each current manifest', async () => {
    const row = await ix.index.context.store.dataset(signer.identity.did, 'sw-speech');
    expect(row).toMatchObject({
      languageTag: 'sw',
      iso639_3: 'swa',
      modality: 'speech',
      license: 'CC-BY-4.0',
      accessClass: 'open',
      records: payloadOf(speech.envelope)['tributary:records'],
      speakers: 4,
      retracted: null,
    });
    expect(row!.hours).toBeGreaterThan(0);
    expect(row!.permittedActions).toContain('train');
    expect(row!.name).toBe(payloadOf(speech.envelope).name);
  });

  it('a newer release supersedes the current one: manifest.published, then manifest.superseded', async () => {
    const extra = await t.api.post('/samples/text', { language: 'sw', text: 'Leo tumepanda miti mingi kando ya mto wetu.' }, data.speakers[0]!.token);
    expect(extra.status).toBe(201);
    await validate(t, extra.body.id, data.validators);
    const next = await buildRelease(t, 'text', admin);
    expect(payloadOf(next.envelope)).toMatchObject({ version: '1.1.0', 'tributary:rev': 2 });
    const pushed = await ix.api.post('/manifests', next.envelope);
    expect(pushed.body).toMatchObject({ status: 'published', version: '1.1.0', rev: 2 });
    const events = (await ix.api.get(`/feed?cursor=${pushed.body.logIndex}`)).body.events.map((e: { event: unknown }) => e.event);
    expect(events).toMatchObject([
      { type: 'manifest.published', dataset: 'sw-text', version: '1.1.0' },
      { type: 'manifest.superseded', dataset: 'sw-text', version: '1.0.0', manifestSha256: sha256Hex(b64(text.envelope.payload)), supersededBy: pushed.body.manifest },
    ]);
    expect((await ix.index.context.store.dataset(signer.identity.did, 'sw-text'))?.version).toBe('1.1.0');
    text = next;
  });

  it('takes the node’s withdrawal notices, which name shards of releases it holds', async () => {
    const leaving = data.speakers[1]!;
    expect((await t.api.delete('/me', leaving.token)).status).toBe(200);
    const notices = (await t.api.get('/withdrawals?since=0')).body.notices as Array<{ envelope: DsseEnvelope }>;
    expect(notices.length).toBeGreaterThanOrEqual(2);
    for (const { envelope } of notices) {
      const pushed = await ix.api.post('/notices', envelope);
      expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
      expect(pushed.body).toMatchObject({ kind: 'withdrawal', status: 'accepted' });
      const event = (await ix.api.get(`/feed?cursor=${pushed.body.logIndex}&limit=1`)).body.events[0].event;
      const notice = payloadOf(envelope);
      expect(event).toMatchObject({ type: 'withdrawal', dataset: notice.dataset, notice: notice.id, records: (notice.records as string[]).length, shards: notice.shards });
      expect((await ix.api.post('/notices', envelope)).body).toMatchObject({ status: 'unchanged', logIndex: pushed.body.logIndex });
    }
  });

  it('changes a dataset’s access class and retracts a dataset by the community’s signed notices', async () => {
    const gated = await ix.api.post('/notices', accessChange(signer, 'sw-speech', 'gated'));
    expect(gated.body).toMatchObject({ kind: 'access-change', status: 'accepted' });
    expect((await ix.index.context.store.dataset(signer.identity.did, 'sw-speech'))?.accessClass).toBe('gated');

    const notice = retraction(signer, 'sw-speech');
    const retracted = await ix.api.post('/notices', notice);
    expect(retracted.body).toMatchObject({ kind: 'retraction', status: 'accepted' });
    const events = (await ix.api.get(`/feed?cursor=${gated.body.logIndex}`)).body.events.map((e: { event: unknown }) => e.event);
    expect(events).toMatchObject([
      { type: 'dataset.access-changed', dataset: 'sw-speech', accessClass: 'gated' },
      { type: 'dataset.retracted', dataset: 'sw-speech', notice: payloadOf(notice).id },
    ]);
    expect((await ix.index.context.store.dataset(signer.identity.did, 'sw-speech'))?.retracted).not.toBeNull();
    // A tombstone: no manifest made before it, no access change, and a second retraction changes nothing.
    const before = await ix.state();
    const madeBefore = craftedManifest(
      signer,
      (r) => {
        r.datasetId = 'sw-speech';
        r.rev = 99;
        r.published = new Date(Date.now() - 3_600_000).toISOString();
      },
      { modality: 'speech' },
    );
    expect((await ix.api.post('/manifests', madeBefore.envelope)).body.error.code).toBe('DatasetRetracted');
    expect((await ix.api.post('/notices', accessChange(signer, 'sw-speech', 'open'))).body.error.code).toBe('DatasetRetracted');
    expect((await ix.api.post('/notices', retraction(signer, 'sw-speech'))).body).toMatchObject({ status: 'unchanged', logIndex: null });
    // The manifest it holds, sent again (an outbox retrying), is only acknowledged.
    expect((await ix.api.post('/manifests', speech.envelope)).body.status).toBe('unchanged');
    expect(await ix.state()).toEqual(before);

    // The community publishes it again (node: release build --unretract): a release made after the retraction.
    const republished = craftedManifest(
      signer,
      (r) => {
        r.datasetId = 'sw-speech';
        r.rev = 100;
        r.published = new Date(Date.now() + 1000).toISOString();
      },
      { modality: 'speech' },
    );
    expect((await ix.api.post('/manifests', republished.envelope)).body).toMatchObject({ status: 'published', rev: 100 });
    expect((await ix.index.context.store.dataset(signer.identity.did, 'sw-speech'))?.retracted).toBeNull();
  });

  it('takes heartbeats in sequence and says which listed datasets it lacks', async () => {
    const held = { id: 'sw-text', version: '1.1.0', manifestSha256: sha256Hex(b64(text.envelope.payload)) };
    const unknown = { id: 'sw-other', version: '1.0.0', manifestSha256: 'f'.repeat(64) };
    const first = await ix.api.post('/heartbeats', heartbeat(signer, 1, { datasets: [held, unknown] }));
    expect(first.body).toEqual({ node: signer.identity.did, sequence: 1, missing: [unknown] });
    const node = await ix.index.context.store.node(signer.identity.did);
    expect(node?.heartbeat).toMatchObject({ sequence: 1, datasets: [held, unknown] });
    expect((await ix.api.post('/heartbeats', heartbeat(signer, 5))).body).toMatchObject({ sequence: 5, missing: [] });
  });

  it('serves the feed as a Merkle log: every event is included under a signed checkpoint, and later checkpoints extend earlier ones', async () => {
    const wellKnown = (await (await fetch(`${ix.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    expect(wellKnown).toMatchObject({ type: 'tributary-index', name: 'Test index', url: ix.url, origin: ix.index.context.config.origin });
    const verifier = { ...parseVerifierKey(wellKnown.logKey), origin: wellKnown.origin };

    const early = openCheckpoint(await (await fetch(`${ix.url}/api/v1/log/checkpoint`)).text(), verifier);
    await ix.api.post('/heartbeats', heartbeat(signer, 6));
    await ix.api.post('/notices', accessChange(signer, 'sw-text', 'on-request'));
    const checkpointResponse = await fetch(`${ix.url}/api/v1/log/checkpoint`);
    expect(checkpointResponse.headers.get('content-type')).toMatch(/^text\/plain/);
    const head = openCheckpoint(await checkpointResponse.text(), verifier);
    expect(head.size).toBe(early.size + 1);

    const events: Array<{ index: number; event: unknown }> = [];
    for (let cursor = 0; ; ) {
      const page = (await ix.api.get(`/feed?cursor=${cursor}&limit=3`)).body;
      events.push(...page.events);
      if (page.events.length === 0) break;
      cursor = page.next;
    }
    expect(events.map((e) => e.index)).toEqual(Array.from({ length: head.size }, (_, i) => i));
    for (const { index, event } of events) {
      const proof = (await ix.api.get(`/log/inclusion?index=${index}&size=${head.size}`)).body.proof.map(b64);
      expect(verifyInclusion(hashLeaf(Buffer.from(canonicalJson(event))), index, head.size, proof, head.rootHash)).toEqual({ ok: true });
    }
    const link = (await ix.api.get(`/log/consistency?from=${early.size}&to=${head.size}`)).body.proof.map(b64);
    expect(verifyConsistency(early.size, head.size, early.rootHash, head.rootHash, link)).toEqual({ ok: true });

    expect((await ix.api.get(`/log/inclusion?index=${head.size}&size=${head.size}`)).body.error.code).toBe('InvalidTreeRequest');
    expect((await ix.api.get(`/log/consistency?from=1&to=${head.size + 1}`)).body.error.code).toBe('InvalidTreeRequest');
    expect((await ix.api.get('/log/inclusion?index=-1&size=2')).body.error.code).toBe('InvalidRequest');

    // The size asked for a moment ago, refused then, is proved once the log reaches it.
    expect((await ix.api.post('/notices', accessChange(signer, 'sw-text', 'gated'))).status).toBe(200);
    const grown = (await ix.api.get(`/log/consistency?from=${head.size}&to=${head.size + 1}`)).body;
    expect(grown.proof.length).toBeGreaterThan(0);
  });

  it('publishes its API at /openapi.json', async () => {
    const document = (await (await fetch(`${ix.url}/openapi.json`)).json()) as { paths: object; servers: Array<{ url: string }> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/nodes', '/manifests', '/notices', '/heartbeats', '/feed', '/log/checkpoint', '/log/inclusion', '/log/consistency', '/envelopes/{sha256}']),
    );
    expect(document.servers[0]?.url).toBe(`${ix.url}/api/v1`);
  });

  // Last in this describe: it takes entries out of the log.
  it('answers a proof from a log put back to an older copy under the running index with the size it holds', async () => {
    const size = (await ix.state()).logSize;
    expect((await ix.api.get(`/log/inclusion?index=0&size=${size}`)).status).toBe(200);
    // An older copy (a replica rebuilt from an earlier backup, say) lacks the last entry.
    const db = new Database(join(ix.dir, DATABASE_FILE));
    db.prepare('DELETE FROM feed_events WHERE log_index >= ?').run(size - 1);
    db.prepare('DELETE FROM log_nodes WHERE (idx + 1) * (1 << level) >= ?').run(size);
    db.close();
    const answer = await ix.api.get(`/log/inclusion?index=0&size=${size}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'InvalidTreeRequest', message: `The log has ${size - 1} entries, not ${size}.` });
  });
});
