import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { appendLeaves } from '../../pipelines/transparency/append.js';
import { signCheckpoint } from '../../pipelines/transparency/checkpoint.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { MemoryTreeStore } from '../../pipelines/transparency/memory-tree-store.js';
import { consistencyProof, rootHash } from '../../pipelines/transparency/proofs.js';
import { loadIndexSecrets } from '../../server/index/secrets.js';
import { LOCK_FILE, readLock } from '../../server/trainer/lock.js';
import { pull, type PullReport } from '../../server/trainer/pull.js';
import { verifyFolder } from '../../server/trainer/verify-folder.js';
import { runCliAsync as runCli } from '../helpers/cli.js';
import { fileURLToPath } from 'node:url';

/** Preloaded into a verify that must die between placing shards and writing the lock. */
const crashBeforeLock = join(fileURLToPath(import.meta.url), '../crash-before-lock.ts');
import { registration, retraction, signerOf, startTestIndex, type TestIndex } from '../index/helpers.js';
import { readRows, releasedRecords, twoNodes } from './releases.js';

/**
 * search, pull and verify against a real index and two real nodes on 127.0.0.1 (in process, so
 * the test can push what the nodes sign and tamper with what the index serves): Swahili speech
 * (CC-BY-4.0, gated, commercial use consented) and Yoruba text (CC-BY-NC-4.0, open).
 */

const requester = { name: 'Test trainer', contact: 'trainer@example.org', purpose: 'Checking that pulled folders are right.' };

/** Every record in the folder's data/: key → sha256 of audio or text. */
async function folderRecords(dir: string): Promise<Map<string, { audio: string | null; text: string | null }>> {
  const records = new Map<string, { audio: string | null; text: string | null }>();
  for (const name of readdirSync(join(dir, 'data'))) {
    for (const row of await readRows(join(dir, 'data', name))) {
      records.set(row.key, { audio: row.audio ? createHash('sha256').update(row.audio.bytes).digest('hex') : null, text: row.text ?? null });
    }
  }
  return records;
}

function snapshot(dir: string): Record<string, { sha256: string; mtimeMs: number }> {
  const files: Record<string, { sha256: string; mtimeMs: number }> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length + 1)] = { sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), mtimeMs: statSync(path).mtimeMs };
  }
  return files;
}

/** Every file of a folder by its sha256 (no times): two folders with the same content compare equal. */
function contentOf(dir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot(dir)).map(([path, file]) => [path, file.sha256]));
}

/**
 * A copy of `dir` verified by a process killed between placing shards and writing the lock,
 * then verified again: the second run must finish the change and end where a clean run does.
 */
async function verifyKilledThenAgain(work: string, dir: string, name: string, indexUrl: string): Promise<{ dir: string; report: { changed: boolean; recovered: boolean } }> {
  const copy = join(work, name);
  cpSync(dir, copy, { recursive: true });
  const killed = await runCli(['verify', copy, '--index', indexUrl, '--json'], { preload: [crashBeforeLock] });
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  // The journal is what the next run finishes from.
  expect(existsSync(join(copy, '.tributary', 'lock.next.json'))).toBe(true);
  const again = await runCli(['verify', copy, '--index', indexUrl, '--json']);
  expect(again.status, again.stderr).toBe(2);
  return { dir: copy, report: JSON.parse(again.stdout) };
}

/**
 * An index in front of the real one that, once told to, serves a rewritten history: the feed
 * without one entry, re-hashed and signed with the index's own log key (the attack a key holder
 * could make; a trainer's pinned checkpoint is what catches it).
 */
