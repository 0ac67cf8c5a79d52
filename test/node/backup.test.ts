import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killHard, runCli, runCliAsync, startNodeProcess, type NodeProcess } from '../helpers/cli.js';
import { rowCounts, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { startTestIndex, type TestIndex } from '../index/helpers.js';
import { seedReleaseData, type ReleaseData } from '../helpers/release-data.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesAt = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

/**
 * `tributary node backup` of a running node and `node restore` into a new folder: the restored
 * node is the same node (same keys, same signed manifests, same shards, same people's data).
 */
describe('node backup and restore', () => {
  let t: TestNode;
  let data: ReleaseData;
  let work: string;
  let restored: NodeProcess | undefined;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 86_400 } });
    const admin = runCli(['admin', 'token', '--dir', t.dir]).stdout.trim();
    data = await seedReleaseData(t, { speakers: 2 });
    const built = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', seed: 7 }, admin);
    expect(built.status, JSON.stringify(built.body)).toBe(201);
    work = mkdtempSync(join(tmpdir(), 'tributary-backup-'));
  }, 120_000);
  afterAll(async () => {
    if (restored) killHard(restored.child);
    await t.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up a running node, and the restored node is the same node: identity, signed manifest, shards, people', async () => {
    // A clip whose upload landed after the snapshot: its row is not in the backup's database.
    const orphan = join(t.dir, 'blobs', 'samples', '01ORPHANRECORDEDAFTERSNAPSHOT', 'original.webm');
    mkdirSync(join(orphan, '..'), { recursive: true });
    writeFileSync(orphan, 'a clip the snapshot has no sample for');

    const file = join(work, 'node.backup.tar');
    const backup = await runCliAsync(['node', 'backup', '--dir', t.dir, '--out', file, '--json']);
    expect(backup.status, backup.stderr).toBe(0);
    const summary = JSON.parse(backup.stdout);
    expect(summary).toMatchObject({ file, samples: data.speech.length + data.text.length });
    expect(readdirPartials(work)).toEqual([]);

    const dir = join(work, 'restored');
    const restore = await runCliAsync(['node', 'restore', '--from', file, '--dir', dir, '--json']);
    expect(restore.status, restore.stderr).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ dir, files: summary.files, leftOut: 1 });
    expect(existsSync(join(dir, 'blobs', 'samples', '01ORPHANRECORDEDAFTERSNAPSHOT', 'original.webm'))).toBe(false);

    const before = t.inspect(rowCounts);
    const after = new Database(join(dir, 'node.sqlite'), { readonly: true });
    try {
      expect(rowCounts(after)).toEqual(before);
    } finally {
      after.close();
    }

    restored = await startNodeProcess(dir);
    for (const path of ['/.well-known/did.json', '/.well-known/tributary.json', '/api/v1/datasets/sw-speech/manifest']) {
      expect(sha256(await bytesAt(restored.url + path)), path).toBe(sha256(await bytesAt(t.url + path)));
    }
    const envelope = JSON.parse(Buffer.from(await bytesAt(t.url + '/api/v1/datasets/sw-speech/manifest')).toString());
    const manifest = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    const shards = (manifest.distribution as Array<{ contentUrl?: string; sha256?: string }>).filter((f) => f.sha256 && f.contentUrl);
    expect(shards.length).toBeGreaterThan(0);
    for (const shard of shards) expect(sha256(await bytesAt(new URL(shard.contentUrl!, restored.url).href))).toBe(shard.sha256);

    // A volunteer's token and clips work on the restored node as before.
    const [speaker] = data.speakers;
    const me = await fetch(`${restored.url}/api/v1/me`, { headers: { authorization: `Bearer ${speaker!.token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { id: string }).id).toBe(speaker!.id);
    const clip = await fetch(`${restored.url}/api/v1/samples/${data.speech[0]!.id}/audio`, { headers: { authorization: `Bearer ${speaker!.token}` } });
    const original = await fetch(`${t.url}/api/v1/samples/${data.speech[0]!.id}/audio`, { headers: { authorization: `Bearer ${speaker!.token}` } });
    expect(clip.status).toBe(200);
    expect(sha256(new Uint8Array(await clip.arrayBuffer()))).toBe(sha256(new Uint8Array(await original.arrayBuffer())));
  }, 120_000);

  it('refuses to restore over a node, and a damaged backup, leaving nothing behind', async () => {
    const file = join(work, 'second.tar');
    const backup = await runCliAsync(['node', 'backup', '--dir', t.dir, '--out', file]);
    expect(backup.status, backup.stderr).toBe(0);

    const over = await runCliAsync(['node', 'restore', '--from', file, '--dir', t.dir]);
    expect(over.status).not.toBe(0);
    expect(over.stderr).toMatch(/already holds a node/);

    // One byte changed inside the database's bytes, and the archive cut short: each refused in one line.
    const bytes = readFileSync(file);
    const damaged = Buffer.from(bytes);
    const databaseAt = entryDataOffset(damaged, 'node.sqlite');
    damaged[databaseAt + 100] = damaged[databaseAt + 100]! ^ 0xff;
    for (const [name, content, message] of [
      ['damaged.tar', damaged, /^tributary: .*node\.sqlite .*damaged/],
      ['cut.tar', bytes.subarray(0, Math.floor(bytes.length / 2)), /^tributary: .*(cannot be read as a node backup|incomplete)/],
    ] as const) {
      writeFileSync(join(work, name), content);
      const target = join(work, `from-${name}`);
      const refused = await runCliAsync(['node', 'restore', '--from', join(work, name), '--dir', target]);
      expect(refused.status, name).toBe(1);
      expect(refused.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(refused.stderr, name).toMatch(message);
      expect(existsSync(target), name).toBe(false);
    }
    expect(readdirPartials(work)).toEqual([]);
  }, 60_000);
});

/**
 * Withdrawals made after the backup was taken reach the restored node: every one that touched a
 * published release left a signed notice at the node's index, and `node restore` applies those
 * the backup does not hold before the node ever starts again.
 */
describe('a restore carries withdrawals made after the backup', () => {
  let index: TestIndex;
  let t: TestNode;
  let data: ReleaseData;
  let work: string;
  let restored: NodeProcess | undefined;

  beforeAll(async () => {
    index = await startTestIndex();
    t = await startTestNode({ languages: ['sw'], indexes: [index.url], releases: { redactAfterSeconds: 86_400 } });
    const admin = runCli(['admin', 'token', '--dir', t.dir]).stdout.trim();
    data = await seedReleaseData(t, { speakers: 2 });
    const built = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', seed: 7 }, admin);
    expect(built.status, JSON.stringify(built.body)).toBe(201);
    await feedHas(index, 'manifest.published');
    work = mkdtempSync(join(tmpdir(), 'tributary-backup-withdrawals-'));
  }, 120_000);
  afterAll(async () => {
    if (restored) await killHard(restored.child);
    await t?.stop();
    await index?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('withdraws the volunteer’s consent record and every sample under it, released or not, stores the same notice, and serves 410', async () => {
    const file = join(work, 'node.backup.tar');
    expect((await runCliAsync(['node', 'backup', '--dir', t.dir, '--out', file])).status).toBe(0);

    // After the backup: a speaker withdraws. Their speech is in the release (a notice goes to the
    // index); their texts are not in any release (nothing leaves the node about them).
    const [leaving, staying] = data.speakers as [Volunteer, Volunteer];
    expect((await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBe(200);
    await feedHas(index, 'withdrawal');
    const noticeIds = t.inspect((db) => db.prepare("SELECT id FROM notices WHERE kind = 'withdrawal'").pluck().all()) as string[];
    expect(noticeIds).toHaveLength(1);
    const theirs = [...data.speech, ...data.text].filter((s) => s.speaker === leaving.id).map((s) => s.id);
    const others = [...data.speech, ...data.text].filter((s) => s.speaker === staying.id).map((s) => s.id);

    // Without asking the index, the restored node holds the withdrawn samples again.
    const unrecovered = join(work, 'unrecovered');
    const plain = await runCliAsync(['node', 'restore', '--from', file, '--dir', unrecovered, '--no-recover', '--json']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(statuses(unrecovered, theirs)).toEqual(theirs.map(() => 'validated'));

    const dir = join(work, 'restored');
    const restore = await runCliAsync(['node', 'restore', '--from', file, '--dir', dir, '--json']);
    expect(restore.status, restore.stderr).toBe(0);
    expect(JSON.parse(restore.stdout).withdrawals).toMatchObject({
      indexes: [{ index: index.url, notices: 1, recovered: 1 }],
      notices: 1,
      consentRecords: 1,
      samples: theirs.length,
      unverified: 0,
    });
    expect(statuses(dir, theirs)).toEqual(theirs.map(() => 'withdrawn'));
    expect(statuses(dir, others)).toEqual(others.map(() => 'validated'));
    const db = new Database(join(dir, 'node.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT withdrawn_at IS NOT NULL FROM consent_records WHERE id = ?').pluck().get(leaving.consentRecordId)).toBe(1);
      // The same notice as the node issued (no second one for the same records), naming the removals.
      expect(db.prepare("SELECT id FROM notices WHERE kind = 'withdrawal'").pluck().all()).toEqual(noticeIds);
      expect(db.prepare('SELECT count(*) FROM release_removals WHERE notice_id IS NULL').pluck().get()).toBe(0);
      expect(db.prepare('SELECT DISTINCT notice_id FROM release_removals').pluck().all()).toEqual(noticeIds);
    } finally {
      db.close();
    }
    // Their audio is gone from the restored folder.
    const speech = data.speech.filter((s) => s.speaker === leaving.id).map((s) => s.id);
    for (const id of speech) {
      const folder = join(dir, 'blobs', 'samples', id);
      expect(existsSync(folder) ? readdirSync(folder, { recursive: true }) : [], id).toEqual([]);
    }
    expect(readdirSync(join(unrecovered, 'blobs', 'samples', speech[0]!))).not.toEqual([]);

    // The restored node answers 410 for the shard that held their records, linking the notice.
    restored = await startNodeProcess(dir);
    const holding = new Database(join(dir, 'node.sqlite'), { readonly: true });
    const shard = holding.prepare('SELECT shard FROM release_removals LIMIT 1').pluck().get() as string;
    holding.close();
    const gone = await fetch(`${restored.url}/api/v1/datasets/sw-speech/shards/${shard}`);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('link')).toContain(noticeIds[0]);
  }, 120_000);
});

/** The statuses of these samples in a node folder's database, in order. */
function statuses(dir: string, ids: string[]): string[] {
  const db = new Database(join(dir, 'node.sqlite'), { readonly: true });
  try {
    return ids.map((id) => db.prepare('SELECT status FROM samples WHERE id = ?').pluck().get(id) as string);
  } finally {
    db.close();
  }
}

/** Waits until the index's feed holds an event of this type (the node's outbox pushes as things happen). */
async function feedHas(index: TestIndex, type: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { events } = (await index.api.get('/feed?cursor=0&limit=1000')).body as { events: Array<{ event: { type: string } }> };
    if (events.some((e) => e.event.type === type)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the index feed has no ${type} event`);
}

/** Where an entry's bytes start in a tar file (512-byte headers: the name at 0, the size in octal at 124). */
function entryDataOffset(tarFile: Buffer, name: string): number {
  for (let at = 0; at + 512 <= tarFile.length; ) {
    const entry = tarFile.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    const size = parseInt(tarFile.toString('ascii', at + 124, at + 136).replace(/\0.*$/s, '').trim(), 8);
    if (entry === name) return at + 512;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name} is not in the archive`);
}

function readdirPartials(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.partial') || name.includes('.restoring-'));
}
