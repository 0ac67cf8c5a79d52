import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyFromDidKey } from '../../pipelines/signing/did.js';
import { verifyEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { runCli } from '../helpers/cli.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { seedReleaseData } from '../helpers/release-data.js';

const payloadOf = (envelope: DsseEnvelope) => JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));

/*
 * The community's authority over a dataset as a whole (CARE): an operator retracts a dataset or
 * changes who may download it, from the command line or the API. Each takes effect on the
 * running node at once (the commands open the node's folder from another process) and is
 * announced in a signed notice.
 */
describe('community authority over datasets', () => {
  let t: TestNode;
  let admin: string;
  /** Shard URLs of every sw-speech version, as their manifests give them. */
  const speechShards: string[] = [];

  const shardUrls = async (dataset: string, version?: string) => {
    const envelope = (await fetch(`${t.url}/api/v1/datasets/${dataset}/manifest${version ? `?version=${version}` : ''}`).then((r) => r.json())) as DsseEnvelope;
    const manifest = payloadOf(envelope);
    return (manifest.distribution as Array<{ contentUrl?: string; sha256?: string }>)
      .filter((f) => f.sha256)
      .map((f) => {
        const url = new URL(f.contentUrl!, t.url);
        url.searchParams.set('version', manifest['tributary:releaseVersion']);
        return url.href;
      });
  };
  const keys = async () => {
    const wellKnown = (await fetch(`${t.url}/.well-known/tributary.json`).then((r) => r.json())) as any;
    return new Map(
      wellKnown.publicKeys
        .filter((k: { use: string }) => k.use === 'signing')
        .map((k: { id: string; publicKeyMultibase: string }) => [k.id, publicKeyFromDidKey(`did:key:${k.publicKeyMultibase}`)]),
    );
  };
  /** The signed notices of a kind for a dataset, verified against the node's published keys. */
  const noticesOf = async (dataset: string, kind: string) => {
    const feed = await t.api.get(`/notices?dataset=${dataset}&kind=${kind}`);
    expect(feed.status).toBe(200);
    const trusted = await keys();
    return (feed.body.notices as Array<{ id: string; kind: string; envelope: DsseEnvelope }>).map((n) => {
      expect(verifyEnvelope(n.envelope, trusted as any).ok).toBe(true);
      expect(n.kind).toBe(kind);
      return { id: n.id, statement: payloadOf(n.envelope) };
    });
  };
  const list = () => {
    const listed = runCli(['release', 'list', '--dir', t.dir, '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout).datasets as Array<Record<string, any>>;
  };

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
    admin = t.node.context.contributors.issueAdminToken().token;
    await seedReleaseData(t, { speakers: 3 });
    for (const body of [
      { language: 'sw', modality: 'text' },
      { language: 'sw', modality: 'speech' },
      { language: 'sw', modality: 'speech', format: 'webdataset' },
    ]) {
      const built = await t.api.post('/admin/releases', body, admin);
      if (built.status !== 201) throw new Error(JSON.stringify(built.body));
    }
    speechShards.push(...(await shardUrls('sw-speech', '1.0.0')), ...(await shardUrls('sw-speech', '1.1.0')));
  }, 120_000);
  afterAll(() => t?.stop());

  it('`tributary release list` shows every dataset: version, status, access, records, and no rebuild due', async () => {
    expect(list()).toEqual([
      expect.objectContaining({ id: 'sw-speech', version: '1.1.0', status: 'current', accessClass: 'open', records: 9, pendingRedaction: null }),
      expect.objectContaining({ id: 'sw-text', version: '1.0.0', status: 'current', accessClass: 'open', records: 9, pendingRedaction: null }),
    ]);
    const table = runCli(['release', 'list', '--dir', t.dir]);
    expect(table.stdout).toMatch(/sw-speech .*1\.1\.0 .*current .*open .*9/);
    const api = await t.api.get('/admin/datasets', admin);
    expect(api.status).toBe(200);
    expect(api.body.datasets.map((d: { id: string; status: string }) => [d.id, d.status])).toEqual([
      ['sw-speech', 'current'],
      ['sw-text', 'current'],
    ]);
  });

  it('changes the access class at once, by CLI and by API, each change a signed notice; the same class again changes nothing', async () => {
    const [shard] = await shardUrls('sw-text');
    expect((await fetch(shard!)).status).toBe(200);

    const gated = runCli(['release', 'access', 'sw-text', '--class', 'gated', '--dir', t.dir, '--json']);
    expect(gated.status, gated.stderr).toBe(0);
    const outcome = JSON.parse(gated.stdout);
    expect(outcome).toMatchObject({ changed: true, dataset: { id: 'sw-text', accessClass: 'gated' }, notice: { id: expect.any(String) } });
    // The running node judges the next download by the new class.
    const refused = await fetch(shard!);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).error.code).toBe('AccessTokenRequired');
    expect((await t.api.get('/datasets')).body.datasets.find((d: { id: string }) => d.id === 'sw-text').accessClass).toBe('gated');

    const again = runCli(['release', 'access', 'sw-text', '--class', 'gated', '--dir', t.dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, notice: null });

    const opened = await t.api.put('/admin/datasets/sw-text/access', { accessClass: 'open' }, admin);
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ changed: true, dataset: { accessClass: 'open' } });
    expect((await fetch(shard!)).status).toBe(200);

    const notices = await noticesOf('sw-text', 'access-change');
    expect(notices.map((n) => n.id)).toEqual([outcome.notice.id, opened.body.notice.id]);
    expect(notices.map((n) => n.statement)).toEqual([
      expect.objectContaining({ type: 'tributary:access-change/1', node: t.node.context.identity.did, dataset: 'sw-text', accessClass: 'gated' }),
      expect.objectContaining({ type: 'tributary:access-change/1', dataset: 'sw-text', accessClass: 'open' }),
    ]);
    const bad = runCli(['release', 'access', 'sw-text', '--class', 'secret', '--dir', t.dir]);
    expect(bad.status).toBe(1);
    expect((await t.api.put('/admin/datasets/nothing-here/access', { accessClass: 'open' }, admin)).status).toBe(404);
  });

  it('retracts a dataset by API: 410 everywhere at once (manifest, card, every shard of every version), listed nowhere, files gone, a signed notice', async () => {
    const retracted = await t.api.post('/admin/datasets/sw-speech/retraction', { reason: 'The elders asked for these recordings back.' }, admin);
    expect(retracted.status, JSON.stringify(retracted.body)).toBe(201);
    expect(retracted.body).toMatchObject({ dataset: { id: 'sw-speech', status: 'retracted', retractionReason: 'The elders asked for these recordings back.' } });
    const noticeUrl = `${t.url}/api/v1/notices/${retracted.body.notice.id}`;

    for (const url of [`${t.url}/api/v1/datasets/sw-speech/manifest`, `${t.url}/api/v1/datasets/sw-speech/manifest?version=1.0.0`, `${t.url}/api/v1/datasets/sw-speech/card`, ...speechShards]) {
      const answer = await fetch(url);
      expect(answer.status, url).toBe(410);
      expect(((await answer.json()) as any).error).toMatchObject({ code: 'DatasetRetracted', details: { notices: [{ url: noticeUrl }] } });
      expect(answer.headers.get('link')).toContain(`<${noticeUrl}>; rel="describedby"`);
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(410);
    }
    expect(speechShards.length).toBeGreaterThanOrEqual(6);
    expect((await t.api.post('/datasets/sw-speech/access', { name: 'Lab', contact: 'lab@example.org', purpose: 'ASR', acceptTerms: true })).status).toBe(410);
    expect((await t.api.get('/datasets')).body.datasets.map((d: { id: string }) => d.id)).toEqual(['sw-text']);
    expect(existsSync(join(t.dir, 'releases', 'sw-speech'))).toBe(false);

    const [notice] = await noticesOf('sw-speech', 'retraction');
    expect(notice!.statement).toMatchObject({
      type: 'tributary:retraction/1',
      id: retracted.body.notice.id,
      node: t.node.context.identity.did,
      dataset: 'sw-speech',
      reason: 'The elders asked for these recordings back.',
    });
    const linked = await fetch(noticeUrl).then((r) => r.json() as Promise<any>);
    expect(linked).toMatchObject({ id: notice!.id, kind: 'retraction', dataset: 'sw-speech' });
    // Once is enough.
    const twice = await t.api.post('/admin/datasets/sw-speech/retraction', { reason: 'again' }, admin);
    expect(twice.status).toBe(410);
    expect(twice.body.error.code).toBe('DatasetRetracted');
    expect(list().find((d) => d.id === 'sw-speech')).toMatchObject({ status: 'retracted', version: '1.1.0' });
  });

  it('a retracted dataset is built again only with --unretract, as a new MAJOR version', async () => {
    const refused = await t.api.post('/admin/releases', { language: 'sw', modality: 'speech' }, admin);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('UnretractRequired');
    const cli = runCli(['release', 'build', '--dir', t.dir, '--lang', 'sw', '--modality', 'speech']);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/retracted sw-speech .*The elders asked for these recordings back.*--unretract/);
    expect(t.inspect((db) => db.prepare("SELECT count(*) FROM releases WHERE dataset_id = 'sw-speech'").pluck().get())).toBe(2);

    const rebuilt = runCli(['release', 'build', '--dir', t.dir, '--lang', 'sw', '--modality', 'speech', '--unretract', '--json']);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ change: 'major', release: { version: '2.0.0', rev: 3 } });
    const manifest = await fetch(`${t.url}/api/v1/datasets/sw-speech/manifest`);
    expect(manifest.status).toBe(200);
    const [shard] = await shardUrls('sw-speech');
    expect((await fetch(shard!)).status).toBe(200);
    // Earlier versions stay gone.
    expect((await fetch(speechShards[0]!)).status).toBe(410);
    expect(list().find((d) => d.id === 'sw-speech')).toMatchObject({ status: 'current', version: '2.0.0', retractedAt: null });
  });

  it('retracts a dataset by CLI: the running node answers 410 at once', async () => {
    const [shard] = await shardUrls('sw-text');
    const cli = runCli(['release', 'retract', 'sw-text', '--reason', 'Withdrawn by community decision.', '--dir', t.dir, '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    const outcome = JSON.parse(cli.stdout);
    expect(outcome).toMatchObject({ dataset: { id: 'sw-text', status: 'retracted' }, notice: { id: expect.any(String) } });
    const gone = await fetch(shard!);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as any).error.code).toBe('DatasetRetracted');
    expect((await fetch(`${t.url}/api/v1/datasets/sw-text/manifest`)).status).toBe(410);
    expect(readdirSync(join(t.dir, 'releases'))).toEqual(['sw-speech']);
    const [notice] = await noticesOf('sw-text', 'retraction');
    expect(notice).toMatchObject({ id: outcome.notice.id, statement: { reason: 'Withdrawn by community decision.' } });
    // All three kinds in one append-only feed, in the order they were made.
    const feed = (await t.api.get('/notices')).body;
    expect(feed.notices.map((n: { kind: string; dataset: string }) => `${n.kind} ${n.dataset}`)).toEqual([
      'access-change sw-text',
      'access-change sw-text',
      'retraction sw-speech',
      'retraction sw-text',
    ]);
    expect(feed.next).toBe(feed.notices.at(-1).seq);
    expect((await t.api.get(`/notices?since=${feed.next}`)).body).toEqual({ notices: [], next: feed.next });
    expect(runCli(['release', 'retract', 'sw-text', '--reason', 'again', '--dir', t.dir]).status).toBe(1);
  });
});
