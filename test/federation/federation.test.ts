import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLock, type Lock } from '../../server/trainer/lock.js';
import { sentences } from '../fixtures/audio-fixtures.js';
import { killHard, startNodeProcess, type NodeProcess } from '../helpers/cli.js';
import { apiClient, joinWithConsent, type ApiClient, type TestNode, type Volunteer } from '../helpers/node.js';
import { pythonWith, runPython, type PythonEnv } from '../helpers/python.js';
import { recordPrompts, SWAHILI_TEXTS, validate } from '../helpers/release-data.js';
import { startIndexProcess, type IndexProcess } from '../index/helpers.js';
import { readRows, YORUBA_TEXTS } from '../trainer/releases.js';
import { runCliAsync as cli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

/**
 * Federation, end to end, every service its own process on 127.0.0.1: one index and three nodes
 * (Yoruba text CC-BY-NC-4.0 open; Swahili speech CC-BY-4.0 gated; Kenyan Swahili `sw-KE` text
 * CC-BY-SA-4.0 on request). Volunteers contribute and validate through the API, the nodes build
 * releases with the CLI and publish them to the index, and a trainer searches, pulls, resumes a
 * killed pull, loads the folder with DuckDB and `datasets`, and keeps it current with verify as a
 * volunteer withdraws and a community retracts a dataset.
 */

const loadCheck = fileURLToPath(new URL('../trainer/load-check.py', import.meta.url));
const dieAtFirstProgress = fileURLToPath(new URL('./die-at-first-progress.ts', import.meta.url));
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const TRAINER = ['--name', 'Federation test', '--contact', 'trainer@example.org', '--purpose', 'Testing federated pulls end to end.'];

/** Texts the Kenyan node's volunteers write (the seeded Swahili ones: written again, on another node). */
const KENYAN_TEXTS = SWAHILI_TEXTS.slice(0, 9);


async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await cli(args, { env });
  if (result.status !== 0) throw new Error(`tributary ${args.join(' ')} exited ${result.status}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

interface FederatedNode {
  name: string;
  dir: string;
  url: string;
  api: ApiClient;
  process: NodeProcess;
  admin: string;
  speakers: Volunteer[];
  validators: Volunteer[];
  /** sample id → contributor id */
  samples: Map<string, string>;
}

async function startNode(indexUrl: string, options: { name: string; languages: string; license: string; outbox: boolean }): Promise<FederatedNode> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-fed-node-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await ok(['node', 'init', '--dir', dir, '--name', options.name, '--languages', options.languages, '--url', url, '--license', options.license, '--jurisdiction', 'KE']);
  const configPath = join(dir, 'node.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  // With `indexes`, the node pushes everything through its outbox as it happens; without, `release publish` pushes on demand.
  if (options.outbox) config.indexes = [indexUrl];
  config.releases = { ...(config.releases ?? {}), redactAfterSeconds: 2 };
  config.limits = { ...(config.limits ?? {}), ratePerAddress: 100_000, ratePerToken: 100_000 };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const started = await startNodeProcess(dir, [], { TRIBUTARY_PORT: String(port), TRIBUTARY_LOG_LEVEL: 'warn' });
  const admin = JSON.parse(await ok(['admin', 'token', '--dir', dir, '--json'])).token as string;
  return { name: options.name, dir, url, api: apiClient(`${url}/api/v1`), process: started, admin, speakers: [], validators: [], samples: new Map() };
}

/** Volunteers write texts in the node's language; two validators vote each up. */
async function contributeText(node: FederatedNode, language: string, texts: readonly string[], speakers = 3): Promise<void> {
  for (let i = 0; i < speakers; i++) node.speakers.push(await joinWithConsent(node.api, 'en', ['commercial-model']));
  node.validators.push(await joinWithConsent(node.api), await joinWithConsent(node.api));
  for (const [i, text] of texts.entries()) {
    const speaker = node.speakers[i % speakers]!;
    const written = await node.api.post('/samples/text', { language, text }, speaker.token);
    if (written.status !== 201) throw new Error(`text refused: ${JSON.stringify(written.body)}`);
    await validate({ api: node.api } as TestNode, written.body.id, node.validators);
    node.samples.set(written.body.id, speaker.id);
  }
}

/** Volunteers record prompts (real espeak-ng clips, the real upload path); validators vote. */
async function contributeSpeech(node: FederatedNode, speakers = 4): Promise<void> {
  const promptFile = join(node.dir, 'prompts.txt');
  const prompts = [sentences['sw.wav'], sentences['speech-5s.webm'], 'Karibu sana nyumbani kwetu leo.'];
  writeFileSync(promptFile, prompts.join('\n') + '\n');
  await ok(['prompts', 'import', promptFile, '--lang', 'sw', '--dir', node.dir]);
  const db = new Database(join(node.dir, 'node.sqlite'), { readonly: true });
  const ids = prompts.map((text) => db.prepare('SELECT id FROM prompts WHERE language = ? AND text = ?').pluck().get('sw', text) as string);
  db.close();
  node.validators.push(await joinWithConsent(node.api), await joinWithConsent(node.api));
  for (let i = 0; i < speakers; i++) {
    const speaker = await joinWithConsent(node.api, 'en', ['commercial-model']);
    node.speakers.push(speaker);
    for (const id of await recordPrompts({ url: node.url, api: node.api } as TestNode, speaker, ids, node.validators)) node.samples.set(id, speaker.id);
  }
}

/** What a node released, read from its own release folder: key → sha256 of the audio or the text. */
function released(node: FederatedNode, dataset: string, version: string): Map<string, { audio: string | null; text: string | null }> {
  return new Map(releasedRows.get(`${node.dir}/${dataset}/${version}`) ?? []);
}
const releasedRows = new Map<string, Array<[string, { audio: string | null; text: string | null }]>>();
async function readReleased(node: FederatedNode, dataset: string, version: string): Promise<void> {
  const folder = join(node.dir, 'releases', dataset, version, 'data');
  const rows: Array<[string, { audio: string | null; text: string | null }]> = [];
  for (const name of readdirSync(folder)) {
    for (const row of await readRows(join(folder, name))) rows.push([row.key, { audio: row.audio ? sha256(row.audio.bytes) : null, text: row.text ?? null }]);
  }
  releasedRows.set(`${node.dir}/${dataset}/${version}`, rows);
}

async function folderRecords(dir: string): Promise<Map<string, { audio: string | null; text: string | null }>> {
  const records = new Map<string, { audio: string | null; text: string | null }>();
  for (const name of readdirSync(join(dir, 'data'))) {
    for (const row of await readRows(join(dir, 'data', name))) records.set(row.key, { audio: row.audio ? sha256(row.audio.bytes) : null, text: row.text ?? null });
  }
  return records;
}

const shardHashes = (lock: Lock) => Object.fromEntries(lock.sources.flatMap((s) => s.shards.map((shard) => [`${s.datasetId}/${shard.name}`, shard.local?.sha256 ?? null])));

describe('federation: one index, three nodes, one trainer, every one its own process', { timeout: 300_000 }, () => {
  let index: IndexProcess;
  let indexDir: string;
  let work: string;
  let yoruba: FederatedNode;
  let swahili: FederatedNode;
  let kenya: FederatedNode;
  let python: Promise<PythonEnv>;
  const out = () => join(work, 'pulled');

  beforeAll(async () => {
    python = pythonWith({ packages: ['duckdb', 'datasets'], imports: ['duckdb', 'datasets'] });
    work = mkdtempSync(join(tmpdir(), 'tributary-fed-'));
    indexDir = join(work, 'index');
    const indexPort = await freePort();
    await ok(['index', 'init', '--dir', indexDir, '--name', 'Federation index', '--url', `http://127.0.0.1:${indexPort}`]);
    index = await startIndexProcess(indexDir, { env: { TRIBUTARY_PORT: String(indexPort) } });

    yoruba = await startNode(index.url, { name: 'Ohùn Yorùbá', languages: 'yo', license: 'CC-BY-NC-4.0', outbox: true });
    swahili = await startNode(index.url, { name: 'Sauti ya Pwani', languages: 'sw', license: 'CC-BY-4.0', outbox: true });
    kenya = await startNode(index.url, { name: 'Sauti ya Kenya', languages: 'sw-KE', license: 'CC-BY-SA-4.0', outbox: false });
    await contributeText(yoruba, 'yo', YORUBA_TEXTS.slice(0, 9));
    await contributeSpeech(swahili);
    await contributeText(kenya, 'sw-KE', KENYAN_TEXTS);

    await ok(['release', 'build', '--dir', yoruba.dir, '--lang', 'yo', '--modality', 'text', '--seed', '7']);
    await ok(['release', 'build', '--dir', swahili.dir, '--lang', 'sw', '--modality', 'speech', '--access', 'gated', '--seed', '7']);
    await ok(['release', 'build', '--dir', kenya.dir, '--lang', 'sw-KE', '--modality', 'text', '--access', 'on-request', '--seed', '7']);
    await ok(['release', 'publish', '--dir', kenya.dir, '--index', index.url]);
    await until('every release in the index', async () => {
      const found = (await (await fetch(`${index.url}/api/v1/manifests`)).json()) as { totals: { datasets: number } };
      return found.totals.datasets === 3;
    });
    await readReleased(yoruba, 'yo-text', '1.0.0');
    await readReleased(swahili, 'sw-speech', '1.0.0');
    await readReleased(kenya, 'sw-ke-text', '1.0.0');
  }, 600_000);

  afterAll(async () => {
    for (const node of [yoruba, swahili, kenya]) if (node) await killHard(node.process.child);
    if (index) await killHard(index.child);
    for (const node of [yoruba, swahili, kenya]) if (node) rmSync(node.dir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('search finds every node’s dataset; sw finds sw-KE; a table and JSON', async () => {
    const table = await ok(['search', '--index', index.url]);
    for (const text of ['Ohùn Yorùbá', 'Sauti ya Pwani', 'Sauti ya Kenya', 'sw-KE', 'CC-BY-NC-4.0', 'gated', 'on-request', '3 dataset(s) from 3 node(s)']) expect(table).toContain(text);
    const sw = JSON.parse(await ok(['search', '--index', index.url, '--lang', 'sw', '--json']));
    expect(sw.manifests.map((m: { language: { tag: string } }) => m.language.tag).sort()).toEqual(['sw', 'sw-KE']);
  });

  it('the commands the node’s dataset card prints work as printed', async () => {
    const card = await (await fetch(`${swahili.url}/api/v1/datasets/sw-speech/card`)).text();
    const pullLine = card.split('\n').find((line) => line.startsWith('tributary pull '))!;
    expect(pullLine).toContain('--modality speech');
    const dir = join(work, 'from-card');
    // The node publishes to the index but its card does not know the URL yet: the placeholder is what a reader replaces.
    const args = pullLine.replace('<index URL>', index.url).replace(' DIR ', ` ${dir} `);
    const result = await cli(shellSplit(args).slice(1));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('sw-speech 1.0.0');
    expect(result.stdout).toContain('pulled');
    const verifyLine = card.split('\n').find((line) => line.startsWith('tributary verify '))!;
    const verified = await cli(shellSplit(verifyLine.replace('<index URL>', index.url).replace('DIR', dir)).slice(1));
    expect(verified.status, verified.stderr).toBe(0);
  });

  it('a pull killed mid-download resumes and ends with the sha256s of an uninterrupted pull', async () => {
    const killed = await cli(['pull', '--index', index.url, '--out', join(work, 'resumed'), '--progress', 'json', ...TRAINER], { preload: [dieAtFirstProgress] });
    expect(killed.signal).toBe('SIGKILL');
    const parts = readdirSync(join(work, 'resumed', '.tributary', 'downloads'), { recursive: true }).filter((name) => String(name).endsWith('.part'));
    expect(parts.length).toBeGreaterThan(0);
    const resumed = JSON.parse(await ok(['pull', '--index', index.url, '--out', join(work, 'resumed'), '--json', ...TRAINER]));
    // The half-written shard was continued from where it stopped, not fetched again from byte 0.
    expect(resumed.datasets.reduce((sum: number, row: { resumedBytes: number }) => sum + row.resumedBytes, 0)).toBeGreaterThan(0);
    expect(readdirSync(join(work, 'resumed', '.tributary', 'downloads'), { recursive: true }).filter((name) => String(name).endsWith('.part'))).toEqual([]);
    const clean = JSON.parse(await ok(['pull', '--index', index.url, '--out', join(work, 'clean'), '--json', ...TRAINER]));
    expect(clean.datasets.map((row: { outcome: string }) => row.outcome).sort()).toEqual(resumed.datasets.map((row: { outcome: string }) => row.outcome).sort());
    expect(shardHashes((await readLock(join(work, 'resumed')))!)).toEqual(shardHashes((await readLock(join(work, 'clean')))!));
  });

  it('pulls across the nodes: records byte for byte as released; on-request pending until approved, then picked up', async () => {
    const first = JSON.parse(await ok(['pull', '--index', index.url, '--out', out(), '--json', ...TRAINER]));
    const outcome = Object.fromEntries(first.datasets.map((row: { dataset: string; outcome: string }) => [row.dataset, row.outcome]));
    expect(outcome).toEqual({ 'yo-text': 'pulled', 'sw-speech': 'pulled', 'sw-ke-text': 'pending' });
    // The folder keeps the request's id; the operator sees it among the pending ones and approves it.
    const kept = JSON.parse(readFileSync(join(out(), '.tributary', 'access.json'), 'utf8')).grants as Array<{ dataset: string; grantId: string; status: string }>;
    const mine = kept.find((grant) => grant.dataset === 'sw-ke-text')!;
    expect(mine.status).toBe('pending');
    const pending = (await kenya.api.get('/admin/access-requests?status=pending', kenya.admin)).body.grants as Array<{ id: string }>;
    expect(pending.map((grant) => grant.id)).toContain(mine.grantId);
    expect((await kenya.api.post(`/admin/access-requests/${mine.grantId}/decision`, { decision: 'approved' }, kenya.admin)).status).toBe(200);
    const second = JSON.parse(await ok(['pull', '--index', index.url, '--out', out(), '--json', ...TRAINER]));
    expect(Object.fromEntries(second.datasets.map((row: { dataset: string; outcome: string }) => [row.dataset, row.outcome]))).toEqual({
      'yo-text': 'unchanged',
      'sw-speech': 'unchanged',
      'sw-ke-text': 'pulled',
    });
    const expected = new Map([...released(yoruba, 'yo-text', '1.0.0'), ...released(swahili, 'sw-speech', '1.0.0'), ...released(kenya, 'sw-ke-text', '1.0.0')]);
    expect(await folderRecords(out())).toEqual(expected);
  });

  it('the folder loads with DuckDB and with datasets (the card’s configs)', async (context) => {
    const env = await python;
    if (!env.ok) return context.skip(`DuckDB / datasets checks skipped: ${env.reason}`);
    const lock = (await readLock(out()))!;
    const hfHome = mkdtempSync(join(tmpdir(), 'tributary-hf-home-'));
    try {
      const result = await runPython(env, [loadCheck, out(), ...lock.sources.map((s) => s.id)], { HF_HOME: hfHome });
      expect(result.status, result.stderr).toBe(0);
      const loaded = JSON.parse(result.stdout);
      const total = lock.sources.reduce((sum, s) => sum + s.shards.reduce((n, shard) => n + (shard.local?.records ?? 0), 0), 0);
      expect(loaded.duckdb.count).toBe(total);
      const rows = Object.values(loaded.default as Record<string, { num_rows: number }>).reduce((sum, split) => sum + split.num_rows, 0);
      expect(rows).toBe(total);
    } finally {
      rmSync(hfHome, { recursive: true, force: true });
    }
  });

  it('a volunteer withdraws: the old shard answers 410 at once; after the node’s redaction and one feed read, verify removes exactly their records', async () => {
    const leaving = swahili.speakers[0]!;
    const theirs = [...swahili.samples].filter(([, who]) => who === leaving.id).map(([id]) => id);
    const before = await folderRecords(out());
    expect(theirs.every((id) => before.has(id))).toBe(true);
    const lock = (await readLock(out()))!;
    const source = lock.sources.find((s) => s.datasetId === 'sw-speech')!;
    const grants = JSON.parse(readFileSync(join(out(), '.tributary', 'access.json'), 'utf8')).grants as Array<{ dataset: string; token: string }>;
    const token = grants.find((g) => g.dataset === 'sw-speech')!.token;
    // Which of the released shards hold their records, read from the node's own release folder.
    const holding: Record<string, boolean> = {};
    for (const shard of source.shards) {
      const rows = await readRows(join(swahili.dir, 'releases', 'sw-speech', '1.0.0', shard.name));
      holding[shard.name] = rows.some((row) => theirs.includes(row.key));
    }
    expect(Object.values(holding)).toContain(true);
    const status = async (name: string) =>
      (await fetch(`${swahili.url}/api/v1/datasets/sw-speech/shards/${name}?version=1.0.0`, { headers: { authorization: `Bearer ${token}` } })).status;
    for (const name of Object.keys(holding)) expect(await status(name)).toBe(200);

    expect((await swahili.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status).toBeLessThan(300);
    // At once: the shards holding their records are gone, the others still served.
    for (const [name, holds] of Object.entries(holding)) expect(await status(name), name).toBe(holds ? 410 : 200);

    // The node redacts after its delay and pushes the notice and the new version through its outbox.
    await until('the withdrawal and the redacted version in the index feed', async () => {
      const feed = (await (await fetch(`${index.url}/api/v1/feed?cursor=0&limit=1000`)).json()) as { events: Array<{ event: { type: string; dataset?: string } }> };
      const types = feed.events.filter((e) => e.event.dataset === 'sw-speech').map((e) => e.event.type);
      return types.includes('withdrawal') && types.includes('manifest.superseded');
    });
    const result = await cli(['verify', out(), '--index', index.url, '--json']);
    expect(result.status, result.stderr).toBe(2);
    const report = JSON.parse(result.stdout);
    const withdrawal = report.changes.filter((c: { kind: string }) => c.kind === 'withdrawal');
    expect(withdrawal.reduce((sum: number, c: { records: number }) => sum + c.records, 0)).toBe(theirs.length);
    expect(report.changes.some((c: { kind: string; dataset: string }) => c.kind === 'newer-version' && c.dataset === 'sw-speech')).toBe(true);
    const after = await folderRecords(out());
    // Exactly their records went, and every other row is the one pulled, value for value.
    expect(after).toEqual(new Map([...before].filter(([key]) => !theirs.includes(key))));
    const table = await cli(['verify', out(), '--index', index.url]);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toContain('is current');
  });

  it('an operator retracts a dataset: verify removes it', async () => {
    await ok(['release', 'retract', 'yo-text', '--reason', 'The community asked for it back.', '--dir', yoruba.dir]);
    await until('the retraction in the index feed', async () => {
      const feed = (await (await fetch(`${index.url}/api/v1/feed?cursor=0&limit=1000`)).json()) as { events: Array<{ event: { type: string } }> };
      return feed.events.some((e) => e.event.type === 'dataset.retracted');
    });
    const result = await cli(['verify', out(), '--index', index.url]);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stdout).toContain('retraction');
    const lock = (await readLock(out()))!;
    expect(lock.sources.map((s) => s.datasetId).sort()).toEqual(['sw-ke-text', 'sw-speech']);
    const left = await folderRecords(out());
    expect([...released(yoruba, 'yo-text', '1.0.0').keys()].some((key) => left.has(key))).toBe(false);
  });
});

/** Splits a command line as a POSIX shell would for the quoting the card uses (bare words and '…'). */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  const pattern = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] !== undefined ? match[1].replace(/'\\''/g, "'") : match[2]!);
  return words;
}
