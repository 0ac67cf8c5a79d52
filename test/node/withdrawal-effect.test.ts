import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyFromDidKey } from '../../pipelines/signing/did.js';
import { verifyEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import type { Split } from '../../pipelines/release/shards/types.js';
import { writeShards } from '../../pipelines/release/shards/write-shards.js';
import { verifyRelease } from '../../pipelines/release/verify/verify-release.js';
import { silentLogger } from '../../server/core/log.js';
import { loadNodeConfig } from '../../server/node/config.js';
import { createNode } from '../../server/node/create-node.js';
import { loadNodeSecrets } from '../../server/node/secrets.js';
import { joinWithConsent, openTestContext, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { seedReleaseData, validate, type ReleaseData } from '../helpers/release-data.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const payloadOf = (envelope: DsseEnvelope) => JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));

/** Texts beyond the seeded ones, for volunteers who write two each. */
const MORE_TEXTS = [
  'Baba yangu analima kahawa kwenye shamba letu la mlimani.',
  'Wanafunzi walisoma vitabu vipya kwenye maktaba ya shule.',
  'Tulipika chakula cha jioni pamoja na majirani zetu wote.',
  'Gari la moshi linaondoka stesheni saa mbili asubuhi.',
  'Dada yangu ameanza kazi mpya katika hospitali ya mkoa.',
  'Mvuvi alirudi pwani na samaki wengi kabla ya giza.',
  'Kijiji kizima kilikusanyika kusikiliza hotuba ya chifu.',
  'Nyumba yetu mpya ina madirisha makubwa yanayoangalia bahari.',
  'Walimu walifanya mkutano kujadili mitihani ya mwisho wa mwaka.',
  'Shangazi alituletea maembe matamu kutoka Tanga wiki iliyopita.',
  'Ng’ombe wa jirani walivunja uzio na kuingia shambani kwetu.',
  'Mtoto mdogo alicheka sana alipoona kipepeo kwa mara ya kwanza.',
];

interface FileObject {
  name: string;
  sha256: string;
  contentUrl: string;
}

const fileObjects = (manifest: Record<string, any>) =>
  (manifest.distribution as Array<Record<string, any>>).filter((f) => typeof f.sha256 === 'string') as FileObject[];

async function readRows(path: string): Promise<Array<Record<string, any>>> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path), utf8: false })) as Array<Record<string, any>>;
}

async function publishedKeys(t: TestNode): Promise<Map<string, KeyObject>> {
  const wellKnown = (await fetch(`${t.url}/.well-known/tributary.json`).then((r) => r.json())) as any;
  return new Map(
    wellKnown.publicKeys
      .filter((k: { use: string }) => k.use === 'signing')
      .map((k: { id: string; publicKeyMultibase: string }) => [k.id, publicKeyFromDidKey(`did:key:${k.publicKeyMultibase}`)]),
  );
}

/** The current release of a dataset as the node serves it: its envelope, manifest and folder. */
async function served(t: TestNode, dataset: string) {
  const envelope = (await fetch(`${t.url}/api/v1/datasets/${dataset}/manifest`).then((r) => r.json())) as DsseEnvelope;
  const manifest = payloadOf(envelope);
  const version = manifest['tributary:releaseVersion'] as string;
  return { envelope, manifest, version, folder: join(t.dir, 'releases', dataset, version), files: fileObjects(manifest) };
}

const releasesOf = (t: TestNode, dataset: string) =>
  t.inspect((db) => db.prepare('SELECT version FROM releases WHERE dataset_id = ? ORDER BY rev').pluck().all(dataset)) as string[];

/** The shard of a release that holds a record, as the node recorded it. */
const shardOf = (t: TestNode, dataset: string, version: string, sampleId: string) =>
  t.inspect((db) =>
    db
      .prepare('SELECT rr.shard FROM release_records rr JOIN releases r ON r.id = rr.release_id WHERE r.dataset_id = ? AND r.version = ? AND rr.sample_id = ?')
      .pluck()
      .get(dataset, version, sampleId),
  ) as string | undefined;

