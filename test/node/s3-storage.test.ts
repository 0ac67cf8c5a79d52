import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { S3BlobStore } from '../../server/core/s3-blob-store.js';
import { parseNodeConfig } from '../../server/node/config.js';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { killHard, runCli, startNodeProcess, type NodeProcess } from '../helpers/cli.js';
import { apiClient, joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { seedReleaseData, validate, type ReleaseData } from '../helpers/release-data.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { importPrompts } from '../helpers/speech.js';
import { runTusClient } from '../helpers/tus-client.js';

// A node whose audio and releases live in an S3-compatible bucket (node.json `storage`), end to
// end against a real S3 server on 127.0.0.1 (test/helpers/s3.ts): nothing of it lands in the
// node's folder, and everything a volunteer or trainer does works as on disk.
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const payloadOf = (envelope: DsseEnvelope) => JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
  // The in-process node reads its credentials as a deployed one does: the AWS SDK's environment.
  Object.assign(process.env, s3.env);
});
afterAll(() => s3?.close());

/** What a node under `prefix` holds in the bucket, read with the same credentials. */
const bucketStore = (prefix: string) => new S3BlobStore(s3.location(prefix), s3.credentials);

describe('S3 storage settings', () => {
  const base = { name: 'n', languages: ['sw'] };
  it('refuses credentials in node.json, naming where they belong', () => {
    expect(() => parseNodeConfig({ ...base, storage: { kind: 's3', bucket: 'tributary', accessKeyId: 'AKIA', secretAccessKey: 'x' } })).toThrow(
      /storage\.accessKeyId.*read from the environment \(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\)/,
    );
  });
  it('takes a bucket with defaults, and refuses a prefix that is not folders', () => {
    expect(parseNodeConfig({ ...base, storage: { kind: 's3', bucket: 'tributary' } }).storage).toEqual({
      kind: 's3', bucket: 'tributary', region: 'us-east-1', prefix: '', shardDownloads: 'proxy', redirectSeconds: 300,
    });
    expect(() => parseNodeConfig({ ...base, storage: { kind: 's3', bucket: 'tributary', prefix: 'nodes/sw' } })).toThrow(/storage\.prefix/);
    expect(parseNodeConfig(base).storage).toEqual({ kind: 'disk' });
  });
});

describe('a node on S3 storage: resumable uploads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-s3-node-'));
  let node: NodeProcess;
  afterAll(async () => {
    if (node) await killHard(node.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps an upload killed mid-way (client, then node) resumable, and stores the clip in the bucket, not in the node folder', async () => {
    expect(runCli(['node', 'init', '--dir', dir, '--name', 'S3 node', '--languages', 'sw']).status).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8'));
    config.storage = { kind: 's3', endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'nodes/tus/' };
    writeFileSync(join(dir, 'node.json'), JSON.stringify(config, null, 2));
    writeFileSync(join(dir, 'prompts.txt'), sentences['speech-5s.webm'] + '\n');
    expect(runCli(['prompts', 'import', join(dir, 'prompts.txt'), '--lang', 'sw', '--dir', dir]).status).toBe(0);

    node = await startNodeProcess(dir, [], s3.env);
    const api = apiClient(node.url + '/api/v1');
    const speaker = await joinWithConsent(api);
    const promptId = (await api.get('/prompts?lang=sw', speaker.token)).body.prompts[0].id as string;
    const file = audioFixtures().files['speech-5s.webm'];
    const source = readFileSync(file);
    const chunk = Math.ceil(source.length / 8);

    // The phone dies once half the file is stored; the node is killed too, and restarted.
    const first = await runTusClient([`--die-after=${Math.ceil(source.length / 2)}`, `${node.url}/api/v1/uploads`, file, speaker.token, promptId, String(chunk), '0']);
    const url = first.events.find((e) => e.event === 'dying')?.url;
    expect(url, JSON.stringify(first.events.slice(-3))).toBeDefined();
    await killHard(node.child);
    node = await startNodeProcess(dir, [], s3.env);
    const resumeAt = node.url + new URL(url!).pathname;
    const second = await runTusClient([`${node.url}/api/v1/uploads`, file, speaker.token, promptId, String(chunk), '0', resumeAt]);
    const done = second.events.find((e) => e.event === 'success');
    expect(done, JSON.stringify(second.events.slice(-3))).toBeDefined();
    expect(second.events.find((e) => e.event === 'progress')!.sent!).toBeGreaterThanOrEqual(source.length / 2);
    const sample = JSON.parse(done!.body!);
    expect(sample).toMatchObject({ modality: 'speech', status: 'pending' });

    // Analysed as on disk; the original and the 16 kHz copy are objects in the bucket.
    const exported = (await apiClient(node.url + '/api/v1').get('/me/export', speaker.token)).body.samples.find((s: { id: string }) => s.id === sample.id);
    expect(exported.audio.facts.durationSeconds).toBeGreaterThan(4);
    const blobs = bucketStore('nodes/tus/blobs/');
    expect(sha256(await blobs.get(exported.audio.originalKey))).toBe(sha256(source));
    expect(await blobs.stat(exported.audio.normalizedKey)).not.toBeNull();
    // Nothing of it in the node's folder: no blobs there, and the upload's staging files are gone.
    expect(existsSync(join(dir, 'blobs'))).toBe(false);
    expect(readdirSync(join(dir, 'uploads')).filter((name) => !name.startsWith('.'))).toEqual([]);
  }, 120_000);
});

