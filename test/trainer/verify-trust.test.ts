import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPES, signStatement } from '../../pipelines/federation/statements.js';
import { generateNodeKeys, keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import { readLock } from '../../server/trainer/lock.js';
import { downloadDir } from '../../server/trainer/folder.js';
import { pull } from '../../server/trainer/pull.js';
import { registration, signerOf, startTestIndex, type TestIndex } from '../index/helpers.js';
import { readRows, releasedRecords, twoNodes } from './releases.js';
import { runCliAsync as runCli } from '../helpers/cli.js';
import { tamperingIndex, type FeedPageJson, type TamperingIndex } from './tampering-index.js';

/**
 * What verify must not take from an index on its word (DESIGN "Security": neither the index nor
 * a node alone can make a trainer keep withdrawn data or drop data it should keep): feed pages
 * that skip entries, stop early or change one; notices the node did not sign or that name another
 * dataset or version; node keys swapped after the pull. Each is refused with exit 3 and the
 * folder left byte for byte as it was; the real feed then applies the real withdrawal.
 */

const requester = { name: 'Test trainer', contact: 'trainer@example.org', purpose: 'Checking what verify trusts.' };
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

async function folderRecords(dir: string): Promise<Map<string, { audio: string | null; text: string | null }>> {
  const records = new Map<string, { audio: string | null; text: string | null }>();
  for (const name of readdirSync(join(dir, 'data'))) {
    for (const row of await readRows(join(dir, 'data', name))) {
      records.set(row.key, { audio: row.audio ? sha256(row.audio.bytes) : null, text: row.text ?? null });
    }
  }
  return records;
}

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length + 1)] = `${sha256(readFileSync(path))} ${statSync(path).mtimeMs}`;
  }
  return files;
}

