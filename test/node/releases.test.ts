import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import jsonld from 'jsonld';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { publicKeyFromDidKey } from '../../pipelines/signing/did.js';
import { pae, verifyEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import type { BuildOutcome, BuildProgress } from '../../server/node/services/release-builder.js';
import { ReleaseStore } from '../../server/node/stores/releases.js';
import { runCli } from '../helpers/cli.js';
import { startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { seedReleaseData, validate, type ReleaseData } from '../helpers/release-data.js';

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

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
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
    const releaseDir = join(t.dir, 'releases', 'sw-speech', '1.0.0');
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
      expect(sha256(row.audio.bytes)).toBe(sha256(readFileSync(join(t.dir, 'blobs', stored.audio_normalized))));
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

  it('`tributary release verify` checks the signature and every shard, and catches a changed byte', () => {
    const folder = join(t.dir, 'releases', 'sw-speech', '1.0.0');
    const ok = runCli(['release', 'verify', folder, '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).ok).toBe(true);

    const copy = join(t.dir, 'tampered');
    cpSync(folder, copy, { recursive: true });
    const shard = join(copy, 'data', 'train-00000-of-00001.parquet');
    const bytes = readFileSync(shard);
    bytes.writeUInt8(bytes[5000]! ^ 0x01, 5000);
    writeFileSync(shard, bytes);
    const tampered = runCli(['release', 'verify', copy]);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/train-00000-of-00001\.parquet.*NO/);

    const envelope = JSON.parse(readFileSync(join(copy, 'croissant.dsse.json'), 'utf8'));
    const payload = Buffer.from(envelope.payload, 'base64');
    payload.writeUInt8(payload[100]! ^ 0x01, 100);
    writeFileSync(join(copy, 'croissant.dsse.json'), JSON.stringify({ ...envelope, payload: payload.toString('base64') }));
    const forged = runCli(['release', 'verify', copy, '--json']);
    expect(forged.status).toBe(1);
    expect(JSON.parse(forged.stdout).checks[0]).toMatchObject({ item: 'signature', ok: false });
  });

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
      for (const row of (await readShard(join(t.dir, 'releases', 'sw-text', '1.0.0', file.name))).rows) keys.add(row.key);
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
      const { rows } = await readShard(join(t.dir, 'releases', 'sw-speech', '1.0.0', file.name));
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
      const { rows } = await readShard(join(t.dir, 'releases', 'sw-speech', '2.0.0', file.name));
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
      createReadStream(join(t.dir, 'releases', 'sw-speech', gated.body.release.version, s.name)).pipe(extract);
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
        const { rows } = await readShard(join(t.dir, 'releases', 'sw-text', outcome.release.version, shard.name));
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
      return {
        outcome,
        keys: found,
        reachedAt: reached[0]!,
        /** What `publish` found withdrawn among the records it was given. */
        reported: published.mock.results[0]!.value as string[],
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

      // Withdrawn once every record is written: they are in the shards, `publish` reports them,
      // and the builder announces them for this release in a signed notice naming their shards.
      const late = await buildWithdrawingAt((p) => p.phase === 'signing', 'Mvua ya leo imeleta baridi kali mjini.', data.speakers[0]!);
      expect(late.outcome.change).toBe('minor');
      expect(late.theirs).toHaveLength(3);
      expect(late.keys).toEqual(expect.arrayContaining(late.theirs));
      expect(late.reported).toEqual(late.theirs);
      const holding: Array<{ name: string; sha256: string }> = [];
      for (const shard of late.outcome.shards) {
        const { rows } = await readShard(join(t.dir, 'releases', 'sw-text', late.outcome.release.version, shard.name));
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
});
