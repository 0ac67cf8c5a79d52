import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { downloadFiles } from '../../server/trainer/download.js';
import { dropRecords, folderSources, removeSource, setIndexState, writeFolder, type PulledSource } from '../../server/trainer/folder.js';
import { LOCK_FILE, parseLock, readLock, type Lock } from '../../server/trainer/lock.js';
import { pythonWith, runPython, type PythonEnv } from '../helpers/python.js';
import { accessToken, downloadList, pulledSource, readRows, releasedRecords, sha256, twoNodes, type PublishedRelease } from './releases.js';

const loadCheck = fileURLToPath(new URL('./load-check.py', import.meta.url));
const SPEECH = 'sauti-ya-pwani-sw-speech';
const TEXT = 'ohun-yoruba-yo-text';

interface Loaded {
  duckdb: { count: number; splits: Record<string, number>; keys: string[] };
  default: Record<string, LoadedSplit>;
  configs: Record<string, Record<string, LoadedSplit>>;
}
interface LoadedSplit {
  num_rows: number;
  features: Record<string, string>;
  rows: Array<{ key: string; audio: string | null; text: string | null }>;
}

/** Every file under a folder with its bytes' hash, inode and mtime: what "changes nothing" means. */
function snapshot(dir: string): Record<string, { sha256: string; ino: number; mtimeMs: number }> {
  const files: Record<string, { sha256: string; ino: number; mtimeMs: number }> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = statSync(path);
    files[path.slice(dir.length + 1)] = { sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), ino: info.ino, mtimeMs: info.mtimeMs };
  }
  return files;
}

function frontMatter(card: string): Record<string, any> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (!match) throw new Error('the card has no YAML front matter');
  return parseYaml(match[1]!) as Record<string, any>;
}

