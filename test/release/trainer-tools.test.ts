import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { downloadFiles } from '../../server/trainer/download.js';
import { writeFolder } from '../../server/trainer/folder.js';
import { readLock } from '../../server/trainer/lock.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { pythonWith, runPython, type PythonEnv } from '../helpers/python.js';
import { seedReleaseData, type ReleaseData } from '../helpers/release-data.js';
import { accessToken, adminToken, downloadList, fetchRelease, pulledSource, type PublishedRelease } from '../trainer/releases.js';

/**
 * What a node releases and what `tributary pull` writes, read by the tools trainers already use:
 * mlcroissant (the reference Croissant implementation, vendored in test/tools/mlcroissant),
 * Hugging Face `datasets`, and DuckDB, the last two from a venv made by test/helpers/python.ts.
 * Where that venv cannot be made, the checks that need it skip and say why; mlcroissant's own
 * validation needs only Debian's Python and the packages .ci/run installs.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const validator = join(root, 'test/tools/mlcroissant/validate');
const loadScript = fileURLToPath(new URL('./trainer-tools.py', import.meta.url));

interface Verdict {
  status: number;
  output: string;
  errors: string[];
  warnings: string[];
  recordSets: Record<string, number>;
}

function run(command: string, args: string[], env: Record<string, string> = {}, cwd = root): Promise<{ status: number; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status: status ?? -1, signal, stdout, stderr }));
  });
}

/**
 * Arrow's Parquet thread pool can abort Python's shutdown after a script has done and printed
 * everything (apache/arrow#34314, intermittent). Our own scripts leave with os._exit; a README
 * command, run as printed, may still meet it, and its whole output is checked regardless.
 */
function abortedAtExit(result: { status: number; signal: NodeJS.Signals | null; stderr: string }): boolean {
  return (result.signal === 'SIGABRT' || result.status === 134) && result.stderr.trimEnd().endsWith('terminate called without an active exception');
}

/**
 * The shared validator's verdict on each manifest, from one Python (it starts far slower than it
 * checks); with `python`, it also reads every record set. `status` is the run's: 0 only when no
 * manifest had an error.
 */
async function validate(manifests: string[], python?: Extract<PythonEnv, { ok: true }>): Promise<Map<string, Verdict>> {
  const args = python ? ['--records', ...manifests] : manifests;
  const result = await run(validator, args, python ? { ...python.env, MLCROISSANT_PYTHON: python.python } : {});
  const verdicts = new Map<string, Verdict>();
  const output = `${result.stdout}\n${result.stderr}`;
  for (const section of result.stdout.split(/^== /m).slice(1)) {
    const [path, ...lines] = section.split('\n');
    const recordSets: Record<string, number> = {};
    for (const line of lines) {
      const match = /^ {2}record set (\S+): (\d+) records$/.exec(line);
      if (match) recordSets[match[1]!] = Number(match[2]);
    }
    verdicts.set(path!, {
      status: result.status,
      output,
      errors: lines.filter((line) => /^ {2}(error|raised|records failed)/.test(line)),
      warnings: lines.filter((line) => line.startsWith('  warning:')),
      recordSets,
    });
  }
  if (manifests.some((manifest) => !verdicts.has(manifest))) throw new Error(`the validator did not report on every manifest:\n${output}`);
  return verdicts;
}

function frontMatter(card: string): Record<string, any> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (!match) throw new Error('the card has no YAML front matter');
  return parseYaml(match[1]!) as Record<string, any>;
}

interface LoadedSplit {
  num_rows: number;
  features: Record<string, { type: string; dtype?: string; sampling_rate?: number }>;
  clips: Array<{ key: string; duration: number; rate: number; channels: number; seconds: number }>;
}

/** Release folders built in this file, by what they show. */
interface Built {
  label: string;
  release: PublishedRelease;
  folder: string;
  format: 'parquet' | 'webdataset';
}

