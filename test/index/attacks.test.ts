import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPES } from '../../pipelines/federation/statements.js';
import { MANIFEST_PAYLOAD_TYPE, manifestBytes } from '../../pipelines/release/manifest/croissant.js';
import { signEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { keyId } from '../../pipelines/signing/keys.js';
import { startTestNode, type ApiResponse, type TestNode } from '../helpers/node.js';
import {
  accessChange,
  craftedManifest,
  heartbeat,
  payloadOf,
  registration,
  signerOf,
  startTestIndex,
  statement,
  type Signer,
  type TestIndex,
} from './helpers.js';

const otherKey = () => {
  const key = generateKeyPairSync('ed25519').privateKey;
  return { key, keyid: keyId(key) };
};

describe('attacks on intake: each refused with a stable code, the index unchanged', () => {
  let ix: TestIndex;
  let t: TestNode;
  let neighbour: TestNode;
  let signer: Signer;
  let held: ReturnType<typeof craftedManifest>;

  beforeAll(async () => {
    ix = await startTestIndex();
    t = await startTestNode();
    neighbour = await startTestNode();
    signer = signerOf(t);
    for (const node of [t, neighbour]) expect((await ix.api.post('/nodes', registration(signerOf(node)))).status).toBe(200);
    held = craftedManifest(signer, (r) => {
      r.version = '2.0.0';
      r.rev = 2;
    });
    expect((await ix.api.post('/manifests', held.envelope)).body.status).toBe('published');
    expect((await ix.api.post('/heartbeats', heartbeat(signer, 10))).status).toBe(200);
  });
  afterAll(async () => {
    await ix.stop();
    await t.stop();
    await neighbour.stop();
  });

  /** Sends the attack, checks the code and status, and that no table or the log changed. */
  async function refused(send: () => Promise<ApiResponse>, status: number, code: string): Promise<void> {
    const before = await ix.state();
    const checkpoint = await (await fetch(`${ix.url}/api/v1/log/checkpoint`)).text();
    const answer = await send();
    expect(answer.body?.error?.code, JSON.stringify(answer.body)).toBe(code);
    expect(answer.status).toBe(status);
    expect(await ix.state()).toEqual(before);
    const after = await (await fetch(`${ix.url}/api/v1/log/checkpoint`)).text();
    expect(after.split('\n').slice(0, 3)).toEqual(checkpoint.split('\n').slice(0, 3));
  }

  const postManifest = (envelope: DsseEnvelope) => () => ix.api.post('/manifests', envelope);

  it('a datePublished that is no instant a reader can page by, or lies ahead (H3)', async () => {
    // Written into the manifest after it is built (the builder checks what it is given), then signed.
    const dated = (published: string) => {
      const { manifest } = craftedManifest(signer, (r) => (r.datasetId = 'dated'));
      manifest.datePublished = published;
      return postManifest(signEnvelope(manifestBytes(manifest as never), MANIFEST_PAYLOAD_TYPE, signer.identity.signingKey, signer.identity.keyId));
    };
    // A fraction longer than any cursor the index would take back: paging would break on it.
    await refused(dated(`2026-01-01T00:00:00.${'1'.repeat(40)}Z`), 422, 'ManifestMalformed');
    await refused(dated(`2026-01-01T00:00:00.${'1'.repeat(100_000)}Z`), 422, 'ManifestMalformed');
    // Far ahead, to sit at the top of every search.
    await refused(dated('9999-12-31T23:59:59.000Z'), 422, 'ManifestMalformed');
    await refused(dated(new Date(Date.now() + 2 * 86_400_000).toISOString()), 422, 'ManifestMalformed');
  });

  it('a datePublished with an offset is kept as the instant it names, and searched in time order (H3)', async () => {
    const at = (dataset: string, published: string) => craftedManifest(signer, (r) => ((r.datasetId = dataset), (r.published = published))).envelope;
    // 10:00+03:00 is 07:00Z, before 08:00Z, though it sorts after it as text.
    expect((await ix.api.post('/manifests', at('offset-early', '2026-01-01T10:00:00+03:00'))).status).toBe(200);
    expect((await ix.api.post('/manifests', at('offset-late', '2026-01-01T08:00:00Z'))).status).toBe(200);
    const found = (await ix.api.get(`/manifests?node=${encodeURIComponent(signer.identity.did)}&limit=100`)).body.manifests as Array<{ dataset: string; published: string }>;
    const mine = found.filter((m) => m.dataset.startsWith('offset-'));
    expect(mine).toEqual([
      expect.objectContaining({ dataset: 'offset-late', published: '2026-01-01T08:00:00.000Z' }),
      expect.objectContaining({ dataset: 'offset-early', published: '2026-01-01T07:00:00.000Z' }),
    ]);
  });

  it('a licence id or URL without bound (L3)', async () => {
    for (const change of [(m: Record<string, unknown>) => (m['tributary:spdx'] = 'X'.repeat(65)), (m: Record<string, unknown>) => (m.license = `https://example.org/${'x'.repeat(500)}`)]) {
      const { manifest } = craftedManifest(signer, (r) => (r.datasetId = 'licence'));
      change(manifest);
      await refused(postManifest(signEnvelope(manifestBytes(manifest as never), MANIFEST_PAYLOAD_TYPE, signer.identity.signingKey, signer.identity.keyId)), 422, 'ManifestMalformed');
    }
  });

  it('a manifest signed by another key', async () => {
    await refused(postManifest(craftedManifest(signer, (r) => (r.datasetId = 'forged'), { key: otherKey() }).envelope), 422, 'ManifestSignerUnknown');
    // Another key's signature under the node's key id.
    const mislabelled = craftedManifest(signer, (r) => (r.datasetId = 'forged'), { key: { key: otherKey().key, keyid: signer.identity.keyId } });
    await refused(postManifest(mislabelled.envelope), 422, 'ManifestSignatureInvalid');
  });

  it('a manifest signed by one registered node in the name of another', async () => {
    const other = signerOf(neighbour);
    const claim = craftedManifest(
      { ...other, identity: { ...other.identity, signingKey: signer.identity.signingKey, keyId: signer.identity.keyId } },
      (r) => (r.datasetId = 'borrowed'),
    );
    await refused(postManifest(claim.envelope), 422, 'ManifestSignerUnknown');
  });

  it('a replayed older rev, and another manifest at the current rev', async () => {
    const older = craftedManifest(signer, (r) => {
      r.version = '1.0.0';
      r.rev = 1;
    });
    await refused(postManifest(older.envelope), 409, 'RevNotIncreasing');
    const sameRev = craftedManifest(signer, (r) => {
      r.version = '2.0.0';
      r.rev = 2;
      r.description = 'Another text at the same rev.';
    });
    await refused(postManifest(sameRev.envelope), 409, 'RevConflict');
    // The held one again is an answer, not a change.
    const before = await ix.state();
    expect((await ix.api.post('/manifests', held.envelope)).body.status).toBe('unchanged');
    expect(await ix.state()).toEqual(before);
  });

  it('a replay of a manifest the index took and a newer one superseded', async () => {
    const other = (rev: number) =>
      craftedManifest(signer, (r) => {
        r.datasetId = 'replayed';
        r.version = `${rev}.0.0`;
        r.rev = rev;
      });
    const [first, second] = [other(1), other(2)];
    expect((await ix.api.post('/manifests', first.envelope)).body.status).toBe('published');
    expect((await ix.api.post('/manifests', second.envelope)).body.status).toBe('published');
    await refused(postManifest(first.envelope), 409, 'RevNotIncreasing');
  });

  it('one flipped payload byte', async () => {
    const next = craftedManifest(signer, (r) => {
      r.version = '3.0.0';
      r.rev = 3;
    });
    const bytes = Buffer.from(next.envelope.payload, 'base64');
    for (const at of [0, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x01;
      await refused(postManifest({ ...next.envelope, payload: flipped.toString('base64') }), 422, 'ManifestSignatureInvalid');
    }
    // Statements too, whether or not the changed byte leaves the node's name readable.
    for (const [path, envelope] of [
      ['/heartbeats', heartbeat(signer, 11)],
      ['/notices', accessChange(signer, 'crafted-text', 'on-request')],
      ['/nodes', registration(signer, { name: 'Renamed' })],
    ] as const) {
      const payload = Buffer.from(envelope.payload, 'base64');
      for (const at of [0, payload.indexOf('"node"') + 2, payload.length - 2]) {
        const flipped = Buffer.from(payload);
        flipped[at]! ^= 0x01;
        await refused(() => ix.api.post(path, { ...envelope, payload: flipped.toString('base64') }), 422, 'StatementSignatureInvalid');
      }
    }
  });

  it('a contentUrl on another host, another port, or beside the node’s path', async () => {
    for (const url of ['https://mirror.example/api/v1', signer.identity.apiBase.replace(/:(\d+)/, (_, port) => `:${Number(port) + 1}`)]) {
      const elsewhere = craftedManifest(signer, (r) => {
        r.version = '3.0.0';
        r.rev = 3;
        r.node.url = url;
      });
      await refused(postManifest(elsewhere.envelope), 422, 'ContentUrlOffNode');
    }
  });

  it('an expired manifest', async () => {
    const expired = craftedManifest(signer, (r) => {
      r.version = '3.0.0';
      r.rev = 3;
      r.published = new Date(Date.now() - 2 * 86_400_000).toISOString();
      r.expires = new Date(Date.now() - 60_000).toISOString();
    });
    await refused(postManifest(expired.envelope), 422, 'ManifestExpired');
  });

  it('signed envelopes of the wrong kind or shape', async () => {
    await refused(() => ix.api.post('/manifests', heartbeat(signer, 11)), 422, 'ManifestPayloadType');
    await refused(() => ix.api.post('/notices', heartbeat(signer, 11)), 422, 'StatementPayloadType');
    await refused(() => ix.api.post('/heartbeats', held.envelope), 422, 'StatementPayloadType');
    const notAManifest = signEnvelope(Buffer.from(JSON.stringify({ 'tributary:nodeDid': signer.identity.did, hello: 'world' })), MANIFEST_PAYLOAD_TYPE, signer.identity.signingKey, signer.identity.keyId);
    await refused(postManifest(notAManifest), 422, 'ManifestMalformed');
    const notJson = signEnvelope(Buffer.from('{"tributary:nodeDid": '), MANIFEST_PAYLOAD_TYPE, signer.identity.signingKey, signer.identity.keyId);
    await refused(postManifest(notJson), 422, 'ManifestMalformed');
    await refused(() => ix.api.post('/manifests', { payloadType: MANIFEST_PAYLOAD_TYPE, payload: 'e30=' }), 400, 'InvalidRequest');
    await refused(() => ix.api.post('/manifests', { ...held.envelope, extra: true }), 400, 'InvalidRequest');
  });

  it('anything from a node the index does not know', async () => {
    const stranger = await startTestNode();
    try {
      await refused(postManifest(craftedManifest(signerOf(stranger)).envelope), 403, 'NodeNotRegistered');
      await refused(() => ix.api.post('/heartbeats', heartbeat(signerOf(stranger), 1)), 403, 'NodeNotRegistered');
    } finally {
      await stranger.stop();
    }
  });

  it('a withdrawal notice for a release, or shards, the index never saw', async () => {
    const shard = (payloadOf(held.envelope).distribution as Array<{ name: string; sha256?: string }>).find((d) => d.sha256)!;
    const notice = (version: string, shards: Array<{ name: string; sha256: string }>) =>
      statement(signer, PAYLOAD_TYPES.withdrawal, {
        type: 'tributary:withdrawal-notice/1',
        id: randomBytes(16).toString('hex'),
        dataset: 'crafted-text',
        release: { version },
        records: ['01JABCDEFGHJKMNPQRSTVWXYZ0'],
        shards,
        reason: 'consent-withdrawn',
        issued: new Date().toISOString().slice(0, 10),
      });
    await refused(() => ix.api.post('/notices', notice('9.0.0', [{ name: shard.name, sha256: shard.sha256! }])), 422, 'UnknownRelease');
    await refused(() => ix.api.post('/notices', notice('2.0.0', [{ name: shard.name, sha256: 'e'.repeat(64) }])), 422, 'UnknownShard');
    await refused(() => ix.api.post('/notices', notice('2.0.0', [{ name: 'data/other-00000-of-00001.parquet', sha256: shard.sha256! }])), 422, 'UnknownShard');
    // The same notice signed by another key.
    const forged = statement(signer, PAYLOAD_TYPES.retraction, { type: 'tributary:retraction/1', id: randomBytes(16).toString('hex'), dataset: 'crafted-text', reason: 'x', issued: new Date().toISOString() }, otherKey());
    await refused(() => ix.api.post('/notices', forged), 422, 'StatementSignatureInvalid');
  });

  it('a notice that reuses an id, and an access change older than the one applied', async () => {
    const first = accessChange(signer, 'crafted-text', 'gated');
    expect((await ix.api.post('/notices', first)).body.status).toBe('accepted');
    const reused = statement(signer, PAYLOAD_TYPES.accessChange, { ...payloadOf(first), accessClass: 'on-request' });
    await refused(() => ix.api.post('/notices', reused), 409, 'NoticeConflict');
    const older = accessChange(signer, 'crafted-text', 'open', new Date(Date.now() - 86_400_000));
    await refused(() => ix.api.post('/notices', older), 409, 'NoticeOutOfOrder');
    await refused(() => ix.api.post('/notices', accessChange(signer, 'never-published', 'open')), 422, 'UnknownDataset');
  });

  it('an oversize body, malformed JSON, and a body that is not JSON (while a large manifest is taken)', async () => {
    const large = craftedManifest(signer, (r) => {
      r.datasetId = 'large';
      r.description = 'Maneno ya Kiswahili. '.repeat(6000);
    });
    expect(JSON.stringify(large.envelope).length).toBeGreaterThan(150_000);
    expect((await ix.api.post('/manifests', large.envelope)).body.status).toBe('published');

    const huge = JSON.stringify({ ...held.envelope, payload: 'A'.repeat(1024 * 1024 + 1) });
    await refused(() => ix.api.request('POST', '/manifests', { raw: huge }), 413, 'PayloadTooLarge');
    await refused(() => ix.api.request('POST', '/manifests', { raw: '{"payloadType": "application/vnd.tributary.manifest.v1+json", "payload": ' }), 400, 'MalformedJson');
    await refused(() => ix.api.request('POST', '/notices', { raw: 'payload=1', contentType: 'application/x-www-form-urlencoded' }), 415, 'UnsupportedMediaType');
  });

  it('a heartbeat replayed, or expired', async () => {
    await refused(() => ix.api.post('/heartbeats', heartbeat(signer, 10)), 409, 'HeartbeatReplayed');
    await refused(() => ix.api.post('/heartbeats', heartbeat(signer, 3)), 409, 'HeartbeatReplayed');
    await refused(() => ix.api.post('/heartbeats', heartbeat(signer, 12, { expires: new Date(Date.now() - 1000) })), 422, 'StatementExpired');
  });

  it('a registration for a did:web whose host is not the URL’s', async () => {
    await refused(() => ix.api.post('/nodes', registration(signer, { url: 'http://elsewhere.example:8080' })), 422, 'RegistrationDidMismatch');
    const other = signerOf(neighbour);
    await refused(() => ix.api.post('/nodes', registration(signer, { url: other.url })), 422, 'RegistrationDidMismatch');
    // Signed by a key other than the one it names.
    await refused(() => ix.api.post('/nodes', registration(signer, {}, otherKey())), 422, 'StatementSignatureInvalid');
  });

  it('never answers arbitrary bodies with a 5xx', async () => {
    const did = signer.identity.did;
    const routes = ['/nodes', '/manifests', '/notices', '/heartbeats'] as const;
    const types = [MANIFEST_PAYLOAD_TYPE, ...Object.values(PAYLOAD_TYPES), 'application/json', ''];
    const json = fc.jsonValue({ maxDepth: 4 });
    // Payloads the node itself signed: they pass the signature check and reach the rules behind it.
    const manifestLike = fc
      .record({ drop: fc.array(fc.constantFrom(...Object.keys(payloadOf(held.envelope))), { maxLength: 4 }), set: fc.dictionary(fc.constantFrom(...Object.keys(payloadOf(held.envelope))), json, { maxKeys: 3 }) })
      .map(({ drop, set }) => {
        const payload: Record<string, unknown> = { ...payloadOf(held.envelope), ...set };
        for (const key of drop) delete payload[key];
        return payload;
      });
    const statementLike = fc.record({ node: fc.constant(did), type: fc.constantFrom('tributary:heartbeat/1', 'tributary:withdrawal-notice/1', 'tributary:retraction/1', 'tributary:access-change/1', 'tributary:node-registration/1'), rest: fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 6 }) }).map(({ rest, ...head }) => ({ ...rest, ...head }));
    const signedByNode = fc
      .tuple(fc.constantFrom(...types), fc.oneof(manifestLike, statementLike, json))
      .map(([type, payload]) => JSON.stringify(signEnvelope(Buffer.from(JSON.stringify(payload) ?? 'null'), type, signer.identity.signingKey, signer.identity.keyId)));
    const envelopeLike = fc
      .record({ payloadType: fc.oneof(fc.constantFrom(...types), fc.string()), payload: fc.oneof(fc.base64String(), fc.string()), signatures: fc.array(fc.record({ keyid: fc.oneof(fc.constant(signer.identity.keyId), fc.string()), sig: fc.oneof(fc.base64String(), fc.string()) }), { maxLength: 3 }) })
      .map((e) => JSON.stringify(e));
    const body = fc.oneof(signedByNode, envelopeLike, json.map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }));

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async (route, raw) => {
        const answer = await ix.api.request('POST', route, { raw });
        expect(answer.status, `${route} ${raw.slice(0, 300)} → ${JSON.stringify(answer.body)}`).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
  });
});