describe('a node on S3 storage: releases, shard downloads (through the node and presigned) and withdrawal', () => {
  let t: TestNode;
  let data: ReleaseData;
  let admin: string;
  /** The sample the resumable upload made. */
  let resumed: string;
  const releases = () => bucketStore('nodes/releases/releases/');

  beforeAll(async () => {
    t = await startTestNode({
      languages: ['sw', 'yo'],
      releases: { redactAfterSeconds: 1 },
      storage: { kind: 's3', endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'nodes/releases/', shardDownloads: 'redirect', redirectSeconds: 120 },
    });
    admin = t.node.context.contributors.issueAdminToken().token;
    data = await seedReleaseData(t);
    // One more clip from the first speaker by resumable upload, the phone dying half way, then
    // validated: it goes through the release like the others, and leaves it with its speaker.
    const speaker = data.speakers[0]!;
    const [promptId] = importPrompts(t, 'sw', ['Tunaenda sokoni kesho asubuhi na mapema.']);
    const file = audioFixtures().files['speech-5s.webm'];
    const size = readFileSync(file).length;
    const chunk = String(Math.ceil(size / 8));
    const first = await runTusClient([`--die-after=${Math.ceil(size / 2)}`, `${t.url}/api/v1/uploads`, file, speaker.token, promptId!, chunk, '0']);
    const resumeAt = first.events.find((e) => e.event === 'dying')?.url;
    expect(resumeAt, JSON.stringify(first.events.slice(-3))).toBeDefined();
    const second = await runTusClient([`${t.url}/api/v1/uploads`, file, speaker.token, promptId!, chunk, '0', resumeAt!]);
    const done = second.events.find((e) => e.event === 'success');
    expect(done, JSON.stringify(second.events.slice(-3))).toBeDefined();
    resumed = JSON.parse(done!.body!).id as string;
    await validate(t, resumed, data.validators);
    data.speech.push({ id: resumed, speaker: speaker.id });
    const built = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', seed: 7 }, admin);
    expect(built.status, JSON.stringify(built.body)).toBe(201);
  }, 180_000);
  afterAll(() => t?.stop());

  const current = async () => {
    const envelope = (await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`).then((r) => r.json())) as DsseEnvelope;
    const manifest = payloadOf(envelope);
    const files = (manifest.distribution as Array<Record<string, string>>).filter((d) => d['@type'] === 'cr:FileObject' && d.name!.startsWith('data/'));
    return { version: manifest['tributary:releaseVersion'] as string, files: files.map((f) => ({ name: f.name!, url: new URL(f.contentUrl!, t.url), sha256: f.sha256! })) };
  };

  it('publishes the release into the bucket and serves its shards by redirect to a presigned URL, Range included', async () => {
    const { version, files } = await current();
    expect(files.length).toBeGreaterThan(0);
    const released = t.inspect((db) =>
      db.prepare('SELECT rr.shard FROM release_records rr JOIN releases r ON r.id = rr.release_id WHERE r.version = ? AND rr.sample_id = ?').pluck().get(version, resumed),
    ) as string | undefined;
    expect(files.map((f) => f.name)).toContain(released);
    expect(existsSync(join(t.dir, 'releases'))).toBe(false);
    for (const file of files) {
      expect(await releases().stat(`sw-speech/${version}/${file.name}`), file.name).not.toBeNull();
      const redirect = await fetch(file.url, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('cache-control')).toBe('no-store');
      const location = new URL(redirect.headers.get('location')!);
      expect(location.origin).toBe(s3.endpoint);
      expect(location.searchParams.get('X-Amz-Expires')).toBe('120');
      // A trainer's client follows it and gets the bytes the signed manifest names.
      const followed = await fetch(file.url);
      expect(followed.status).toBe(200);
      expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(file.sha256);
      const range = await fetch(file.url, { headers: { range: 'bytes=0-3' } });
      expect(range.status).toBe(206);
      expect(Buffer.from(await range.arrayBuffer()).toString('latin1')).toBe('PAR1');
    }
  });

  it('checks access and records receipts at the node before redirecting a gated shard', async () => {
    const { files } = await current();
    expect((await t.api.put('/admin/datasets/sw-speech/access', { accessClass: 'gated' }, admin)).status).toBe(200);
    try {
      const refused = await fetch(files[0]!.url, { redirect: 'manual' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('location')).toBeNull();
      const grant = await t.api.post('/datasets/sw-speech/access', { name: 'Lab', contact: 'lab@example.org', purpose: 'ASR research', acceptTerms: true });
      const receipts = async () => (await t.api.get('/admin/receipts?dataset=sw-speech', admin)).body.receipts as Array<{ shard: string }>;
      const before = (await receipts()).length;
      const granted = await fetch(files[0]!.url, { headers: { authorization: `Bearer ${grant.body.token}` } });
      expect(granted.status, await granted.clone().text()).toBe(200);
      expect(sha256(new Uint8Array(await granted.arrayBuffer()))).toBe(files[0]!.sha256);
      expect((await receipts()).length).toBe(before + 1);
    } finally {
      expect((await t.api.put('/admin/datasets/sw-speech/access', { accessClass: 'open' }, admin)).status).toBe(200);
    }
  });

  it('serves the same bytes through the node when it does not redirect (shardDownloads: proxy)', async () => {
    const { files } = await current();
    const storage = t.node.context.storage;
    const redirectSeconds = storage.shardRedirectSeconds;
    storage.shardRedirectSeconds = undefined;
    try {
      const direct = await fetch(files[0]!.url, { redirect: 'manual' });
      expect(direct.status).toBe(200);
      expect(sha256(new Uint8Array(await direct.arrayBuffer()))).toBe(files[0]!.sha256);
      const range = await fetch(files[0]!.url, { headers: { range: 'bytes=4-9' }, redirect: 'manual' });
      expect(range.status).toBe(206);
      expect(range.headers.get('content-range')).toMatch(/^bytes 4-9\/\d+$/);
    } finally {
      storage.shardRedirectSeconds = redirectSeconds;
    }
  });

  it('backs up the node without the bucket, and the node restored from it serves the same identity, manifest and shards from the bucket', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tributary-s3-backup-'));
    let restored: NodeProcess | undefined;
    try {
      const file = join(work, 'node.tar');
      const backup = runCli(['node', 'backup', '--dir', t.dir, '--out', file, '--json']);
      expect(backup.status, backup.stderr).toBe(0);
      expect(JSON.parse(backup.stdout)).toMatchObject({ samples: data.speech.length + data.text.length });
      // The clips and releases stay in the bucket (its own versioning keeps them): the archive holds the database, settings and keys.
      const archived = readFileSync(file).toString('latin1');
      expect(archived).toContain('keys/');
      expect(archived).not.toMatch(/blobs\/samples\/|releases\/sw-speech/);

      const dir = join(work, 'restored');
      const restore = runCli(['node', 'restore', '--from', file, '--dir', dir, '--no-recover', '--json']);
      expect(restore.status, restore.stderr).toBe(0);
      restored = await startNodeProcess(dir, [], s3.env);
      const served = async (url: string) => (await fetch(url)).text();
      expect(await served(`${restored.url}/.well-known/tributary.json`)).toBe(await served(`${t.url}/.well-known/tributary.json`));
      expect(await served(`${restored.url}/api/v1/datasets/sw-speech/manifest`)).toBe(await served(`${t.url}/api/v1/datasets/sw-speech/manifest`));
      for (const shard of (await current()).files) {
        const fromRestored = await fetch(new URL(shard.url.pathname, restored.url));
        expect(fromRestored.status, shard.name).toBe(200);
        expect(sha256(new Uint8Array(await fromRestored.arrayBuffer())), shard.name).toBe(shard.sha256);
      }
    } finally {
      if (restored) await killHard(restored.child);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('answers 410 for a withdrawn speaker’s shard instead of redirecting, rebuilds without them, and deletes their clips from the bucket', async () => {
    const before = await current();
    const leaving = data.speakers[0]!;
    const theirs = data.speech.filter((s) => s.speaker === leaving.id).map((s) => s.id);
    const keys = t.inspect((db) =>
      theirs.flatMap((id) => Object.values(db.prepare('SELECT audio_original, audio_normalized FROM samples WHERE id = ?').get(id) as Record<string, string>)),
    );
    const blobs = bucketStore('nodes/releases/blobs/');
    for (const key of keys) expect(await blobs.stat(key), key).not.toBeNull();
    const holding = t.inspect((db) =>
      db
        .prepare('SELECT DISTINCT rr.shard FROM release_records rr JOIN releases r ON r.id = rr.release_id WHERE r.version = ? AND rr.sample_id IN (SELECT value FROM json_each(?))')
        .pluck()
        .all(before.version, JSON.stringify(theirs)),
    ) as string[];
    const url = before.files.find((f) => f.name === holding[0])!.url;
    url.searchParams.set('version', before.version);

    expect((await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBe(200);
    const gone = await fetch(url, { redirect: 'manual' });
    expect(gone.status).toBe(410);
    expect(gone.headers.get('location')).toBeNull();

    // The node rebuilds by itself (redactAfterSeconds: 1) and deletes the clips.
    const deadline = Date.now() + 60_000;
    let after = before;
    while (Date.now() < deadline && (after.version === before.version || (await blobs.stat(keys[0]!)) !== null)) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await current();
    }
    expect(after.version).not.toBe(before.version);
    for (const key of keys) expect(await blobs.stat(key), key).toBeNull();
    for (const file of after.files) {
      const followed = await fetch(file.url);
      expect(followed.status).toBe(200);
      expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(file.sha256);
    }
    expect((await fetch(url)).status).toBe(410);
  }, 90_000);
});