// Each test runs several CLI processes: sized for two busy cores, not for a quiet machine.
describe('verify takes nothing from the index unproven', { timeout: 120_000 }, () => {
  let nodes: Awaited<ReturnType<typeof twoNodes>>;
  let ix: TestIndex;
  let proxy: TamperingIndex;
  let work: string;
  let out: string;
  let released: Map<string, { audio: string | null; text: string | null }>;
  let resumed: string;

  beforeAll(async () => {
    nodes = await twoNodes();
    ix = await startTestIndex();
    for (const [t, name, languages] of [
      [nodes.swahili, 'Sauti ya Pwani', ['sw']],
      [nodes.yoruba, 'Ohùn Yorùbá', ['yo']],
    ] as const) {
      const registered = await ix.api.post('/nodes', registration({ ...signerOf(t), name, languages: [...languages] }));
      if (registered.status !== 200) throw new Error(`registration refused: ${JSON.stringify(registered.body)}`);
    }
    for (const release of [nodes.speech, nodes.text]) {
      const pushed = await ix.api.request('POST', '/manifests', { raw: release.envelope });
      if (pushed.status !== 200) throw new Error(`manifest refused: ${JSON.stringify(pushed.body)}`);
    }
    const records = new Map([...(await releasedRecords(nodes.speech)), ...(await releasedRecords(nodes.text))]);
    released = new Map([...records].map(([key, record]) => [key, { audio: record.audio, text: record.text }]));
    proxy = await tamperingIndex(ix);
    work = mkdtempSync(join(tmpdir(), 'tributary-verify-trust-'));
    out = join(work, 'pulled');
    const pulled = await pull({ index: proxy.url, out, filters: {}, permits: 'train', requester });
    expect(pulled.datasets.map((row) => row.outcome)).toEqual(['pulled', 'pulled']);
    // A pull into another folder killed after its downloads completed, before it wrote the folder:
    // the complete shards sit in its downloads, where the next pull takes them without asking the node.
    resumed = join(work, 'resumed');
    const speech = (await readLock(out))!.sources.find((s) => s.datasetId === 'sw-speech')!;
    for (const shard of speech.shards) {
      const path = join(downloadDir(resumed, speech.manifestId), shard.name);
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(join(out, shard.local!.name), path);
    }
  }, 600_000);
  afterAll(async () => {
    await proxy?.close();
    await ix?.stop();
    await nodes?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function refused(...codes: string[]): Promise<void> {
    const before = snapshot(out);
    const result = await runCli(['verify', out, '--index', proxy.url, '--json']);
    expect(result.status, result.stdout + result.stderr).toBe(3);
    expect(codes).toContain(JSON.parse(result.stdout).error.code);
    expect(snapshot(out)).toEqual(before);
  }

  const swahiliSource = async () => (await readLock(out))!.sources.find((s) => s.datasetId === 'sw-speech')!;

  it('feed pages that skip entries, come back empty or change an event cannot hide a withdrawal (exit 3); the real feed applies it', async () => {
    const leaving = nodes.swahiliData.speakers[1]!;
    const mine = nodes.swahiliData.speech.filter((sample) => sample.speaker === leaving.id).map((sample) => sample.id);
    expect(mine.length).toBeGreaterThan(0);
    expect((await nodes.swahili.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBeLessThan(300);
    const notices = (await nodes.swahili.api.get('/notices?kind=withdrawal')).body.notices as Array<{ envelope: unknown }>;
    for (const notice of notices) expect((await ix.api.post('/notices', notice.envelope)).status).toBe(200);

    const isWithdrawal = (entry: FeedPageJson['events'][number]) => entry.event.type === 'withdrawal';
    // A page that ends before the withdrawal and says the next one starts past it.
    proxy.feed = (page, cursor) => {
      const before = page.events.filter((entry) => entry.index < (page.events.find(isWithdrawal)?.index ?? Infinity));
      return { ...page, events: before, next: cursor + 1000 };
    };
    await refused('IndexAnswerInvalid');
    // An empty page before the checkpoint's size.
    proxy.feed = (page, cursor) => ({ ...page, events: [], next: cursor });
    await refused('IndexAnswerInvalid');
    // The withdrawal left out and the entries after it renumbered.
    proxy.feed = (page, cursor) => {
      const events = page.events.filter((entry) => !isWithdrawal(entry)).map((entry, i) => ({ ...entry, index: cursor + i }));
      return { ...page, events, next: cursor + events.length };
    };
    await refused('LogProofFailed', 'IndexAnswerInvalid');
    // The withdrawal said to be another node's.
    proxy.feed = (page) => ({
      ...page,
      events: page.events.map((entry) => (isWithdrawal(entry) ? { ...entry, event: { ...entry.event, node: 'did:web:elsewhere.example' } } : entry)),
    });
    await refused('LogProofFailed');

    proxy.reset();
    const result = await runCli(['verify', out, '--index', proxy.url, '--json']);
    expect(result.status, result.stderr).toBe(2);
    expect(JSON.parse(result.stdout).changes).toEqual([expect.objectContaining({ kind: 'withdrawal', dataset: 'sw-speech', records: mine.length })]);
    // Exactly those records went; every other row is still the released one, value for value.
    const left = await folderRecords(out);
    expect(left).toEqual(new Map([...released].filter(([key]) => !mine.includes(key))));
  });

  it('a pull resumed from complete downloads after a withdrawal was logged: verify still drops the withdrawn records', async () => {
    const withdrawn = nodes.swahiliData.speech.filter((sample) => sample.speaker === nodes.swahiliData.speakers[1]!.id).map((sample) => sample.id);
    const report = await pull({ index: proxy.url, out: resumed, filters: { lang: 'sw' }, requester });
    expect(report.datasets.map((row) => row.outcome)).toEqual(['pulled']);
    // The shards came from disk, so the folder holds what was withdrawn meanwhile...
    expect([...(await folderRecords(resumed)).keys()]).toEqual(expect.arrayContaining(withdrawn));
    // ...and its feed cursor is the release's publication, not the log's size: verify reads the withdrawal.
    const lock = (await readLock(resumed))!;
    expect(Number(lock.index.feedCursor)).toBe(lock.sources[0]!.logIndex);
    const result = await runCli(['verify', resumed, '--index', proxy.url, '--json']);
    expect(result.status, result.stderr).toBe(2);
    const left = await folderRecords(resumed);
    for (const id of withdrawn) expect(left.has(id)).toBe(false);
    expect(left).toEqual(new Map([...released].filter(([key]) => !withdrawn.includes(key) && left.has(key))));
    expect(left.size).toBe(nodes.swahiliData.speech.length - withdrawn.length);
  });

  /** A withdrawal entry appended to the real log by an index holding its log key, naming `envelope`. */
  async function forgeWithdrawal(envelope: unknown, event: Record<string, unknown> = {}, envelopes: Record<string, string> = {}): Promise<void> {
    const source = await swahiliSource();
    const text = JSON.stringify(envelope);
    await proxy.forge(
      [
        {
          type: 'withdrawal',
          v: 1,
          at: new Date().toISOString(),
          node: source.node.did,
          dataset: source.datasetId,
          version: source.version,
          notice: randomBytes(16).toString('hex'),
          reason: 'consent-withdrawn',
          records: 1,
          shards: 1,
          envelopeSha256: sha256(text),
          ...event,
        },
      ],
      { ...envelopes, [sha256(text)]: text },
    );
  }

  async function notice(changes: Record<string, unknown> = {}, key?: { key: import('node:crypto').KeyObject; keyid: string }) {
    const source = await swahiliSource();
    const shard = source.shards.find((s) => s.local)!;
    const keep = (await readRows(join(out, shard.local!.name)))[0]!.key as string;
    const signer = signerOf(nodes.swahili).identity;
    return signStatement(
      PAYLOAD_TYPES.withdrawal,
      {
        type: 'tributary:withdrawal-notice/1',
        id: randomBytes(16).toString('hex'),
        node: source.node.did,
        dataset: source.datasetId,
        release: { version: source.version },
        records: [keep],
        shards: [{ name: shard.name, sha256: shard.sha256 }],
        reason: 'consent-withdrawn',
        issued: new Date().toISOString().slice(0, 10),
        ...changes,
      } as never,
      key?.key ?? signer.signingKey,
      key?.keyid ?? signer.keyId,
    );
  }

  it('a logged notice signed by another key, or naming another dataset or version, drops nothing (exit 3)', async () => {
    const other = generateNodeKeys();
    await forgeWithdrawal(await notice({}, { key: other.signing, keyid: keyId(other.signing) }));
    await refused('EnvelopeUntrusted');
    await forgeWithdrawal(await notice({ dataset: 'another-dataset' }));
    await refused('EnvelopeUntrusted');
    await forgeWithdrawal(await notice({ release: { version: '9.0.0' } }));
    await refused('EnvelopeUntrusted');
    proxy.reset();
  });

  it('node keys swapped between pull and verify are refused (NodeKeysInvalid, exit 3), even with a registration they signed', async () => {
    const source = await swahiliSource();
    const did = source.node.did;
    const fake = generateNodeKeys();
    const published = (key: typeof fake.signing) => ({ keyId: keyId(key), publicKey: publicKeyMultibase(key) });
    const forgedRegistration = registration(
      {
        identity: {
          ...signerOf(nodes.swahili).identity,
          signingKey: fake.signing,
          keyId: keyId(fake.signing),
          publicKeys: [
            { id: keyId(fake.signing), type: 'Ed25519VerificationKey2020', use: 'signing', publicKeyMultibase: publicKeyMultibase(fake.signing) },
            { id: keyId(fake.rotation), type: 'Ed25519VerificationKey2020', use: 'rotation', publicKeyMultibase: publicKeyMultibase(fake.rotation) },
          ],
          keyRotations: [],
        },
        url: nodes.swahili.url,
        name: 'Sauti ya Pwani',
        languages: ['sw'],
      },
      {},
    );
    const registrationText = JSON.stringify(forgedRegistration);
    const real = (await ix.api.get(`/nodes/${encodeURIComponent(did)}`)).body as Record<string, unknown>;
    proxy.json.set(`/api/v1/nodes/${encodeURIComponent(did)}`, {
      ...real,
      signingKeys: [{ ...published(fake.signing), since: 0, current: true }],
      rotationKey: published(fake.rotation),
      keyRotations: [],
      registration: sha256(registrationText),
    });
    // The forged registration is served too, so only what the folder pinned stands in the way.
    await forgeWithdrawal(await notice({}, { key: fake.signing, keyid: keyId(fake.signing) }), {}, { [sha256(registrationText)]: registrationText });
    await refused('NodeKeysInvalid');
    proxy.reset();
    const current = await runCli(['verify', out, '--index', proxy.url, '--json']);
    expect(current.status, current.stderr).toBe(0);
  });

  it('access requests, trainer details and tokens go only to the origin the node signed, whatever URL the index gives (pull exit 3)', async () => {
    const hits: string[] = [];
    const attacker = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ grant: { id: 'g', status: 'approved' }, token: 'x' }));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const did = (await swahiliSource()).node.did;
      const real = (await ix.api.get(`/nodes/${encodeURIComponent(did)}`)).body as Record<string, unknown>;
      proxy.json.set(`/api/v1/nodes/${encodeURIComponent(did)}`, { ...real, url: `http://127.0.0.1:${(attacker.address() as AddressInfo).port}` });
      const dir = join(work, 'elsewhere');
      const result = await runCli(['pull', '--index', proxy.url, '--out', dir, '--json', '--progress', 'none', '--name', requester.name, '--contact', requester.contact, '--purpose', requester.purpose]);
      expect(result.status, result.stderr).toBe(3);
      const rows = Object.fromEntries((JSON.parse(result.stdout).datasets as Array<{ dataset: string; outcome: string; code: string | null }>).map((row) => [row.dataset, row]));
      expect(rows['sw-speech']).toMatchObject({ outcome: 'failed', code: 'NodeKeysInvalid' });
      expect(rows['yo-text']).toMatchObject({ outcome: 'pulled' });
      expect(hits).toEqual([]);
    } finally {
      proxy.reset();
      attacker.closeAllConnections();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
  });
});
