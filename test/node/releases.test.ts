import { createHash, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { cpSync, createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import jsonld from 'jsonld';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { publicKeyFromDidKey } from '../../pipelines/signing/did.js';
import { pae, verifyEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import type { BuildOutcome, BuildProgress } from '../../server/node/services/release-builder.js';
import { ReleaseStore } from '../../server/node/stores/releases.js';
import { signedRelease, writeReleaseFolder } from '../fixtures/signed-release.js';
import { killHard, runCli, runCliAsync, startNodeProcess } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { recordPrompts, seedReleaseData, validate, type ReleaseData } from '../helpers/release-data.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface FileObject {
  name: string;
  split?: string;
  sha256: string;
  contentSize: string;
  contentUrl: string;
}

function manifestOf(envelope: DsseEnvelope): Record<string, any> {
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
}

function fileObjects(manifest: Record<string, any>): FileObject[] {
  return (manifest.distribution as Array<Record<string, any>>).filter((f) => typeof f.sha256 === 'string') as FileObject[];
}

async function readShard(path: string) {
  const file = await asyncBufferFromFile(path);
  // utf8: false keeps un-annotated BYTE_ARRAY columns (the audio bytes) binary.
  return { rows: (await parquetReadObjects({ file, utf8: false })) as Array<Record<string, any>>, metadata: await parquetMetadataAsync(file) };
}

/** The node's published signing keys, by key id, as a verifier fetches them. */
async function publishedKeys(t: TestNode): Promise<Map<string, KeyObject>> {
  const wellKnown = await fetch(`${t.url}/.well-known/tributary.json`).then((r) => r.json() as Promise<any>);
  return new Map(
    wellKnown.publicKeys
      .filter((k: { use: string }) => k.use === 'signing')
      .map((k: { id: string; publicKeyMultibase: string }) => [k.id, publicKeyFromDidKey(`did:key:${k.publicKeyMultibase}`)]),
  );
}

describe('releases', () => {
  let t: TestNode;
  let data: ReleaseData;
  let admin: string;
  /** Record key → split in release 2.0.0, to compare with a later build using the same seed. */
  const v2Splits = new Map<string, string>();
  /** The records a published release holds, as the node recorded them. */
  const releasedRecords = (releaseId: string) =>
    t.inspect((db) => db.prepare('SELECT sample_id FROM release_records WHERE release_id = ? ORDER BY sample_id').pluck().all(releaseId)) as string[];

  beforeAll(async () => {
    // Every release here is built by hand, at a point each test forces; the rebuild a node makes
    // by itself after withdrawals (withdrawal-effect.test.ts) is held off beyond the suite's end.
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 86_400 } });
    admin = runCli(['admin', 'token', '--dir', t.dir]).stdout.trim();
    // Only the first speaker also consents to commercial models.
    data = await seedReleaseData(t, { purposes: [['commercial-model'], [], [], []] });
  }, 120_000);
  afterAll(() => t.stop());

  it('builds a speech release whose Parquet shards hold exactly the validated records, verifiably signed', async () => {
    const built = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', seed: 7 }, admin);
    expect(built.status, JSON.stringify(built.body)).toBe(201);
    expect(built.body.release).toMatchObject({ datasetId: 'sw-speech', version: '1.0.0', records: 12 });
    expect(built.body.release.speakerSalt).toBeUndefined();

    const listed = await t.api.get('/datasets');
    expect(listed.body.datasets).toEqual([expect.objectContaining({ id: 'sw-speech', version: '1.0.0', accessClass: 'open', records: 12 })]);
    const manifestResponse = await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`);
    const raw = await manifestResponse.text();
    expect(raw).toBe(await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`).then((r) => r.text()));
    // A crawler that has it already is told so without the body. (fetch would otherwise add
    // `Cache-Control: no-cache` to a conditional request, which asks for the full answer.)
    const tag = manifestResponse.headers.get('etag')!;
    expect(tag).toMatch(/^"sha256-[\w-]{43}"$/);
    const unchanged = await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`, {
      headers: { 'if-none-match': tag, 'cache-control': 'max-age=0' },
    });
    expect(unchanged.status).toBe(304);
    const envelope = JSON.parse(raw) as DsseEnvelope;

    // The signature verifies with the key from /.well-known, and fails for one flipped byte.
    const keys = await publishedKeys(t);
    expect(verifyEnvelope(envelope, keys).ok).toBe(true);
    const payload = Buffer.from(envelope.payload, 'base64');
    payload.writeUInt8(payload[10]! ^ 1, 10);
    expect(verifyEnvelope({ ...envelope, payload: payload.toString('base64') }, keys).ok).toBe(false);
    // …and independently of our verifier: plain Ed25519 over the DSSE pre-authentication encoding.
    const [signature] = envelope.signatures;
    const key = keys.get(signature!.keyid)!;
    expect(verify(null, pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64')), key, Buffer.from(signature!.sig, 'base64'))).toBe(true);

    const manifest = manifestOf(envelope);
    const files = fileObjects(manifest);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const releaseDir = await t.releaseFolder('sw-speech', '1.0.0');
    const bySample = new Map<string, Record<string, any>>();
    for (const file of files) {
      expect(file.name).toMatch(/^data\/(train|dev|test)-\d{5}-of-\d{5}\.parquet$/);
      const bytes = readFileSync(join(releaseDir, file.name));
      expect(sha256(bytes)).toBe(file.sha256);
      expect(file.contentSize).toBe(`${bytes.length} B`);
      const response = await fetch(new URL(file.contentUrl, t.url));
      const downloaded = new Uint8Array((await response.arrayBuffer()) as ArrayBuffer);
      expect(sha256(downloaded)).toBe(file.sha256);
      const { rows, metadata } = await readShard(join(releaseDir, file.name));
      for (const group of metadata.row_groups) expect(Number(group.num_rows)).toBeLessThanOrEqual(100);
      for (const row of rows) bySample.set(row.key, { ...row, split: file.name.split('/')[1]!.split('-')[0] });
    }
    expect([...bySample.keys()].sort()).toEqual(data.speech.map((s) => s.id).sort());
    for (const { id } of data.speech) {
      const row = bySample.get(id)!;
      const stored = t.inspect((db) => db.prepare('SELECT text, audio_normalized FROM samples WHERE id = ?').get(id)) as any;
      expect(row.sentence).toBe(stored.text);
      expect(row.audio.path).toBe(`${id}.wav`);
      expect(sha256(row.audio.bytes)).toBe(sha256(await t.blob(stored.audio_normalized)));
      expect(row.speaker_id).toMatch(/^spk_/);
      // Each age band and gender here has fewer than five speakers: blanked, as in the manifest.
      expect([row.age_band, row.gender]).toEqual([null, null]);
      expect(JSON.stringify(row)).not.toContain(data.speakers[0]!.id);
    }
    // Speaker-disjoint splits.
    const splitsOf = new Map<string, Set<string>>();
    for (const row of bySample.values()) (splitsOf.get(row.speaker_id) ?? splitsOf.set(row.speaker_id, new Set()).get(row.speaker_id)!).add(row.split);
    for (const splits of splitsOf.values()) expect(splits.size).toBe(1);
    expect(new Set([...bySample.values()].map((r) => r.split))).toEqual(new Set(['train', 'dev', 'test']));

    // No personal data in the manifest: no contributor ids.
    for (const speaker of data.speakers) expect(JSON.stringify(manifest)).not.toContain(speaker.id);
    // The dataset card sits beside the shards.
    const card = await fetch(`${t.url}/api/v1/datasets/sw-speech/card`).then((r) => r.text());
    expect(card).toMatch(/^---\n[\s\S]*license: cc-by-4.0[\s\S]*data_files[\s\S]*---\n/);
  });

  it('`tributary release verify` checks the signature and every shard, and catches a changed byte', async () => {
    const folder = await t.releaseFolder('sw-speech', '1.0.0');
    const ok = await runCliAsync(['release', 'verify', folder, '--node', t.url, '--json']);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const verdict = JSON.parse(ok.stdout);
    expect(verdict).toMatchObject({ ok: true, verified: true, status: 'verified', problems: [] });
    expect(verdict.key).toMatchObject({ source: 'node', url: t.url, rotationsFollowed: 0 });
    expect(verdict.checks.map((c: { item: string }) => c.item).slice(0, 5)).toEqual(['envelope', 'signature', 'manifest', 'expiry', 'croissant.json']);
    expect(verdict.checks.filter((c: { kind: string }) => c.kind === 'shard').length).toBeGreaterThanOrEqual(2);

    const copy = join(t.dir, 'tampered');
    cpSync(folder, copy, { recursive: true });
    const shard = join(copy, 'data', 'train-00000-of-00001.parquet');
    const bytes = readFileSync(shard);
    bytes.writeUInt8(bytes[5000]! ^ 0x01, 5000);
    writeFileSync(shard, bytes);
    const tampered = await runCliAsync(['release', 'verify', copy, '--node', t.url]);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/data\/train-00000-of-00001\.parquet.*NO.*sha256 is/);
    expect(tampered.stdout).toMatch(/NOT verified: 1 check\(s\) failed \(ShardHashMismatch\)\./);

    const envelope = JSON.parse(readFileSync(join(copy, 'croissant.dsse.json'), 'utf8'));
    const payload = Buffer.from(envelope.payload, 'base64');
    payload.writeUInt8(payload[100]! ^ 0x01, 100);
    writeFileSync(join(copy, 'croissant.dsse.json'), JSON.stringify({ ...envelope, payload: payload.toString('base64') }));
    const forged = await runCliAsync(['release', 'verify', copy, '--node', t.url, '--json']);
    expect(forged.status).toBe(1);
    expect(JSON.parse(forged.stdout).checks[1]).toMatchObject({ item: 'signature', ok: false, problem: 'ManifestSignatureInvalid' });
  });

  it('`tributary release verify` says where the key came from: --node, --key, or the manifest itself (exit 0, 1, 2, 3)', async () => {
    const folder = await t.releaseFolder('sw-speech', '1.0.0');
    const signing = [...(await publishedKeys(t)).values()][0]!;

    // --key: pinned by the person checking, as multibase or as a did:key.
    for (const key of [publicKeyMultibase(signing), `did:key:${publicKeyMultibase(signing)}`]) {
      const pinned = runCli(['release', 'verify', folder, '--key', key, '--json']);
      expect(pinned.status, pinned.stderr).toBe(0);
      expect(JSON.parse(pinned.stdout)).toMatchObject({ verified: true, key: { source: 'key', keyid: keyId(signing) } });
    }
    const table = runCli(['release', 'verify', folder, '--key', publicKeyMultibase(signing)]);
    expect(table.stdout).toMatch(/^key +ed25519:\S+, pinned with --key$/m);
    expect(table.stdout).toMatch(/Verified: signed by a key you trust, and every check passed\./);
    // Another key: the signature is not by a key the user trusts.
    const stranger = publicKeyMultibase(generateKeyPairSync('ed25519').publicKey);
    const wrong = runCli(['release', 'verify', folder, '--key', stranger, '--json']);
    expect(wrong.status).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, verified: false, problems: ['ManifestSignerUnknown'] });

    // Neither, for a did:web node: nothing to check against, said in one line.
    const none = runCli(['release', 'verify', folder]);
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr.trim().split('\n')).toEqual([expect.stringMatching(/did:web:127\.0\.0\.1%3A\d+, which names no key: give --node https:\/\/127\.0\.0\.1:\d+ .* or --key/)]);
    const both = runCli(['release', 'verify', folder, '--node', t.url, '--key', stranger]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--node or --key, not both/);
    const unreachable = runCli(['release', 'verify', folder, '--node', 'http://127.0.0.1:9']);
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);

    // Neither, for a did:key manifest: the key it names for itself is used, and the result says
    // the key was never checked (exit 3), though a failed check still wins (exit 1).
    const key = generateKeyPairSync('ed25519').privateKey;
    const did = `did:key:${publicKeyMultibase(key)}`;
    const selfNamed = join(t.dir, 'did-key-release');
    writeReleaseFolder(
      signedRelease((r) => Object.assign(r, { node: { ...r.node, did }, published: new Date().toISOString(), expires: new Date(Date.now() + 86_400_000).toISOString() }), { key }),
      selfNamed,
    );
    const unverified = runCli(['release', 'verify', selfNamed]);
    expect(unverified.status, unverified.stderr).toBe(3);
    expect(unverified.stdout).toMatch(/signature +│ yes +│ valid, by ed25519:\S+; key UNVERIFIED \(taken from the manifest itself\)/);
    expect(unverified.stdout).toMatch(/Signature valid, key UNVERIFIED \(taken from the manifest itself\)/);
    const unverifiedJson = JSON.parse(runCli(['release', 'verify', selfNamed, '--json']).stdout);
    expect(unverifiedJson).toMatchObject({ ok: true, verified: false, status: 'key-unverified', key: { source: 'manifest', did } });
    expect(runCli(['release', 'verify', selfNamed, '--key', did]).status).toBe(0);
    const shardFile = join(selfNamed, 'data', 'dev-00000-of-00001.parquet');
    writeFileSync(shardFile, Buffer.concat([readFileSync(shardFile), Buffer.of(0)]));
    const broken = runCli(['release', 'verify', selfNamed, '--json']);
    expect(broken.status).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ status: 'failed', problems: ['ShardSizeMismatch'] });
  }, 120_000);

  it('publishes a manifest that expands as JSON-LD without fetching anything', async () => {
    const envelope = await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest?version=1.0.0`).then((r) => r.json() as Promise<DsseEnvelope>);
    const refuse = async (url: string) => {
      throw new Error(`tried to fetch ${url}`);
    };
    const [dataset] = (await jsonld.expand(manifestOf(envelope) as any, { documentLoader: refuse as any, safe: true, base: `${t.url}/api/v1/datasets/sw-speech/manifest` } as any)) as unknown as any[];
    const has = (iri: string) => expect(dataset[iri], iri).toBeDefined();
    has('@type');
    has('https://schema.org/name');
    has('https://schema.org/license');
    has('https://schema.org/distribution');
    has('http://mlcommons.org/croissant/recordSet');
    has('http://purl.org/dc/terms/conformsTo');
    has('http://mlcommons.org/croissant/RAI/dataCollection');
    has('http://www.w3.org/ns/odrl/2/hasPolicy');
    has('https://w3id.org/tributary/ns#nodeDid');
  });

  it('leaves out records whose consent does not cover the release’s purposes', async () => {
    const commercial = await t.api.post('/admin/releases', { language: 'sw', modality: 'text', purposes: ['train-lm', 'commercial-model'] }, admin);
    expect(commercial.status, JSON.stringify(commercial.body)).toBe(201);
    expect(commercial.body.release.records).toBe(3);
    const manifest = manifestOf(await fetch(`${t.url}/api/v1/datasets/sw-text/manifest`).then((r) => r.json() as Promise<DsseEnvelope>));
    const keys = new Set<string>();
    for (const file of fileObjects(manifest)) {
      for (const row of (await readShard(join(await t.releaseFolder('sw-text', '1.0.0'), file.name))).rows) keys.add(row.key);
    }
    expect([...keys].sort()).toEqual(data.text.filter((s) => s.speaker === data.speakers[0]!.id).map((s) => s.id).sort());
    // The same dataset for non-commercial purposes takes everyone, and changes the rights: MAJOR.
    const plain = await t.api.post('/admin/releases', { language: 'sw', modality: 'text' }, admin);
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ change: 'major', release: { version: '2.0.0', records: 12 } });
    const unchanged = await t.api.post('/admin/releases', { language: 'sw', modality: 'text' }, admin);
    expect(unchanged.status).toBe(409);
    expect(unchanged.body.error.code).toBe('ReleaseUnchanged');
  });

  it('after a withdrawal: a signed notice names the records and shards, the next release is MAJOR without them, old shards answer 410', async () => {
    const leaving = data.speakers[1]!;
    const beforeEnvelope = await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`).then((r) => r.json() as Promise<DsseEnvelope>);
    const before = manifestOf(beforeEnvelope);
    const oldUrl = new URL(fileObjects(before)[0]!.contentUrl, t.url);

    const withdrawal = await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token);
    expect(withdrawal.status).toBe(200);
    const feed = await t.api.get('/withdrawals?since=0');
    expect(feed.status).toBe(200);
    const keys = await publishedKeys(t);
    const notices = feed.body.notices.map((n: { envelope: DsseEnvelope }) => {
      const verdict = verifyEnvelope(n.envelope, keys);
      expect(verdict.ok).toBe(true);
      return JSON.parse(Buffer.from(n.envelope.payload, 'base64').toString('utf8'));
    });
    const speech = notices.find((n: { dataset: string }) => n.dataset === 'sw-speech');
    const withdrawnIds = data.speech.filter((s) => s.speaker === leaving.id).map((s) => s.id).sort();
    expect(speech.records).toEqual(withdrawnIds);
    // Exactly the shards that held those records, by name and hash.
    const holding: Array<{ name: string; sha256: string }> = [];
    for (const file of fileObjects(before)) {
      const { rows } = await readShard(join(await t.releaseFolder('sw-speech', '1.0.0'), file.name));
      if (rows.some((row) => withdrawnIds.includes(row.key))) holding.push({ name: file.name, sha256: file.sha256 });
    }
    expect(holding.length).toBeGreaterThan(0);
    expect(speech.shards).toEqual(holding.sort((a, b) => a.name.localeCompare(b.name)));
    expect(notices.find((n: { dataset: string }) => n.dataset === 'sw-text').records).toHaveLength(3);

    const rebuilt = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', seed: 7 }, admin);
    expect(rebuilt.status).toBe(201);
    expect(rebuilt.body).toMatchObject({ change: 'major', removed: 3, release: { version: '2.0.0', records: 9 } });
    const after = manifestOf(await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`).then((r) => r.json() as Promise<DsseEnvelope>));
    // The new manifest chains to the exact bytes of the one it replaces.
    expect(after['tributary:previousManifest']).toBe(sha256(Buffer.from(beforeEnvelope.payload, 'base64')));
    for (const file of fileObjects(after)) {
      const { rows } = await readShard(join(await t.releaseFolder('sw-speech', '2.0.0'), file.name));
      for (const row of rows) {
        expect(withdrawnIds).not.toContain(row.key);
        v2Splits.set(row.key, file.split ?? file.name.split('/')[1]!.split('-')[0]!);
      }
    }
    const gone = await fetch(oldUrl);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as any).error.code).toBe('ReleaseSuperseded');
  });

  it('gated data: 401 without a token, 200 with one and a download receipt; on-request waits for an admin', async () => {
    const gated = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', accessClass: 'gated', format: 'webdataset', seed: 7 }, admin);
    expect(gated.status, JSON.stringify(gated.body)).toBe(201);
    const shard = gated.body.shards[0].name as string;
    const url = `${t.url}/api/v1/datasets/sw-speech/shards/${shard}`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).error.code).toBe('AccessTokenRequired');

    const access = await t.api.post('/datasets/sw-speech/access', { name: 'Lab A', contact: 'lab@example.org', purpose: 'ASR research', acceptTerms: true });
    expect(access.status).toBe(201);
    const download = await fetch(url, { headers: { authorization: `Bearer ${access.body.token}`, range: 'bytes=0-511' } });
    expect(download.status).toBe(206);
    expect((await download.arrayBuffer()).byteLength).toBe(512);
    const receipts = await t.api.get('/admin/receipts?dataset=sw-speech', admin);
    expect(receipts.body.receipts).toEqual([expect.objectContaining({ grantName: 'Lab A', shard, range: 'bytes=0-511' })]);

    // Requests for paths outside the release never reach the file system.
    for (const sneaky of ['..%2F..%2Fnode.json', 'data/..%2F..%2F..%2Fnode.sqlite', '%2e%2e/%2e%2e/keys/signing.key']) {
      const res = await fetch(`${t.url}/api/v1/datasets/sw-speech/shards/${sneaky}`, { headers: { authorization: `Bearer ${access.body.token}` } });
      expect([400, 404]).toContain(res.status);
      const body = await res.text();
      expect(JSON.parse(body).error.code).toMatch(/^(NotFound|InvalidRequest)$/);
      expect(body).not.toMatch(/PRIVATE KEY|SQLite format|"signing"/);
    }

    // Same seed, new format: every record stays in the split it was in (read back from the tars).
    const splitOf = new Map<string, string>();
    for (const s of gated.body.shards as Array<{ name: string }>) {
      const split = s.name.split('/')[1]!.split('-')[0]!;
      const extract = tar.extract();
      const done = new Promise<void>((resolve, reject) => {
        extract.on('entry', (header, stream, next) => {
          splitOf.set(header.name.split('.')[0]!, split);
          stream.resume();
          stream.on('end', next);
        });
        extract.on('finish', resolve);
        extract.on('error', reject);
      });
      createReadStream(join(await t.releaseFolder('sw-speech', gated.body.release.version), s.name)).pipe(extract);
      await done;
    }
    expect(gated.body.release.version).toBe('2.1.0');
    expect([...splitOf].sort()).toEqual([...v2Splits].sort());

    const onRequest = await t.api.post('/admin/releases', { language: 'sw', modality: 'text', accessClass: 'on-request', format: 'webdataset' }, admin);
    expect(onRequest.status).toBe(201);
    const textShard = `${t.url}/api/v1/datasets/sw-text/shards/${onRequest.body.shards[0].name}`;
    const asked = await t.api.post('/datasets/sw-text/access', { name: 'Startup B', contact: 'b@example.org', purpose: 'a keyboard', acceptTerms: true });
    const pending = await fetch(textShard, { headers: { authorization: `Bearer ${asked.body.token}` } });
    expect(pending.status).toBe(403);
    expect(((await pending.json()) as any).error.code).toBe('AccessPending');
    await t.api.post(`/admin/access-requests/${asked.body.grant.id}/decision`, { decision: 'approved' }, admin);
    expect((await fetch(textShard, { headers: { authorization: `Bearer ${asked.body.token}` } })).status).toBe(200);
  });

  // The builder waits for its progress listener where a step begins, so each order below is
  // forced: the withdrawal has committed (and its own notices gone out) before the build goes on.
  it('a withdrawal that lands while a release is being built: left out if not yet read, else in the release and announced for it', async () => {
    const { context } = t.node;
    const writer = data.speakers[3]!;
    const signingKeys = await publishedKeys(t);
    const published = vi.spyOn(ReleaseStore.prototype, 'publish');
    const releasedKeys = async (outcome: BuildOutcome) => {
      const found: string[] = [];
      for (const shard of outcome.shards) {
        const { rows } = await readShard(join(await t.releaseFolder('sw-text', outcome.release.version), shard.name));
        found.push(...rows.map((row) => row.key as string));
      }
      return found.sort();
    };
    const noticesFor = async (version: string) => {
      const feed = await t.api.get('/withdrawals?since=0');
      return (feed.body.notices as Array<{ envelope: DsseEnvelope }>)
        .map((n) => {
          expect(verifyEnvelope(n.envelope, signingKeys).ok).toBe(true);
          return JSON.parse(Buffer.from(n.envelope.payload, 'base64').toString('utf8'));
        })
        .filter((n: { dataset: string; release: { version: string } }) => n.dataset === 'sw-text' && n.release.version === version);
    };
    /**
     * Adds a validated text (so there is something new to release) and builds, withdrawing the
     * consent of `leaving` when the build reaches the first step `at` accepts.
     */
    const buildWithdrawingAt = async (at: (p: BuildProgress) => boolean, text: string, leaving: Volunteer) => {
      const added = await t.api.post('/samples/text', { language: 'sw', text }, writer.token);
      await validate(t, added.body.id, data.validators);
      const contributor = context.contributors.authenticate(leaving.token)!;
      const before = context.datasets.release('sw-text');
      const previous = { version: before.version, keys: releasedRecords(before.id) };
      const reached: BuildProgress[] = [];
      published.mockClear();
      const outcome = await context.releaseBuilder.build({ language: 'sw', modality: 'text' }, async (progress) => {
        if (reached.length > 0 || !at(progress)) return;
        reached.push(progress);
        await context.consent.withdraw(contributor, leaving.consentRecordId, null);
      });
      expect(reached).toHaveLength(1);
      expect(published).toHaveBeenCalledOnce();
      const found = await releasedKeys(outcome);
      expect(found).toContain(added.body.id);
      expect(outcome.release.records).toBe(found.length);
      const envelope = await fetch(`${t.url}/api/v1/datasets/sw-text/manifest?version=${outcome.release.version}`).then((r) => r.json() as Promise<DsseEnvelope>);
      return {
        outcome,
        previous,
        manifest: manifestOf(envelope),
        keys: found,
        reachedAt: reached[0]!,
        /** What `publish` found withdrawn among the records it was given: the release's removals from the start. */
        reported: t.inspect((db) =>
          db.prepare('SELECT sample_id FROM release_removals WHERE release_id = ? ORDER BY sample_id').pluck().all(outcome.release.id),
        ) as string[],
        theirs: data.text.filter((s) => s.speaker === leaving.id).map((s) => s.id).sort(),
      };
    };

    try {
      // Withdrawn after the selection, before any split's records are read: the records were
      // selected, and every page read afterwards leaves them out, whichever split they are in.
      const early = await buildWithdrawingAt(
        (p) => p.phase === 'writing' && p.records === 0,
        'Tutakutana kesho jioni karibu na soko.',
        data.speakers[2]!,
      );
      expect(early.theirs).toHaveLength(3);
      expect(early.reachedAt).toEqual({
        phase: 'writing',
        split: 'train',
        records: 0,
        totalRecords: early.outcome.release.records + early.theirs.length,
        bytes: 0,
      });
      expect(early.keys.filter((id) => early.theirs.includes(id))).toEqual([]);
      expect(early.reported).toEqual([]);
      expect(await noticesFor(early.outcome.release.version)).toEqual([]);
      // The version follows what the release holds: it drops 3 records the previous one had, so
      // it is MAJOR and says so, though they were still selected when the build began.
      expect(early.previous.keys).toEqual(expect.arrayContaining(early.theirs));
      expect(early.outcome).toMatchObject({ change: 'major', added: 1, removed: 3 });
      expect(early.outcome.release.version).toBe(`${Number(early.previous.version.split('.')[0]) + 1}.0.0`);
      expect(early.manifest).toMatchObject({ 'tributary:withdrawnSincePrevious': 3, 'tributary:records': early.keys.length });

      // Withdrawn once every record is written: they are in the shards, `publish` reports them,
      // and the builder announces them for this release in a signed notice naming their shards.
      const late = await buildWithdrawingAt((p) => p.phase === 'signing', 'Mvua ya leo imeleta baridi kali mjini.', data.speakers[0]!);
      expect(late.outcome).toMatchObject({ change: 'minor', added: 1, removed: 0 });
      expect(late.manifest).toMatchObject({ 'tributary:withdrawnSincePrevious': 0 });
      expect(late.theirs).toHaveLength(3);
      expect(late.keys).toEqual(expect.arrayContaining(late.theirs));
      expect(late.reported).toEqual(late.theirs);
      const holding: Array<{ name: string; sha256: string }> = [];
      for (const shard of late.outcome.shards) {
        const { rows } = await readShard(join(await t.releaseFolder('sw-text', late.outcome.release.version), shard.name));
        if (rows.some((row) => late.theirs.includes(row.key))) holding.push({ name: shard.name, sha256: shard.sha256 });
      }
      const notices = await noticesFor(late.outcome.release.version);
      expect(notices).toEqual([
        expect.objectContaining({ records: late.theirs, shards: holding.sort((a, b) => a.name.localeCompare(b.name)), reason: 'consent-withdrawn' }),
      ]);
    } finally {
      published.mockRestore();
    }
  });
  it('two builds of one dataset at once: the later to publish refuses, without touching what the first published', async () => {
    const { context } = t.node;
    const added = await t.api.post('/samples/text', { language: 'sw', text: 'Jua limechomoza mapema sana leo asubuhi.' }, data.speakers[3]!.token);
    expect(added.status).toBe(201);
    await validate(t, added.body.id, data.validators);
    // The second build runs to the end while the first waits to sign: both chose the same version.
    let first: BuildOutcome | undefined;
    const second = context.releaseBuilder.build({ language: 'sw', modality: 'text' }, async (p) => {
      if (p.phase === 'signing' && !first) first = await context.releaseBuilder.build({ language: 'sw', modality: 'text' });
    });
    await expect(second).rejects.toMatchObject({ code: 'ReleaseBuildConflict' });
    expect(context.datasets.release('sw-text').id).toBe(first!.release.id);
    // What is served is the first build's, whole: its files are the ones its rows describe.
    const folder = await t.releaseFolder('sw-text', first!.release.version);
    expect(JSON.parse(readFileSync(join(folder, 'croissant.dsse.json'), 'utf8'))).toEqual(JSON.parse(context.datasets.envelope('sw-text')));
    for (const shard of first!.shards) expect(sha256(readFileSync(join(folder, shard.name)))).toBe(shard.sha256);
    const key = publicKeyMultibase([...(await publishedKeys(t)).values()][0]!);
    const verified = runCli(['release', 'verify', folder, '--key', key, '--json']);
    expect(verified.status, verified.stdout).toBe(0);
    expect(readdirSync(join(t.dir, 'tmp'))).toEqual([]);
  });

  it('two builds of one dataset at once, both past the last check: the one that claimed the version writes it, the other touches no file', async () => {
    const { context } = t.node;
    const added = await t.api.post('/samples/text', { language: 'sw', text: 'Watoto wanacheza mpira uwanjani jioni hii.' }, (await joinWithConsent(t.api)).token);
    expect(added.status).toBe(201);
    await validate(t, added.body.id, data.validators);
    // The first holds the version's claim while the second, another seed (other shard bytes), runs to the end.
    let second: Promise<BuildOutcome> | undefined;
    const first = await context.releaseBuilder.build({ language: 'sw', modality: 'text', seed: 1 }, async (p) => {
      if (p.phase !== 'publishing' || second) return;
      second = context.releaseBuilder.build({ language: 'sw', modality: 'text', seed: 2 });
      await expect(second).rejects.toMatchObject({ code: 'ReleaseBuildConflict' });
    });
    expect(second).toBeDefined();
    expect(context.datasets.release('sw-text').id).toBe(first.release.id);
    // Every shard served is the bytes its row (and the signed manifest) names.
    for (const shard of first.shards) expect(sha256(await context.releaseFiles.get(`${first.release.dir}/${shard.name}`))).toBe(shard.sha256);
    expect(t.inspect((db) => db.prepare('SELECT count(*) FROM release_claims').pluck().get())).toBe(0);
  });

  it('an access change while a release is made: the build is refused, the new class holds, and the next build carries it', async () => {
    const { context } = t.node;
    const added = await t.api.post('/samples/text', { language: 'sw', text: 'Mvua kubwa imenyesha usiku kucha kijijini.' }, (await joinWithConsent(t.api)).token);
    expect(added.status).toBe(201);
    await validate(t, added.body.id, data.validators);
    const build = context.releaseBuilder.build({ language: 'sw', modality: 'text' }, (p) => {
      if (p.phase === 'selecting') context.authority.setAccess('sw-text', 'gated');
    });
    await expect(build).rejects.toMatchObject({ code: 'ReleaseBuildConflict' });
    expect(context.authority.get('sw-text').accessClass).toBe('gated');
    const shard = context.datasets.release('sw-text');
    const name = t.inspect((db) => db.prepare('SELECT name FROM shards WHERE release_id = ? LIMIT 1').pluck().get(shard.id)) as string;
    expect((await fetch(`${t.url}/api/v1/datasets/sw-text/shards/${name}`)).status).toBe(401);
    const again = await context.releaseBuilder.build({ language: 'sw', modality: 'text' });
    expect(JSON.parse(Buffer.from(JSON.parse(again.release.envelope).payload, 'base64').toString())['tributary:accessClass']).toBe('gated');
    context.authority.setAccess('sw-text', 'open');
  });

  // The builder reads clips a few records ahead of the shard writer. A withdrawal that lands
  // after a page of records was read but before their clips are loaded erases those clips: the
  // records are left out (like one withdrawn before its page was read), not the build failed.
  it('a withdrawal between reading a page of speech and loading its clips: left out, counted out, and the release is MAJOR', async () => {
    const { context } = t.node;
    const newcomer = await joinWithConsent(t.api);
    const speech = [...data.speech, ...(await recordPrompts(t, newcomer, data.prompts, data.validators)).map((id) => ({ id, speaker: newcomer.id }))];
    const volunteers = new Map([...data.speakers, newcomer].map((v) => [v.id, v]));
    const before = context.datasets.release('sw-speech');

    const load = context.blobs.get.bind(context.blobs);
    let withdrawal: Promise<Volunteer> | undefined;
    const loads = vi.spyOn(context.blobs, 'get').mockImplementation(async (key) => {
      // The first clip the build asks for: its page has been read, its clips not yet. Its
      // speaker withdraws now, before this or any other clip is read.
      withdrawal ??= (async () => {
        const owner = t.inspect((db) => db.prepare('SELECT contributor_id FROM samples WHERE audio_normalized = ?').pluck().get(key)) as string;
        const leaving = volunteers.get(owner)!;
        await context.consent.withdraw(context.contributors.authenticate(leaving.token)!, leaving.consentRecordId, null);
        return leaving;
      })();
      await withdrawal;
      return load(key);
    });
    let outcome: BuildOutcome;
    try {
      outcome = await context.releaseBuilder.build({ language: 'sw', modality: 'speech', seed: 7 });
    } finally {
      loads.mockRestore();
    }
    const leaving = await withdrawal!;
    const left = speech.filter((s) => s.speaker === leaving.id).map((s) => s.id);
    expect(left).toHaveLength(3);
    const kept = t.inspect((db) => db.prepare("SELECT id FROM samples WHERE modality = 'speech' AND status = 'validated' ORDER BY id").pluck().all()) as string[];
    expect(kept.length).toBeGreaterThan(0);

    const found: string[] = [];
    for (const shard of outcome.shards) {
      const { rows } = await readShard(join(await t.releaseFolder('sw-speech', outcome.release.version), shard.name));
      found.push(...rows.map((row) => row.key as string));
    }
    expect(found.sort()).toEqual(kept);
    expect(found.filter((id) => left.includes(id))).toEqual([]);
    // Counted as what was written: the release, its shards, its manifest and its record rows agree.
    expect(outcome.release.records).toBe(kept.length);
    expect(outcome.shards.reduce((n, s) => n + s.records, 0)).toBe(kept.length);
    expect(releasedRecords(outcome.release.id)).toEqual(kept);
    const manifest = manifestOf(await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`).then((r) => r.json() as Promise<DsseEnvelope>));
    expect(manifest['tributary:records']).toBe(kept.length);
    const dropped = releasedRecords(before.id).filter((id) => !kept.includes(id));
    expect(dropped.length).toBeGreaterThan(0);
    expect(outcome).toMatchObject({ change: 'major', removed: dropped.length });
    expect(manifest['tributary:withdrawnSincePrevious']).toBe(dropped.length);
  });

  // Last: it rotates the node's signing key.
  it('`tributary release verify --node` follows the node’s key rotations: a release signed before one still verifies', async () => {
    const release = t.node.context.datasets.release('sw-text');
    const folder = await t.releaseFolder('sw-text', release.version);
    const rotated = runCli(['node', 'rotate-key', '--dir', t.dir, '--json']);
    expect(rotated.status, rotated.stderr).toBe(0);
    // The node signs with its new key once restarted: another process on the same folder.
    const restarted = await startNodeProcess(t.dir);
    try {
      const wellKnown = await fetch(`${restarted.url}/.well-known/tributary.json`).then((r) => r.json() as Promise<any>);
      expect(wellKnown.keyRotations).toHaveLength(1);
      const current = wellKnown.publicKeys.find((k: { use: string }) => k.use === 'signing').publicKeyMultibase as string;
      // The key it signs with now did not sign the release…
      const pinnedNow = runCli(['release', 'verify', folder, '--key', current, '--json']);
      expect(pinnedNow.status).toBe(1);
      expect(JSON.parse(pinnedNow.stdout).problems).toEqual(['ManifestSignerUnknown']);
      // …but the chain from the key it started with names the key that did.
      const followed = runCli(['release', 'verify', folder, '--node', restarted.url, '--json']);
      expect(followed.status, followed.stdout + followed.stderr).toBe(0);
      expect(JSON.parse(followed.stdout)).toMatchObject({ verified: true, key: { source: 'node', did: wellKnown.did, rotationsFollowed: 1 } });
    } finally {
      await killHard(restarted.child);
    }
  });
});

describe('a node without a public URL', () => {
  it('refuses to build a release, through the API and the CLI, before touching anything', async () => {
    const t = await startTestNode({ languages: ['sw'], url: undefined });
    try {
      expect(t.node.context.identity.did).toMatch(/^did:key:/);
      const admin = runCli(['admin', 'token', '--dir', t.dir]).stdout.trim();
      const how = `set "url" in ${join(t.dir, 'node.json')} to the address trainers reach the node at, e.g. https://sauti.example.org, and restart`;
      const refused = await t.api.post('/admin/releases', { language: 'sw', modality: 'text' }, admin);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('NodeUrlRequired');
      expect(refused.body.error.message).toContain(how);
      const cli = runCli(['release', 'build', '--dir', t.dir, '--lang', 'sw', '--modality', 'text']);
      expect(cli.status).toBe(1);
      expect(cli.stdout).toBe('');
      expect(cli.stderr.trim().split('\n')).toEqual([expect.stringContaining(how)]);
      expect(existsSync(join(t.dir, 'tmp'))).toBe(false);
      expect(existsSync(join(t.dir, 'releases'))).toBe(false);
      expect(t.inspect((db) => db.prepare('SELECT count(*) FROM releases').pluck().get())).toBe(0);
    } finally {
      await t.stop();
    }
  });
});