/** The sha256 of the shard `writeShards` makes of these text rows, as a build writes them. */
async function freshShard(rows: Array<Record<string, any>>, split: Split): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fresh-shard-'));
  try {
    async function* records() {
      for (const row of rows) {
        yield { key: row.key, text: row.text, language: row.language, speakerId: row.speaker_id, ageBand: row.age_band, gender: row.gender, variant: row.variant, accent: row.accent };
      }
    }
    const [file] = await writeShards(records(), { dir, split, modality: 'text', format: 'parquet' });
    return file!.sha256;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Checks a release folder as `tributary release verify --node` does: against the node's published keys. */
async function verifyFolder(t: TestNode, folder: string) {
  const verdict = await verifyRelease(readFileSync(join(folder, 'croissant.dsse.json')), {
    trustedKeys: await publishedKeys(t),
    expectedDid: t.node.context.identity.did,
    publishedCopy: { name: 'croissant.json', bytes: readFileSync(join(folder, 'croissant.json')) },
    openShard: (name) => (existsSync(join(folder, name)) ? createReadStream(join(folder, name)) : null),
  });
  return verdict;
}

describe('withdrawal takes effect at once, and the node rebuilds without it', () => {
  let t: TestNode;
  let data: ReleaseData;
  let admin: string;
  /** Volunteers who write two texts each, beyond the seeded speakers. */
  const writers: Array<Volunteer & { texts: string[] }> = [];
  let leavingSpeaker = '';

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw', 'yo'], releases: { redactAfterSeconds: 1 } });
    admin = t.node.context.contributors.issueAdminToken().token;
    data = await seedReleaseData(t);
    for (let w = 0; w < 6; w++) {
      const writer = { ...(await joinWithConsent(t.api)), texts: [] as string[] };
      for (const text of MORE_TEXTS.slice(2 * w, 2 * w + 2)) {
        const written = await t.api.post('/samples/text', { language: 'sw', text }, writer.token);
        if (written.status !== 201) throw new Error(JSON.stringify(written.body));
        await validate(t, written.body.id, data.validators);
        writer.texts.push(written.body.id);
      }
      writers.push(writer);
    }
    const speech = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech', seed: 7 }, admin);
    if (speech.status !== 201) throw new Error(JSON.stringify(speech.body));
    // Small shards, so that a text release has several per split and a withdrawal touches only some.
    const text = await t.node.context.releaseBuilder.build({ language: 'sw', modality: 'text', seed: 7, targetShardBytes: 7_000 });
    if (text.shards.length < 6) throw new Error(`expected several text shards, got ${text.shards.length}`);
  }, 180_000);
  afterAll(() => t?.stop());

  it('the withdrawn speaker’s shard answers 410 at once, with a Link to the signed notice, before any rebuild (the user’s finding)', async () => {
    const { redactions } = t.node.context;
    // No rebuild may happen until this test says so: what is checked is the old release's URL.
    const release = redactions.hold();
    try {
      const before = await served(t, 'sw-speech');
      expect(before.version).toBe('1.0.0');
      // The speaker alone in the dev split (the splits give dev and test one speaker each of four).
      const leaving = data.speakers.find((v) =>
        data.speech.filter((s) => s.speaker === v.id).every((s) => shardOf(t, 'sw-speech', '1.0.0', s.id)?.startsWith('data/dev-')),
      )!;
      leavingSpeaker = leaving.id;
      const theirs = data.speech.filter((s) => s.speaker === leaving.id).map((s) => s.id);
      const holding = shardOf(t, 'sw-speech', '1.0.0', theirs[0]!)!;
      const file = before.files.find((f) => f.name === holding)!;
      // The URL a trainer holds, as the manifest gives it (…/shards/data/train-00000-of-00001.parquet?version=1.0.0).
      const url = new URL(file.contentUrl, t.url);
      url.searchParams.set('version', '1.0.0');
      expect((await fetch(url)).status).toBe(200);
      const untouched = before.files.find((f) => theirs.every((id) => shardOf(t, 'sw-speech', '1.0.0', id) !== f.name))!;
      expect(untouched).toBeDefined();

      expect((await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBe(200);

      const gone = await fetch(url);
      expect(gone.status).toBe(410);
      const body = (await gone.json()) as any;
      expect(body.error).toMatchObject({ code: 'ShardWithdrawn', details: { dataset: 'sw-speech', version: '1.0.0', shard: holding } });
      const [link] = body.error.details.notices as Array<{ id: string; url: string }>;
      expect(link!.url).toBe(`${t.url}/api/v1/notices/${link!.id}`);
      expect(gone.headers.get('link')).toContain(`<${link!.url}>; rel="describedby"`);
      expect(gone.headers.get('link')).toContain(`<${t.url}/api/v1/notices?dataset=sw-speech>; rel="related"`);
      // HEAD and a Range request are refused the same way, Link included.
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(410);
      expect(head.headers.get('link')).toContain(link!.url);
      expect((await fetch(url, { headers: { range: 'bytes=0-99' } })).status).toBe(410);
      // A shard that holds none of their records is served as before, and so is the manifest.
      expect((await fetch(new URL(untouched.contentUrl, t.url))).status).toBe(200);
      expect((await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`)).status).toBe(200);

      // The link leads to the signed notice naming exactly their records and the shard that held them.
      const linked = (await fetch(link!.url).then((r) => r.json())) as any;
      expect(linked).toMatchObject({ id: link!.id, kind: 'withdrawal', dataset: 'sw-speech' });
      expect(verifyEnvelope(linked.envelope, await publishedKeys(t)).ok).toBe(true);
      const notice = payloadOf(linked.envelope);
      expect(notice).toMatchObject({ dataset: 'sw-speech', release: { version: '1.0.0' }, reason: 'consent-withdrawn', records: [...theirs].sort() });
      expect(notice.shards).toContainEqual({ name: holding, sha256: file.sha256 });
      // The same notice is in the feed of every kind, and in /withdrawals as before.
      const feed = (await t.api.get('/notices?dataset=sw-speech')).body.notices as Array<{ id: string }>;
      expect(feed.map((n) => n.id)).toContain(link!.id);
      const withdrawals = (await t.api.get('/withdrawals')).body.notices as Array<{ envelope: DsseEnvelope }>;
      expect(withdrawals.map((n) => payloadOf(n.envelope).id)).toContain(link!.id);
      // Nothing was rebuilt: the refusal needed no new version.
      expect(releasesOf(t, 'sw-speech')).toEqual(['1.0.0']);
    } finally {
      release();
    }
    await redactions.settled();
    // Then the node rebuilt it by itself, without them, and the old URL keeps answering 410.
    expect(releasesOf(t, 'sw-speech')).toEqual(['1.0.0', '2.0.0']);
    const after = await served(t, 'sw-speech');
    const kept = new Set<string>();
    for (const file of after.files) for (const row of await readRows(join(after.folder, file.name))) kept.add(row.key);
    expect([...kept].sort()).toEqual(data.speech.filter((s) => s.speaker !== leavingSpeaker).map((s) => s.id).sort());
    // Their split's one shard is left with no records: it stays, empty, under its name.
    const dev = after.files.find((f) => f.name === 'data/dev-00000-of-00001.parquet')!;
    expect(dev).toBeDefined();
    expect(await readRows(join(after.folder, dev.name))).toEqual([]);
    expect(after.manifest['tributary:splits']).toContainEqual(
      expect.objectContaining({ 'tributary:split': 'dev', 'tributary:records': 0, 'tributary:speakers': 0, 'tributary:shards': 1 }),
    );
    expect((await fetch(new URL(dev.contentUrl, t.url))).status).toBe(200);
    expect((await verifyFolder(t, after.folder)).ok).toBe(true);
  });

  it('a burst of three withdrawals makes one MAJOR version: unaffected shards keep their bytes and sha256, affected ones lose exactly the withdrawn records', async () => {
    const { redactions } = t.node.context;
    const before = await served(t, 'sw-text');
    const oldShards = new Map<string, { sha256: string; bytes: Buffer; rows: Array<Record<string, any>> }>();
    for (const file of before.files) {
      const path = join(before.folder, file.name);
      oldShards.set(file.name, { sha256: file.sha256, bytes: readFileSync(path), rows: await readRows(path) });
    }
    const leaving = writers.slice(0, 3);
    const withdrawn = new Set(leaving.flatMap((w) => w.texts));
    const versions = releasesOf(t, 'sw-text');

    // A burst: three withdrawals, none of which may start a rebuild before the others land.
    const release = redactions.hold();
    try {
      for (const writer of leaving) expect((await t.api.delete(`/consents/${writer.consentRecordId}`, writer.token)).status).toBe(200);
      expect(releasesOf(t, 'sw-text')).toEqual(versions);
    } finally {
      release();
    }
    await redactions.settled();

    const major = Number(before.version.split('.')[0]);
    expect(releasesOf(t, 'sw-text')).toEqual([...versions, `${major + 1}.0.0`]);
    const after = await served(t, 'sw-text');
    expect(after.manifest).toMatchObject({
      'tributary:releaseVersion': `${major + 1}.0.0`,
      'tributary:rev': before.manifest['tributary:rev'] + 1,
      'tributary:previousManifest': sha256(Buffer.from(before.envelope.payload, 'base64')),
      'tributary:withdrawnSincePrevious': withdrawn.size,
      'tributary:records': before.manifest['tributary:records'] - withdrawn.size,
    });
    // The same shards by name: the layout, splits and names are the previous release's.
    expect(after.files.map((f) => f.name)).toEqual(before.files.map((f) => f.name));
    let carried = 0;
    let rewritten = 0;
    for (const file of after.files) {
      const old = oldShards.get(file.name)!;
      const bytes = readFileSync(join(after.folder, file.name));
      expect(sha256(bytes)).toBe(file.sha256);
      if (old.rows.some((row) => withdrawn.has(row.key))) {
        rewritten++;
        expect(file.sha256).not.toBe(old.sha256);
        // Exactly the withdrawn records gone; every other row as it was, in the same order…
        const remaining = old.rows.filter((row) => !withdrawn.has(row.key));
        expect(await readRows(join(after.folder, file.name))).toEqual(remaining);
        // …and the very bytes the shard writer gives for those records: what a build of them would be.
        if (remaining.length > 0) expect(file.sha256).toBe(await freshShard(remaining, file.name.split('/')[1]!.split('-')[0] as Split));
      } else {
        carried++;
        expect(file.sha256).toBe(old.sha256);
        expect(bytes.equals(old.bytes)).toBe(true);
      }
    }
    expect(rewritten).toBeGreaterThan(0);
    expect(carried).toBeGreaterThan(0);
    // The old version is gone as a whole; the new one verifies against the node's keys.
    expect((await fetch(new URL(before.files[0]!.contentUrl, t.url))).status).toBe(410);
    const verdict = await verifyFolder(t, after.folder);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('upholding a report on a released sample withdraws it from the release: 410, a notice with reason moderation, a rebuild without it', async () => {
    const { redactions } = t.node.context;
    const before = await served(t, 'sw-text');
    const reported = writers[3]!.texts[0]!;
    const holding = shardOf(t, 'sw-text', before.version, reported)!;
    const url = new URL(before.files.find((f) => f.name === holding)!.contentUrl, t.url);
    expect((await fetch(url)).status).toBe(200);

    // Gated meanwhile: a withdrawn shard is refused to grant holders too, and leaves no receipt.
    expect((await t.api.put('/admin/datasets/sw-text/access', { accessClass: 'gated' }, admin)).status).toBe(200);
    const grant = await t.api.post('/datasets/sw-text/access', { name: 'Lab', contact: 'lab@example.org', purpose: 'LM research', acceptTerms: true });
    const withGrant = { headers: { authorization: `Bearer ${grant.body.token}` } };
    expect((await fetch(url, withGrant)).status).toBe(200);
    const receipts = async () => (await t.api.get('/admin/receipts?dataset=sw-text', admin)).body.receipts.length as number;
    const receiptsBefore = await receipts();

    const release = redactions.hold();
    try {
      const report = await t.api.post(`/samples/${reported}/reports`, { reason: 'personal-data' }, data.validators[0]!.token);
      expect(report.status, JSON.stringify(report.body)).toBe(201);
      // An open report holds the sample back from new releases, but a published shard is still served…
      expect((await fetch(url, withGrant)).status).toBe(200);
      const upheld = await t.api.post(`/admin/reports/${report.body.id}/resolution`, { decision: 'uphold' }, admin);
      expect(upheld.status).toBe(200);
      // …until a moderator upholds it: 410 to everyone, before any token is looked at.
      for (const init of [{}, withGrant]) {
        const gone = await fetch(url, init);
        expect(gone.status).toBe(410);
        const { details } = ((await gone.json()) as any).error;
        const linked = (await fetch(details.notices[0].url).then((r) => r.json())) as any;
        expect(payloadOf(linked.envelope)).toMatchObject({ dataset: 'sw-text', reason: 'moderation', records: [reported] });
      }
      expect(await receipts()).toBe(receiptsBefore + 1);
    } finally {
      release();
    }
    await redactions.settled();
    const after = await served(t, 'sw-text');
    expect(after.version).toBe(`${Number(before.version.split('.')[0]) + 1}.0.0`);
    expect(after.manifest['tributary:withdrawnSincePrevious']).toBe(1);
    const rows = await readRows(join(after.folder, holding));
    expect(rows.map((r) => r.key)).not.toContain(reported);
    // The rebuild carries the access class that holds now.
    expect(after.manifest['tributary:accessClass']).toBe('gated');
    expect((await verifyFolder(t, after.folder)).ok).toBe(true);
    expect((await t.api.put('/admin/datasets/sw-text/access', { accessClass: 'open' }, admin)).status).toBe(200);
  });

  it('a dataset emptied by withdrawals is retracted: 410 everywhere, a signed retraction notice, its files gone', async () => {
    const { redactions } = t.node.context;
    const writer = await joinWithConsent(t.api);
    const written = await t.api.post('/samples/text', { language: 'yo', text: 'Mo fẹ́ràn láti ka ìwé ní àárọ̀ kùtùkùtù.' }, writer.token);
    expect(written.status).toBe(201);
    await validate(t, written.body.id, data.validators);
    expect((await t.api.post('/admin/releases', { language: 'yo', modality: 'text' }, admin)).status).toBe(201);
    const before = await served(t, 'yo-text');

    expect((await t.api.delete('/me', writer.token)).status).toBe(200);
    await redactions.settled();

    expect(releasesOf(t, 'yo-text')).toEqual(['1.0.0']);
    const manifest = await fetch(`${t.url}/api/v1/datasets/yo-text/manifest`);
    expect(manifest.status).toBe(410);
    const refusal = ((await manifest.json()) as any).error;
    expect(refusal).toMatchObject({ code: 'DatasetRetracted', details: { dataset: 'yo-text', reason: 'Every record of this dataset was withdrawn.' } });
    expect(manifest.headers.get('link')).toContain(refusal.details.notices[0].url);
    expect((await fetch(new URL(before.files[0]!.contentUrl, t.url))).status).toBe(410);
    expect(((await t.api.get('/datasets')).body.datasets as Array<{ id: string }>).map((d) => d.id)).not.toContain('yo-text');
    const retraction = (await t.api.get('/notices?dataset=yo-text&kind=retraction')).body.notices as Array<{ envelope: DsseEnvelope }>;
    expect(retraction).toHaveLength(1);
    expect(verifyEnvelope(retraction[0]!.envelope, await publishedKeys(t)).ok).toBe(true);
    expect(payloadOf(retraction[0]!.envelope)).toMatchObject({ type: 'tributary:retraction/1', dataset: 'yo-text', reason: 'Every record of this dataset was withdrawn.' });
    expect(existsSync(join(t.dir, 'releases', 'yo-text'))).toBe(false);
  });
});

describe('a withdrawal that takes a demographic cell under five speakers', () => {
  let t: TestNode;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 1 } });
  }, 30_000);
  afterAll(() => t?.stop());

  it('blanks the value in every shard, also those that held none of the withdrawn records', async () => {
    const validators = [await joinWithConsent(t.api), await joinWithConsent(t.api)];
    const writers: Array<Volunteer & { texts: string[] }> = [];
    for (let w = 0; w < 5; w++) {
      const writer = { ...(await joinWithConsent(t.api)), texts: [] as string[] };
      expect((await t.api.patch('/me', { accent: 'pwani' }, writer.token)).status).toBe(200);
      for (const text of MORE_TEXTS.slice(2 * w, 2 * w + 2)) {
        const written = await t.api.post('/samples/text', { language: 'sw', text }, writer.token);
        expect(written.status).toBe(201);
        await validate(t, written.body.id, validators);
        writer.texts.push(written.body.id);
      }
      writers.push(writer);
    }
    await t.node.context.releaseBuilder.build({ language: 'sw', modality: 'text', seed: 7, targetShardBytes: 7_000 });
    const before = await served(t, 'sw-text');
    // Five speakers share the accent: the cell is published, and the shards show the value.
    expect(before.manifest['tributary:demographics']).toEqual([expect.objectContaining({ 'tributary:field': 'accent', 'tributary:value': 'pwani', 'tributary:speakers': 5 })]);
    const oldRows = new Map<string, Array<Record<string, any>>>();
    for (const file of before.files) oldRows.set(file.name, await readRows(join(before.folder, file.name)));
    for (const rows of oldRows.values()) for (const row of rows) expect(row.accent).toBe('pwani');
    const leaving = writers[0]!;
    const untouched = before.files.filter((f) => !oldRows.get(f.name)!.some((row) => leaving.texts.includes(row.key)));
    expect(untouched.length).toBeGreaterThan(0);

    expect((await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBe(200);
    await t.node.context.redactions.settled();

    const after = await served(t, 'sw-text');
    expect(after.version).toBe('2.0.0');
    expect(after.manifest['tributary:demographics']).toEqual([]);
    for (const file of after.files) {
      const rows = await readRows(join(after.folder, file.name));
      const expected = oldRows
        .get(file.name)!
        .filter((row) => !leaving.texts.includes(row.key))
        .map((row) => ({ ...row, accent: null }));
      expect(rows).toEqual(expected);
    }
    // Those that held none of the withdrawn records were written again too: the value is gone from every shard.
    for (const file of untouched) expect(after.files.find((f) => f.name === file.name)!.sha256).not.toBe(file.sha256);
    expect((await verifyFolder(t, after.folder)).ok).toBe(true);
  });
});

describe('a redaction pending when the node stops is done when it starts again', () => {
  let t: TestNode;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 1 } });
  }, 30_000);
  afterAll(() => t?.stop());

  it('finds it in the database at start, and rebuilds without the withdrawn records', async () => {
    const data = await seedReleaseData(t, { speakers: 2 });
    const admin = t.node.context.contributors.issueAdminToken().token;
    // WebDataset this time: a redaction writes shards in the release's own format.
    expect((await t.api.post('/admin/releases', { language: 'sw', modality: 'text', format: 'webdataset' }, admin)).status).toBe(201);
    // The serving node stops scheduling (as it does when it shuts down)…
    await t.node.context.redactions.stop();
    // …and a withdrawal lands meanwhile, made through the node's services from another context.
    const leaving = data.speakers[1]!;
    const other = openTestContext(t.dir);
    try {
      await other.consent.withdraw(other.contributors.authenticate(leaving.token)!, leaving.consentRecordId, null);
    } finally {
      await other.close();
    }
    expect(releasesOf(t, 'sw-text')).toEqual(['1.0.0']);
    expect(t.inspect((db) => db.prepare('SELECT count(*) FROM release_removals').pluck().get())).toBe(3);

    // A node started on the same folder finds the pending redaction and completes it.
    const restarted = createNode({ dir: t.dir, config: loadNodeConfig(t.dir), secrets: loadNodeSecrets(t.dir), logger: silentLogger });
    try {
      await restarted.context.redactions.settled();
    } finally {
      await restarted.close();
    }
    expect(releasesOf(t, 'sw-text')).toEqual(['1.0.0', '2.0.0']);
    const kept = t.inspect((db) =>
      db.prepare("SELECT rr.sample_id FROM release_records rr JOIN releases r ON r.id = rr.release_id WHERE r.version = '2.0.0' ORDER BY 1").pluck().all(),
    );
    expect(kept).toEqual(data.text.filter((s) => s.speaker !== leaving.id).map((s) => s.id).sort());
    const after = await served(t, 'sw-text');
    expect(after.files.every((f) => f.name.endsWith('.tar'))).toBe(true);
    expect((await verifyFolder(t, after.folder)).ok).toBe(true);
  });
});

describe('removals the serving node was not told of', () => {
  let t: TestNode;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 1 } });
  }, 30_000);
  afterAll(() => t?.stop());

  it('a withdrawal made by another process is found by the running node, which rebuilds without it, no restart needed', async () => {
    const data = await seedReleaseData(t, { speakers: 2 });
    const admin = t.node.context.contributors.issueAdminToken().token;
    expect((await t.api.post('/admin/releases', { language: 'sw', modality: 'text' }, admin)).status).toBe(201);
    // Another context on the same folder (as the CLI is): this node's scheduler hears nothing of it.
    const leaving = data.speakers[0]!;
    const other = openTestContext(t.dir);
    try {
      await other.consent.withdraw(other.contributors.authenticate(leaving.token)!, leaving.consentRecordId, null);
    } finally {
      await other.close();
    }
    const deadline = Date.now() + 60_000;
    while (releasesOf(t, 'sw-text').length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(releasesOf(t, 'sw-text')).toEqual(['1.0.0', '2.0.0']);
    await t.node.context.redactions.settled();
    const kept = t.inspect((db) =>
      db.prepare("SELECT rr.sample_id FROM release_records rr JOIN releases r ON r.id = rr.release_id WHERE r.version = '2.0.0' ORDER BY 1").pluck().all(),
    );
    expect(kept).toEqual(data.text.filter((s) => s.speaker !== leaving.id).map((s) => s.id).sort());
  }, 90_000);
});