/** The files of the folder's `data/` and the lock's view of them must agree, byte for byte. */
function expectLockMatchesFolder(dir: string, lock: Lock): void {
  const local = lock.sources.flatMap((source) => source.shards.flatMap((shard) => (shard.local ? [shard.local] : [])));
  expect(readdirSync(join(dir, 'data')).sort()).toEqual(local.map((file) => file.name.slice('data/'.length)).sort());
  for (const file of local) {
    const bytes = readFileSync(join(dir, file.name));
    expect(sha256(bytes), file.name).toBe(file.sha256);
    expect(bytes.length).toBe(file.bytes);
  }
  expect(parseLock(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual(lock);
}

describe('the pulled folder', () => {
  let nodes: Awaited<ReturnType<typeof twoNodes>>;
  let downloads: string;
  let out: string;
  let sources: PulledSource[];
  let released: Map<string, { split: string; audio: string | null; text: string | null }>;
  let python: PythonEnv;
  let lock: Lock;
  /** Records dropped from the folder so far. */
  const gone = new Set<string>();

  /** Loads the folder with DuckDB and `datasets`; skips the calling test, saying why, when Python cannot be set up. */
  async function load(skip: (note: string) => void, configs: string[]): Promise<Loaded> {
    if (!python.ok) {
      skip(`DuckDB / datasets checks skipped: ${python.reason}`);
      throw new Error('unreachable');
    }
    const hfHome = mkdtempSync(join(tmpdir(), 'tributary-hf-home-'));
    try {
      const result = await runPython(python, [loadCheck, out, ...configs], { HF_HOME: hfHome });
      if (result.status !== 0) throw new Error(`load-check.py failed:\n${result.stderr}`);
      return JSON.parse(result.stdout) as Loaded;
    } finally {
      rmSync(hfHome, { recursive: true, force: true });
    }
  }

  /** What `default` and a source config must hold: the released records, split by split. */
  function expectRecords(splits: Record<string, LoadedSplit>, expected: Map<string, { split: string; audio: string | null; text: string | null }>) {
    const seen = new Map<string, { split: string; audio: string | null; text: string | null }>();
    for (const [split, loaded] of Object.entries(splits)) {
      expect(loaded.num_rows).toBe(loaded.rows.length);
      for (const row of loaded.rows) seen.set(row.key, { split, audio: row.audio, text: row.text });
    }
    expect(seen).toEqual(expected);
  }

  const subset = (keep: (key: string, record: { split: string; audio: string | null; text: string | null }) => boolean) =>
    new Map([...released].filter(([key, record]) => keep(key, record)));

  beforeAll(async () => {
    // The environment is made (or found in test/.cache) while the nodes are seeded.
    const preparing = pythonWith({ packages: ['duckdb', 'datasets'], imports: ['duckdb', 'datasets'] });
    nodes = await twoNodes();
    downloads = mkdtempSync(join(tmpdir(), 'tributary-downloads-'));
    out = join(mkdtempSync(join(tmpdir(), 'tributary-pulled-')), 'pulled');
    const token = await accessToken(nodes.swahili, 'sw-speech');
    const report = await downloadFiles([...downloadList(nodes.speech, downloads, token), ...downloadList(nodes.text, downloads)]);
    if (!report.ok) throw new Error(`downloads failed: ${JSON.stringify(report.files)}`);
    sources = [await pulledSource(nodes.speech, downloads), await pulledSource(nodes.text, downloads)];
    released = new Map([...(await releasedRecords(nodes.speech)), ...(await releasedRecords(nodes.text))]);
    python = await preparing;
    if (!python.ok) console.warn(`[trainer folder tests] DuckDB / datasets checks will be skipped: ${python.reason}`);
  }, 900_000);
  afterAll(async () => {
    await nodes?.stop();
    for (const dir of [downloads, out && join(out, '..')]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lays out one folder: every node’s shards under data/ renumbered per split, each source’s envelope and card, and the lock', async () => {
    lock = await writeFolder(out, sources);

    expect(lock.sources.map((source) => source.id)).toEqual([TEXT, SPEECH]);
    expectLockMatchesFolder(out, lock);
    // Renumbered per split across both sources: text first (source ids in order), then speech.
    for (const split of ['train', 'dev', 'test']) {
      const names = lock.sources.flatMap((source) => source.shards.filter((s) => s.split === split).map((s) => s.local!.name));
      expect(names).toEqual(names.map((_, i) => `data/${split}-${String(i).padStart(5, '0')}-of-${String(names.length).padStart(5, '0')}.parquet`));
    }
    // Nothing was dropped: every file is the node's signed shard, byte for byte.
    for (const source of lock.sources) {
      for (const shard of source.shards) {
        expect(shard.local).toMatchObject({ sha256: shard.sha256, bytes: shard.bytes, records: shard.records });
        expect(shard.droppedKeys).toEqual([]);
      }
    }

    for (const [id, release] of [[SPEECH, nodes.speech], [TEXT, nodes.text]] as Array<[string, PublishedRelease]>) {
      const entry = lock.sources.find((source) => source.id === id)!;
      const envelope = readFileSync(join(out, 'sources', id, 'croissant.dsse.json'), 'utf8');
      expect(envelope).toBe(release.envelope);
      expect(readFileSync(join(out, 'sources', id, 'README.md'), 'utf8')).toBe(release.card);
      expect(entry).toMatchObject({
        datasetId: release.datasetId,
        version: release.version,
        node: { url: release.t.url },
        manifestId: sha256(Buffer.from(JSON.parse(envelope).payload, 'base64')),
        envelopeSha256: sha256(release.envelope),
        cardSha256: sha256(release.card),
      });
      expect(entry.node.did).toBe(release.manifest['tributary:nodeDid']);
      expect(entry.shards.map((shard) => [shard.name, shard.sha256])).toEqual(release.files.map((file) => [file.name, file.sha256]).sort());
    }
    expect(lock.index).toEqual({ url: null, feedCursor: null, checkpoint: null, nodes: [] });
    expect(readdirSync(out).sort()).toEqual(['README.md', 'croissant.json', 'data', 'sources', LOCK_FILE].sort());
  });

  it('writes one card: configs for every split and for each source, licences, languages, combined terms', () => {
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const yaml = frontMatter(card);
    const splitsOf = (id: string) => ['train', 'dev', 'test'].filter((split) => lock.sources.find((s) => s.id === id)!.shards.some((s) => s.split === split));
    expect(yaml).toMatchObject({ license: 'other', license_name: 'multiple-licenses', language: ['yo', 'sw'], tags: ['tributary', 'text', 'speech'] });
    expect(yaml.task_categories).toEqual(expect.arrayContaining(['automatic-speech-recognition', 'text-to-speech', 'text-generation']));
    expect(yaml.configs[0]).toEqual({
      config_name: 'default',
      default: true,
      data_files: ['train', 'dev', 'test'].map((split) => ({ split, path: `data/${split}-*` })),
    });
    for (const id of [TEXT, SPEECH]) {
      const config = yaml.configs.find((c: { config_name: string }) => c.config_name === id);
      const own = lock.sources.find((s) => s.id === id)!.shards;
      expect(config.data_files).toEqual(splitsOf(id).map((split) => ({ split, path: own.filter((s) => s.split === split).map((s) => s.local!.name) })));
    }
    const info = (name: string) => yaml.dataset_info.find((i: { config_name: string }) => i.config_name === name);
    expect(info('default').features.map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining(['key', 'text', 'audio', 'sentence', 'duration', 'language', 'speaker_id']),
    );
    expect(info(SPEECH).features.find((f: { name: string }) => f.name === 'audio').dtype).toEqual({ audio: { sampling_rate: 16000 } });
    expect(info(TEXT).features.map((f: { name: string }) => f.name)).not.toContain('audio');

    // Terms: both permit train, evaluate and redistribution; only the speech source permits
    // commercial models (the text one is NC). Duties: attribute (both), notify-use (gated speech).
    expect(card).toMatch(/\*\*You may\*\* \(every source permits it\): train models; evaluate models; redistribute the data/);
    expect(card).toContain(`**You may not** build models that are used or sold commercially: not permitted by \`${TEXT}\``);
    expect(card).toContain(`**Duty** attribute: credit the community (see Citations); owed to \`${TEXT}\`, \`${SPEECH}\``);
    expect(card).toContain(`**Duty** notify-use: tell the community when its data goes into a model; owed to \`${SPEECH}\``);
    expect(card).toContain('[CC-BY-4.0](https://spdx.org/licenses/CC-BY-4.0.html)');
    expect(card).toContain('[CC-BY-NC-4.0](https://spdx.org/licenses/CC-BY-NC-4.0.html)');
    expect(card).toMatch(/\| `sauti-ya-pwani-sw-speech` \| Sauti ya Pwani \(`did:[^`]+`, http:\/\/127\.0\.0\.1:\d+\) \| sw-speech \| 1\.0\.0 \|/);
    expect(card).toContain('tributary verify DIR --index URL');
    expect(card).toContain('@misc{tributary-yo-text-1.0.0,');
  });

  it('loads with DuckDB and Hugging Face datasets, each source on its own too, holding exactly what the nodes released', async ({ skip }) => {
    const loaded = await load(skip, [SPEECH, TEXT]);
    expect(loaded.duckdb.count).toBe(released.size);
    expect(loaded.duckdb.keys).toEqual([...released.keys()].sort());
    for (const split of ['train', 'dev', 'test']) {
      expect(loaded.duckdb.splits[split]).toBe(subset((_, r) => r.split === split).size);
    }
    expect(Object.keys(loaded.default)).toEqual(['train', 'dev', 'test']);
    expectRecords(loaded.default, released);
    expect(loaded.default.train!.features).toMatchObject({ key: 'Value', audio: 'Audio', text: 'Value', sentence: 'Value' });
    const speechKeys = new Set((await releasedRecords(nodes.speech)).keys());
    expectRecords(loaded.configs[SPEECH]!, subset((key) => speechKeys.has(key)));
    expectRecords(loaded.configs[TEXT]!, subset((key) => !speechKeys.has(key)));
    expect(Object.keys(loaded.configs[TEXT]!.train!.features)).not.toContain('audio');
  });

  it('changes nothing when written again from the same sources', async () => {
    const before = snapshot(out);
    const again = await writeFolder(out, sources);
    expect(again).toEqual(lock);
    expect(snapshot(out)).toEqual(before);
    // Also when the downloads are gone: the folder already holds every shard of these manifests.
    const fromFolder = await writeFolder(out, await folderSources(out, lock));
    expect(fromFolder).toEqual(lock);
    expect(snapshot(out)).toEqual(before);
  });

  it('puts right a folder a crashed run left half-renamed, finding each shard by its sha256', async () => {
    const [train, dev] = ['train', 'dev'].map((split) => lock.sources[0]!.shards.find((s) => s.split === split)!.local!.name);
    // One shard stepped aside to a temporary name, another took its place, then the power went.
    renameSync(join(out, train!), join(out, 'data', '.tributary-1-crash.tmp'));
    renameSync(join(out, dev!), join(out, train!));
    const repaired = await writeFolder(out, sources.map((source) => ({ ...source, shards: [] })));
    expect(repaired).toEqual(lock);
    expectLockMatchesFolder(out, lock);
  });

  it('drops withdrawn records: exactly those keys go, the shards keep their schema, the lock has their new sha256s', async () => {
    const speechSource = lock.sources.find((s) => s.id === SPEECH)!;
    const textSource = lock.sources.find((s) => s.id === TEXT)!;
    const train = speechSource.shards.find((s) => s.split === 'train')!;
    const trainRows = await readRows(join(out, train.local!.name));
    const withdrawn = trainRows.slice(0, 2).map((row) => row.key as string);
    const schemaBefore = (await parquetMetadataAsync(await asyncBufferFromFile(join(out, train.local!.name)))).schema;
    const untouched = speechSource.shards.filter((s) => s !== train).map((s) => [s.local!.name, s.local!.sha256]);

    const first = await dropRecords(out, lock, { source: SPEECH, shards: [train.name], recordKeys: [...withdrawn, '01ZZZZZZZZZZZZZZZZZZZZZZZZ'] });
    expect(first.dropped).toEqual([...withdrawn].sort());
    expect(first.notFound).toEqual(['01ZZZZZZZZZZZZZZZZZZZZZZZZ']);
    lock = first.lock;
    expectLockMatchesFolder(out, lock);
    const rewritten = lock.sources.find((s) => s.id === SPEECH)!.shards.find((s) => s.name === train.name)!;
    expect(rewritten).toMatchObject({ sha256: train.sha256, records: train.records, droppedKeys: [...withdrawn].sort() });
    expect(rewritten.local!.records).toBe(train.records - 2);
    expect(rewritten.local!.sha256).not.toBe(train.sha256);
    const after = await readRows(join(out, rewritten.local!.name));
    expect(after.map((row) => row.key)).toEqual(trainRows.map((row) => row.key).filter((key) => !withdrawn.includes(key)));
    // The audio of every record left is the node's, and the file has the same columns and types.
    const audioOf = new Map(trainRows.map((row) => [row.key, sha256(row.audio.bytes)]));
    for (const row of after) expect(sha256(row.audio.bytes)).toBe(audioOf.get(row.key));
    expect((await parquetMetadataAsync(await asyncBufferFromFile(join(out, rewritten.local!.name)))).schema).toEqual(schemaBefore);
    expect(lock.sources.find((s) => s.id === SPEECH)!.shards.filter((s) => s !== rewritten).map((s) => [s.local!.name, s.local!.sha256])).toEqual(untouched);

    // A whole text shard's records: the shard goes and its split is renumbered.
    const textShard = textSource.shards.find((s) => s.split === 'test')!;
    const all = (await readRows(join(out, textShard.local!.name))).map((row) => row.key as string);
    // Several notices at once (one already applied): one layout.
    const second = await dropRecords(out, lock, [
      { source: TEXT, recordKeys: all },
      { source: SPEECH, shards: [train.name], recordKeys: [withdrawn[0]!] },
    ]);
    expect(second.dropped).toEqual([...all].sort());
    expect(second.notFound).toEqual([withdrawn[0]]);
    lock = second.lock;
    expectLockMatchesFolder(out, lock);
    expect(lock.sources.find((s) => s.id === TEXT)!.shards.find((s) => s.name === textShard.name)).toMatchObject({ local: null, droppedKeys: [...all].sort() });
    expect(readdirSync(join(out, 'data')).filter((name) => name.startsWith('test-'))).toEqual(
      lock.sources.flatMap((s) => s.shards.filter((shard) => shard.split === 'test' && shard.local).map((shard) => shard.local!.name.slice(5))),
    );

    // Nothing left to drop: nothing is written.
    const before = snapshot(out);
    expect((await dropRecords(out, lock, { source: SPEECH, recordKeys: withdrawn })).dropped).toEqual([]);
    expect(snapshot(out)).toEqual(before);
    expect(await readLock(out)).toEqual(lock);

    // A pull of the same manifests keeps them dropped, even rebuilding a lost shard from the download.
    rmSync(join(out, rewritten.local!.name));
    expect(await writeFolder(out, sources)).toEqual(lock);
    expectLockMatchesFolder(out, lock);

    for (const key of [...withdrawn, ...all]) gone.add(key);
  });

  it('still loads after the drops, without the dropped records', async ({ skip }) => {
    expect(gone.size).toBeGreaterThan(2);
    const loaded = await load(skip, [SPEECH, TEXT]);
    expect(loaded.duckdb.count).toBe(released.size - gone.size);
    expect(loaded.duckdb.keys).toEqual([...released.keys()].filter((key) => !gone.has(key)).sort());
    expectRecords(loaded.default, subset((key) => !gone.has(key)));
    expectRecords(loaded.configs[TEXT]!, subset((key) => !gone.has(key) && released.get(key)!.audio === null));
  });

  it('removes a retracted source: its shards and sources/ entry go, the rest is renumbered, the card and lock rewritten', async () => {
    lock = await removeSource(out, lock, TEXT);
    expect(lock.sources.map((s) => s.id)).toEqual([SPEECH]);
    expectLockMatchesFolder(out, lock);
    expect(existsSync(join(out, 'sources', TEXT))).toBe(false);
    expect(readdirSync(join(out, 'sources'))).toEqual([SPEECH]);
    const shards = lock.sources[0]!.shards;
    for (const split of ['train', 'dev', 'test']) {
      const names = shards.filter((s) => s.split === split).map((s) => s.local!.name);
      expect(names).toEqual(names.map((_, i) => `data/${split}-${String(i).padStart(5, '0')}-of-${String(names.length).padStart(5, '0')}.parquet`));
    }
    const yaml = frontMatter(readFileSync(join(out, 'README.md'), 'utf8'));
    expect(yaml).toMatchObject({ license: 'cc-by-4.0', language: ['sw'] });
    expect(yaml.configs.map((c: { config_name: string }) => c.config_name)).toEqual(['default', SPEECH]);
    await expect(removeSource(out, lock, TEXT)).rejects.toMatchObject({ code: 'UnknownSource' });
  });

  it('still loads after the removal, with the remaining source only', async ({ skip }) => {
    const left = subset((key, record) => record.audio !== null && !gone.has(key));
    const loaded = await load(skip, [SPEECH]);
    expect(loaded.duckdb.count).toBe(left.size);
    expectRecords(loaded.default, left);
    expectRecords(loaded.configs[SPEECH]!, left);
  });

  it('keeps the index state the caller records, through later writes', async () => {
    const index = { url: 'https://index.example.org', feedCursor: '42', checkpoint: { size: 7, rootHash: 'abc=', note: 'index.example.org\n7\nabc=\n' }, nodes: [] };
    lock = await setIndexState(out, lock, index);
    expect(await readLock(out)).toEqual(lock);
    const speech = sources.find((source) => source.manifest['tributary:datasetId'] === 'sw-speech')!;
    expect((await writeFolder(out, [speech])).index).toEqual(index);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('tributary verify DIR --index https://index.example.org');
  });

  it('refuses sources whose parts do not belong together', async () => {
    const [speech, text] = sources as [PulledSource, PulledSource];
    const elsewhere = join(out, '..', 'refused');
    await expect(writeFolder(elsewhere, [{ ...speech, manifest: text.manifest }])).rejects.toMatchObject({ code: 'SourceMismatch' });
    await expect(writeFolder(elsewhere, [{ ...speech, node: { ...speech.node, did: text.node.did } }])).rejects.toMatchObject({ code: 'SourceMismatch' });
    await expect(writeFolder(elsewhere, [speech, speech])).rejects.toMatchObject({ code: 'SourceMismatch' });
    const swapped = { ...speech, shards: speech.shards.map((shard, i) => ({ ...shard, path: speech.shards[(i + 1) % speech.shards.length]!.path })) };
    await expect(writeFolder(elsewhere, [swapped])).rejects.toMatchObject({ code: 'ShardFileMissing' });
    expect(existsSync(join(elsewhere, LOCK_FILE))).toBe(false);
  });
});