// Each check starts Python a few times over six releases: far slower than the default 30 s on a busy machine.
describe('trainers’ own tools read every release and every pulled folder', { timeout: 180_000 }, () => {
  let t: TestNode;
  let data: ReleaseData;
  let python: PythonEnv;
  let work: string;
  const built: Built[] = [];
  let pulled = '';

  async function build(label: string, body: Record<string, unknown>): Promise<void> {
    const answer = await t.api.post('/admin/releases', { seed: 7, ...body }, adminToken(t));
    if (answer.status !== 201) throw new Error(`release build failed: ${JSON.stringify(answer.body)}`);
    const { datasetId, version } = answer.body.release as { datasetId: string; version: string };
    await keep(label, await fetchRelease(t, datasetId, version), (body.format as 'webdataset' | undefined) ?? 'parquet');
  }

  /** Copies a release folder out of the node: a later version deletes the files of the one it supersedes. */
  async function keep(label: string, release: PublishedRelease, format: Built['format']): Promise<void> {
    const folder = join(work, label);
    cpSync(join(t.dir, 'releases', release.datasetId, release.version), folder, { recursive: true });
    built.push({ label, release, folder, format });
  }

  const ready = (skip: (note: string) => void): Extract<PythonEnv, { ok: true }> => {
    if (!python.ok) {
      skip(`needs pyarrow / datasets / duckdb: ${python.reason}`);
      throw new Error('unreachable');
    }
    return python;
  };

  beforeAll(async () => {
    // The same packages as test/trainer/folder.test.ts, so both use one cached venv.
    const preparing = pythonWith({ packages: ['duckdb', 'datasets'], imports: ['duckdb', 'datasets'] });
    work = mkdtempSync(join(tmpdir(), 'tributary-trainer-tools-'));
    t = await startTestNode({ languages: ['sw'], releases: { redactAfterSeconds: 1 } });
    data = await seedReleaseData(t);
    // Every format, modality and access class; the last two are then rebuilt after a withdrawal.
    await build('speech-webdataset-gated', { language: 'sw', modality: 'speech', format: 'webdataset', accessClass: 'gated' });
    await build('text-webdataset-open', { language: 'sw', modality: 'text', format: 'webdataset' });
    // A dataset stays gated until its community opens it again.
    if ((await t.api.put('/admin/datasets/sw-speech/access', { accessClass: 'open' }, adminToken(t))).status !== 200) throw new Error('access change refused');
    await build('speech-parquet-open', { language: 'sw', modality: 'speech' });
    await build('text-parquet-gated', { language: 'sw', modality: 'text', accessClass: 'gated' });

    const leaving = data.speakers[0]!;
    if ((await t.api.delete(`/consents/${leaving.consentRecordId}`, leaving.token)).status !== 200) throw new Error('withdrawal refused');
    await t.node.context.redactions.settled();
    for (const [label, datasetId] of [['speech-parquet-open-after-withdrawal', 'sw-speech'], ['text-parquet-gated-after-withdrawal', 'sw-text']] as const) {
      const current = (await t.api.get('/datasets')).body.datasets.find((d: { id: string }) => d.id === datasetId) as { version: string };
      await keep(label, await fetchRelease(t, datasetId, current.version), 'parquet');
    }

    // A pulled folder, written as `tributary pull` writes it, from the MAJOR releases.
    const downloads = join(work, 'downloads');
    const [speech, text] = built.slice(-2).map((b) => b.release) as [PublishedRelease, PublishedRelease];
    // Access classes stay with the dataset: gated once, gated in every later version.
    const tokenFor = async (release: PublishedRelease) =>
      t.node.context.authority.get(release.datasetId).accessClass === 'open' ? undefined : await accessToken(t, release.datasetId);
    const report = await downloadFiles([...downloadList(speech, downloads, await tokenFor(speech)), ...downloadList(text, downloads, await tokenFor(text))]);
    if (!report.ok) throw new Error(`downloads failed: ${JSON.stringify(report.files)}`);
    pulled = join(work, 'pulled');
    await writeFolder(pulled, [await pulledSource(speech, downloads), await pulledSource(text, downloads)]);

    python = await preparing;
    if (!python.ok) console.warn(`[trainer-tools] record reading, datasets and DuckDB checks will be skipped: ${python.reason}`);
  }, 600_000);
  afterAll(async () => {
    await t?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('built every kind of release, including MAJOR versions after a withdrawal', () => {
    expect(built.map((b) => `${b.label} ${b.release.version} ${b.release.manifest['tributary:accessClass']}`)).toEqual([
      'speech-webdataset-gated 1.0.0 gated',
      'text-webdataset-open 1.0.0 open',
      expect.stringMatching(/^speech-parquet-open \d+\.\d+\.\d+ open$/),
      expect.stringMatching(/^text-parquet-gated \d+\.\d+\.\d+ gated$/),
      expect.stringMatching(/^speech-parquet-open-after-withdrawal \d+\.0\.0 open$/),
      expect.stringMatching(/^text-parquet-gated-after-withdrawal \d+\.0\.0 gated$/),
    ]);
    for (const b of built.slice(-2)) {
      expect(b.release.manifest['tributary:withdrawnSincePrevious']).toBeGreaterThan(0);
      expect(b.release.manifest['tributary:previousManifest']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('mlcroissant validates every manifest a node writes with no error and no warning', async () => {
    const verdicts = await validate(built.map((b) => join(b.folder, 'croissant.json')));
    for (const b of built) {
      const verdict = verdicts.get(join(b.folder, 'croissant.json'))!;
      expect({ label: b.label, errors: verdict.errors, warnings: verdict.warnings, status: verdict.status }, verdict.output).toEqual({
        label: b.label,
        errors: [],
        warnings: [],
        status: 0,
      });
    }
  });

  it('mlcroissant reads every record set of a Parquet release back, as many records as the manifest states, audio as bytes', async ({ skip }) => {
    const env = ready(skip);
    const parquet = built.filter((b) => b.format === 'parquet');
    const verdicts = await validate(parquet.map((b) => join(b.folder, 'croissant.json')), env);
    for (const b of parquet) {
      const verdict = verdicts.get(join(b.folder, 'croissant.json'))!;
      expect(verdict.errors, verdict.output).toEqual([]);
      expect(verdict.warnings, verdict.output).toEqual([]);
      expect(verdict.recordSets, `${b.label}\n${verdict.output}`).toEqual({
        splits: (b.release.manifest['tributary:splits'] as unknown[]).length,
        default: b.release.manifest['tributary:records'],
      });
    }
  });

  it('Hugging Face datasets loads every Parquet release folder by path: splits as in the card, text as strings, audio at 16 kHz with the stated duration', async ({ skip }) => {
    const env = ready(skip);
    const parquet = built.filter((b) => b.format === 'parquet');
    const result = await runPython(env, [loadScript, '--folders', ...parquet.map((b) => b.folder)], { HF_HOME: join(work, 'hf-home') });
    expect(result.status, result.stderr).toBe(0);
    const loaded = JSON.parse(result.stdout) as Record<string, Record<string, LoadedSplit>>;
    for (const b of parquet) {
      const card = frontMatter(readFileSync(join(b.folder, 'README.md'), 'utf8'));
      expectLoaded(loaded[b.folder]!, card.configs[0].data_files.map((f: { split: string }) => f.split), b.release.manifest);
    }
  });

  function expectLoaded(splits: Record<string, LoadedSplit>, cardSplits: string[], manifest: Record<string, any>) {
    expect(Object.keys(splits)).toEqual(cardSplits);
    const speech = manifest['tributary:modality'] === 'speech';
    for (const [split, loaded] of Object.entries(splits)) {
      const stated = (manifest['tributary:splits'] as Array<Record<string, any>>).find((s) => s['tributary:split'] === split)!;
      expect(loaded.num_rows, split).toBe(stated['tributary:records']);
      for (const name of ['key', 'language', 'speaker_id', ...(speech ? ['sentence'] : ['text'])]) {
        expect(loaded.features[name], name).toEqual({ type: 'Value', dtype: 'string' });
      }
      if (!speech) continue;
      expect(loaded.features.audio).toEqual({ type: 'Audio', sampling_rate: 16000 });
      expect(loaded.clips).toHaveLength(loaded.num_rows);
      for (const clip of loaded.clips) {
        expect(clip).toMatchObject({ rate: 16000, channels: 1 });
        expect(clip.seconds).toBeCloseTo(clip.duration, 2);
      }
    }
  }

  it('mlcroissant reads audio as WAV bytes at 16 kHz with the duration the record states, and text', async ({ skip }) => {
    const env = ready(skip);
    const parquet = built.filter((b) => b.format === 'parquet');
    const result = await runPython(env, [loadScript, '--mlcroissant', ...parquet.map((b) => join(b.folder, 'croissant.json'))], mlcroissantPath());
    expect(result.status, result.stderr).toBe(0);
    const reads = JSON.parse(result.stdout) as Record<string, { records: number; types: string[]; clips: Array<{ rate: number; channels: number; seconds: number; duration: number }> }>;
    for (const b of parquet) {
      const read = reads[join(b.folder, 'croissant.json')]!;
      expect(read.records, b.label).toBe(b.release.manifest['tributary:records']);
      if (b.release.manifest['tributary:modality'] === 'speech') {
        expect(read.types).toContain('default/audio:bytes');
        expect(read.clips).toHaveLength(read.records);
        for (const clip of read.clips) {
          expect(clip).toMatchObject({ rate: 16000, channels: 1 });
          expect(clip.seconds).toBeCloseTo(clip.duration, 2);
        }
      } else {
        expect(read.types.filter((type) => type.startsWith('default/text:'))).toHaveLength(1);
      }
    }
  });

  it('every source manifest in a pulled folder passes mlcroissant with no error and no warning', async () => {
    const manifests = readdirSync(join(pulled, 'sources')).map((id) => {
      const envelope = JSON.parse(readFileSync(join(pulled, 'sources', id, 'croissant.dsse.json'), 'utf8')) as { payload: string };
      const manifest = join(work, `${id}.croissant.json`);
      writeFileSync(manifest, Buffer.from(envelope.payload, 'base64'));
      return { id, manifest };
    });
    const verdicts = await validate(manifests.map((m) => m.manifest));
    for (const { id, manifest } of manifests) {
      const verdict = verdicts.get(manifest)!;
      expect({ id, errors: verdict.errors, warnings: verdict.warnings, status: verdict.status }, verdict.output).toEqual({ id, errors: [], warnings: [], status: 0 });
    }
  });

  it('the pulled folder’s own croissant.json passes mlcroissant with no error and no warning, and reads back every source’s records', async () => {
    const manifest = JSON.parse(readFileSync(join(pulled, 'croissant.json'), 'utf8')) as Record<string, any>;
    const lock = (await readLock(pulled))!;
    // Unsigned, and says so; every shard of data/ with its sha256, each source cited.
    expect(manifest.description).toContain('not signed');
    const files = (manifest.distribution as Array<Record<string, any>>).filter((d) => d['@type'] === 'cr:FileObject');
    const local = lock.sources.flatMap((source) => source.shards.flatMap((shard) => (shard.local ? [shard.local] : [])));
    expect(files.map((f) => [f.contentUrl, f.sha256]).sort()).toEqual(local.map((l) => [l.name, l.sha256]).sort());
    expect(files.map((f) => f.contentUrl).sort()).toEqual(readdirSync(join(pulled, 'data')).map((name) => `data/${name}`).sort());
    expect(manifest.isBasedOn).toHaveLength(lock.sources.length);
    const verdict = (await validate([join(pulled, 'croissant.json')], python.ok ? python : undefined)).get(join(pulled, 'croissant.json'))!;
    expect({ errors: verdict.errors, warnings: verdict.warnings, status: verdict.status }, verdict.output).toEqual({ errors: [], warnings: [], status: 0 });
    if (!python.ok) return;
    const splits = new Set(lock.sources.flatMap((source) => source.shards.filter((shard) => shard.local).map((shard) => shard.split)));
    expect(verdict.recordSets, verdict.output).toEqual({
      splits: splits.size,
      ...Object.fromEntries(lock.sources.map((source) => [source.id, source.shards.reduce((sum, shard) => sum + (shard.local?.records ?? 0), 0)])),
    });
  });

  it('Hugging Face datasets loads the pulled folder by path as one dataset, every split and source config of its card', async ({ skip }) => {
    const env = ready(skip);
    const card = frontMatter(readFileSync(join(pulled, 'README.md'), 'utf8'));
    const configs = (card.configs as Array<{ config_name: string; data_files: Array<{ split: string }> }>).filter((c) => c.config_name !== 'default');
    expect(configs.map((c) => c.config_name).sort()).toEqual(readdirSync(join(pulled, 'sources')).sort());
    const result = await runPython(env, [loadScript, pulled, ...configs.map((c) => c.config_name)], { HF_HOME: join(work, 'hf-home') });
    expect(result.status, result.stderr).toBe(0);
    const loaded = JSON.parse(result.stdout) as { default: Record<string, LoadedSplit>; configs: Record<string, Record<string, LoadedSplit>> };
    const [speech, text] = built.slice(-2).map((b) => b.release.manifest) as [Record<string, any>, Record<string, any>];
    const defaultSplits = card.configs.find((c: { config_name: string }) => c.config_name === 'default').data_files.map((f: { split: string }) => f.split);
    expect(Object.keys(loaded.default)).toEqual(defaultSplits);
    for (const [split, got] of Object.entries(loaded.default)) {
      const stated = (m: Record<string, any>) => (m['tributary:splits'] as Array<Record<string, any>>).find((s) => s['tributary:split'] === split)?.['tributary:records'] ?? 0;
      expect(got.num_rows, split).toBe(stated(speech) + stated(text));
      for (const name of ['key', 'language', 'speaker_id', 'sentence', 'text']) expect(got.features[name], name).toEqual({ type: 'Value', dtype: 'string' });
      expect(got.features.audio).toEqual({ type: 'Audio', sampling_rate: 16000 });
      expect(got.clips).toHaveLength(stated(speech));
      for (const clip of got.clips) {
        expect(clip).toMatchObject({ rate: 16000, channels: 1 });
        expect(clip.seconds).toBeCloseTo(clip.duration, 2);
      }
    }
    for (const config of configs) {
      const manifest = config.config_name.endsWith('speech') ? speech : text;
      expectLoaded(loaded.configs[config.config_name]!, config.data_files.map((f) => f.split), manifest);
    }
  });

  it('the README’s three ways in, run as printed, over a release folder and a pulled folder', async ({ skip }) => {
    const env = ready(skip);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = /^## For trainers\n([\s\S]*?)^## /m.exec(readme)?.[1];
    const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    if (!block) throw new Error('README has no "For trainers" section with a sh block');
    const commands = block.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
    expect(commands.map((c) => /import sys, (\w+)/.exec(c)?.[1])).toEqual(['mlcroissant', 'datasets', 'duckdb']);
    // `python3` is the venv's (datasets, duckdb); mlcroissant is the vendored copy on PYTHONPATH.
    const shell = { ...env.env, ...mlcroissantPath(), PATH: `${dirname(env.python)}:${process.env.PATH}`, HF_HOME: join(work, 'hf-home') };
    const speechRelease = built.find((b) => b.label === 'speech-parquet-open-after-withdrawal')!;
    for (const [folder, manifest] of [[speechRelease.folder, speechRelease.release.manifest], [pulled, null]] as const) {
      for (const command of commands) {
        const result = await run('bash', ['-c', command.replaceAll('DIR', `'${folder}'`)], shell);
        expect(result.status === 0 || abortedAtExit(result), `${command}\n${result.stderr}`).toBe(true);
        if (manifest && command.includes('mlcroissant')) expect(result.stdout).toContain(`'default': ${manifest['tributary:records']}`);
        if (!manifest && command.includes('mlcroissant')) {
          // The pulled folder's own manifest: one record set per source, at the count the lock gives.
          for (const source of (await readLock(folder))!.sources) {
            expect(result.stdout).toContain(`'${source.id}': ${source.shards.reduce((sum, shard) => sum + (shard.local?.records ?? 0), 0)}`);
          }
        }
        if (command.includes('datasets')) expect(result.stdout).toMatch(/DatasetDict\(\{\s*train: Dataset/);
        if (command.includes('duckdb')) expect(result.stdout).toMatch(/records[\s\S]*speakers/);
      }
    }
  });
});

/** PYTHONPATH that makes the vendored mlcroissant importable, as `pip install mlcroissant` would. */
function mlcroissantPath(): Record<string, string> {
  const here = join(root, 'test/tools/mlcroissant');
  return { PYTHONPATH: `${join(here, 'shims')}:${here}` };
}