async function rewritingProxy(ix: TestIndex): Promise<{ url: string; dropEntry: (index: number, madeUp: number) => Promise<void>; close: () => Promise<void> }> {
  let rewritten: { store: MemoryTreeStore; note: string } | null = null;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://proxy');
    if (rewritten && url.pathname === '/api/v1/log/checkpoint') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(rewritten.note);
      return;
    }
    if (rewritten && url.pathname === '/api/v1/log/consistency') {
      const from = Number(url.searchParams.get('from'));
      const to = Number(url.searchParams.get('to'));
      const proof = await consistencyProof(rewritten.store, from, to);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from, to, proof: proof.map((h) => Buffer.from(h).toString('base64')) }));
      return;
    }
    const answer = await fetch(ix.url + req.url);
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { logKey } = loadIndexSecrets(ix.dir);
  const { origin } = (await (await fetch(`${ix.url}/.well-known/tributary-index.json`)).json()) as { origin: string };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async dropEntry(drop: number, madeUp: number) {
      const feed = (await ix.api.get('/feed?cursor=0&limit=1000')).body as { events: Array<{ index: number; event: unknown }> };
      const store = new MemoryTreeStore();
      const leaves = feed.events.filter((entry) => entry.index !== drop).map((entry) => hashLeaf(Buffer.from(canonicalJson(entry.event))));
      for (let i = 0; i < madeUp; i++) leaves.push(hashLeaf(Buffer.from(`made up ${i}`)));
      await store.writeNodes(await appendLeaves(store, 0, leaves));
      rewritten = { store, note: signCheckpoint({ origin, size: leaves.length, rootHash: await rootHash(store, leaves.length) }, origin, logKey) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('tributary search, pull and verify against a real index and nodes', () => {
  let nodes: Awaited<ReturnType<typeof twoNodes>>;
  let ix: TestIndex;
  let work: string;
  let out: string;
  let released: Map<string, { split: string; audio: string | null; text: string | null }>;

  beforeAll(async () => {
    nodes = await twoNodes();
    ix = await startTestIndex();
    work = mkdtempSync(join(tmpdir(), 'tributary-pull-'));
    out = join(work, 'pulled');
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
    released = new Map([...(await releasedRecords(nodes.speech)), ...(await releasedRecords(nodes.text))]);
  }, 600_000);
  afterAll(async () => {
    await ix?.stop();
    await nodes?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('search prints a table of both nodes’ datasets with totals, and JSON for scripts', async () => {
    const table = await runCli(['search', '--index', ix.url]);
    expect(table.status, table.stderr).toBe(0);
    for (const text of ['sw-speech 1.0.0', 'yo-text 1.0.0', 'Sauti ya Pwani', 'Ohùn Yorùbá', 'CC-BY-NC-4.0', 'gated', 'fresh', '2 dataset(s) from 2 node(s)']) {
      expect(table.stdout).toContain(text);
    }
    const json = await runCli(['search', '--index', ix.url, '--lang', 'sw', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const found = JSON.parse(json.stdout);
    expect(found.manifests.map((m: { dataset: string }) => m.dataset)).toEqual(['sw-speech']);
    expect(found.totals).toMatchObject({ datasets: 1, nodes: 1 });
    const bad = await runCli(['search', '--index', ix.url, '--modality', 'video']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--modality video is not text or speech');
  });

  it('skips what the terms do not permit and gated data without access details, saying why; writes nothing', async () => {
    const report = await pull({ index: ix.url, out, filters: {}, permits: 'commercial-model', requester: {} });
    const byDataset = Object.fromEntries(report.datasets.map((row) => [row.dataset, row]));
    expect(byDataset['yo-text']).toMatchObject({ outcome: 'skipped', code: 'NotPermitted' });
    expect(byDataset['yo-text']!.reason).toContain('CC-BY-NC-4.0 is non-commercial');
    expect(byDataset['sw-speech']).toMatchObject({ outcome: 'skipped', code: 'AccessDetailsMissing' });
    expect(byDataset['sw-speech']!.reason).toContain('--name, --contact, --purpose');
    expect(report.sources).toBe(0);
    expect(() => statSync(join(out, LOCK_FILE))).toThrow();
  });

  let first: PullReport;
  it('pulls both: envelopes proven in the log and verified against pinned keys, access asked for, records byte for byte the released ones', async () => {
    first = await pull({ index: ix.url, out, filters: {}, permits: 'train-asr', requester });
    const outcomes = Object.fromEntries(first.datasets.map((row) => [row.dataset, row.outcome]));
    // train-asr: the Yoruba text was consented for training, but not speech recognition.
    expect(outcomes).toEqual({ 'sw-speech': 'pulled', 'yo-text': 'skipped' });
    expect(first.datasets.find((row) => row.dataset === 'yo-text')!.reason).toMatch(/consented to .*not train-asr/);

    const both = await pull({ index: ix.url, out, filters: {}, permits: 'train', requester });
    expect(Object.fromEntries(both.datasets.map((row) => [row.dataset, row.outcome]))).toEqual({ 'sw-speech': 'unchanged', 'yo-text': 'pulled' });
    expect(await folderRecords(out)).toEqual(new Map([...released].map(([key, record]) => [key, { audio: record.audio, text: record.text }])));

    const lock = (await readLock(out))!;
    const document = (await (await fetch(`${ix.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    // verify starts from the earliest publication pulled, so nothing logged about it since is missed.
    expect(lock.index).toMatchObject({ url: ix.url, logKey: document.logKey, feedCursor: String(Math.min(...lock.sources.map((s) => s.logIndex!))) });
    expect(lock.index.nodes.map((pin) => pin.did).sort()).toEqual(lock.sources.map((s) => s.node.did).sort());
    expect(lock.index.checkpoint!.note).toContain(`${document.origin}\n`);
    expect(lock.sources.map((s) => s.manifestId).sort()).toEqual(both.datasets.map((row) => row.manifest).sort());
    // The access token is kept for the next pull, readable by its owner only, never in the lock.
    const access = join(out, '.tributary', 'access.json');
    expect(statSync(access).mode & 0o777).toBe(0o600);
    const token = JSON.parse(readFileSync(access, 'utf8')).grants[0].token as string;
    expect(readFileSync(join(out, LOCK_FILE), 'utf8')).not.toContain(token);
    expect(readdirSync(join(out, '.tributary', 'downloads'))).toEqual([]);
  });

  it('pulls again without fetching anything or touching a file', async () => {
    const before = snapshot(out);
    const again = await pull({ index: ix.url, out, filters: {}, permits: 'train', requester });
    expect(again.datasets.map((row) => row.outcome)).toEqual(['unchanged', 'unchanged']);
    const after = snapshot(out);
    delete before[LOCK_FILE];
    delete after[LOCK_FILE];
    expect(after).toEqual(before);
  });

  it('refuses, before any download, a pull the disk cannot hold with the room asked to stay free', async () => {
    const dir = join(work, 'no-room');
    const asking = ['--name', requester.name, '--contact', requester.contact, '--purpose', requester.purpose];
    const refused = await runCli(['pull', '--index', ix.url, '--out', dir, '--lang', 'sw', '--keep-free', '1000000T', ...asking]);
    expect(refused.status, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/the datasets need [1-9][\d,.]* (bytes|kB|MB) more in .*no-room, and [\d,.]+ [kMGT]?B is free \(of which 1,000,000 TB is to stay free, --keep-free\)/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
    const downloads = join(dir, '.tributary', 'downloads');
    expect(existsSync(downloads) ? readdirSync(downloads).flatMap((d) => readdirSync(join(downloads, d))) : []).toEqual([]);
    const nonsense = await runCli(['pull', '--index', ix.url, '--out', dir, '--keep-free', 'lots']);
    expect(nonsense.status).toBe(1);
    expect(nonsense.stderr).toContain('--keep-free lots is not a size such as 500M or 10G');
  });

  it('an index that drops an entry it had served is caught by the consistency proof (exit 3, LogInconsistent)', async () => {
    const proxy = await rewritingProxy(ix);
    const dir = join(work, 'through-proxy');
    try {
      const pulled = await pull({ index: proxy.url, out: dir, filters: { lang: 'sw' }, requester });
      expect(pulled.datasets.map((row) => [row.outcome, row.reason])).toEqual([['pulled', null]]);
      // Entry 1 (the first manifest) goes, and two entries are made up after the rest, so the
      // rewritten log is longer than the one the folder saw and signed by the index's own key:
      // only the consistency proof can tell.
      await proxy.dropEntry(1, 2);
      const before = snapshot(dir);
      const result = await runCli(['verify', dir, '--index', proxy.url, '--json']);
      expect(result.status, result.stderr).toBe(3);
      expect(JSON.parse(result.stdout).error.code).toBe('LogInconsistent');
      expect(snapshot(dir)).toEqual(before);
    } finally {
      await proxy.close();
    }
  });

  it('the pull command prints its table and JSON', async () => {
    const printed = await runCli(['pull', '--index', ix.url, '--out', out, '--permits', 'train']);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).toContain('unchanged');
    expect(printed.stdout).toContain(`tributary verify ${out} --index ${ix.url}`);
    const json = await runCli(['pull', '--index', ix.url, '--out', out, '--json']);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).datasets).toHaveLength(2);
  });

  it('verify with nothing new: exit 0, the folder unchanged', async () => {
    const result = await runCli(['verify', out, '--index', ix.url, '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ changed: false, changes: [] });
  });

  it('a withdrawal the node signed: verify drops exactly those records (exit 2), then is current (exit 0)', async () => {
    const { swahili } = nodes;
    const leaving = nodes.swahiliData.speakers[0]!;
    const mine = nodes.swahiliData.speech.filter((sample) => sample.speaker === leaving.id).map((sample) => sample.id);
    expect(mine.length).toBeGreaterThan(0);
    const withdrawn = await swahili.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token);
    expect(withdrawn.status).toBeLessThan(300);
    const notices = (await swahili.api.get('/notices?kind=withdrawal')).body.notices as Array<{ envelope: unknown }>;
    expect(notices.length).toBeGreaterThan(0);
    for (const notice of notices) expect((await ix.api.post('/notices', notice.envelope)).status).toBe(200);

    // A verify killed after renaming the rewritten shards into place but before writing the lock.
    const crashed = await verifyKilledThenAgain(work, out, 'killed-withdrawal', ix.url);
    expect(crashed.report).toMatchObject({ changed: true, recovered: true });

    const result = await runCli(['verify', out, '--index', ix.url, '--json']);
    expect(result.status, result.stderr).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report.changes).toEqual([expect.objectContaining({ kind: 'withdrawal', dataset: 'sw-speech', applied: true, records: mine.length })]);
    // The killed and finished folder is the clean run's, file for file.
    expect(contentOf(crashed.dir)).toEqual(contentOf(out));
    // The folder's croissant.json was rewritten with the shards: it lists them as they are now.
    const croissant = JSON.parse(readFileSync(join(out, 'croissant.json'), 'utf8')) as { distribution: Array<{ '@type': string; contentUrl?: string; sha256?: string }> };
    const locked = (await readLock(out))!.sources.flatMap((source) => source.shards.flatMap((shard) => (shard.local ? [[shard.local.name, shard.local.sha256]] : [])));
    expect(croissant.distribution.filter((d) => d['@type'] === 'cr:FileObject').map((d) => [d.contentUrl, d.sha256]).sort()).toEqual(locked.sort());
    const left = await folderRecords(out);
    for (const id of mine) expect(left.has(id)).toBe(false);
    expect(left.size).toBe(released.size - mine.length);
    const again = await runCli(['verify', out, '--index', ix.url]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('is current');
  });

  it('a retraction: verify removes the dataset', async () => {
    const posted = await ix.api.post('/notices', retraction(signerOf(nodes.yoruba), 'yo-text'));
    expect(posted.status).toBe(200);
    const crashed = await verifyKilledThenAgain(work, out, 'killed-retraction', ix.url);
    expect(crashed.report.recovered).toBe(true);
    const report = await verifyFolder({ dir: out, index: ix.url });
    expect(contentOf(crashed.dir)).toEqual(contentOf(out));
    expect(report.changes).toEqual([expect.objectContaining({ kind: 'retraction', dataset: 'yo-text', applied: true })]);
    const lock = (await readLock(out))!;
    expect(lock.sources.map((s) => s.datasetId)).toEqual(['sw-speech']);
    expect([...(await folderRecords(out)).values()].every((record) => record.audio !== null)).toBe(true);
  });

  it('a changed log key is refused (exit 3), and the folder is left as it was', async () => {
    const path = join(out, LOCK_FILE);
    const original = readFileSync(path, 'utf8');
    const lock = JSON.parse(original);
    lock.index.logKey = lock.index.logKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
    try {
      const result = await runCli(['verify', out, '--index', ix.url]);
      expect(result.status).toBe(3);
      expect(result.stderr).toContain('LogKeyChanged');
    } finally {
      writeFileSync(path, original);
    }
  });

});

