import { describe, expect, it } from 'vitest';
// `yaml` is already in node_modules (a dependency of @asteasolutions/zod-to-openapi); used only
// here, to read the front matter the way the Hub would.
import { parse } from 'yaml';
import { datasetCard } from './dataset-card.js';
import { languageName } from './language-name.js';
import { speechRelease, textRelease } from '../../../test/fixtures/sample-release.js';
import { hubLanguage, hubLicense, sizeCategory, taskCategories } from './hf-metadata.js';
import type { ReleaseDescription } from './types.js';
import { toYaml } from './yaml.js';

function split(card: string): { header: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n\n([\s\S]*)$/.exec(card);
  if (!match) throw new Error('no front matter');
  return { header: parse(match[1]!) as Record<string, unknown>, body: match[2]! };
}

/** Hugging Face data_files patterns are fnmatch-style globs; '*' is all we emit. */
function matches(pattern: string, path: string): boolean {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(path);
}

describe('datasetCard', () => {
  it('starts with YAML front matter the Hub can read', () => {
    const { header } = split(datasetCard(speechRelease()));
    expect(header).toEqual({
      license: 'cc-by-4.0',
      language: ['sw'],
      pretty_name: 'Sauti ya Kiswahili',
      task_categories: ['automatic-speech-recognition'],
      size_categories: ['1K<n<10K'],
      tags: ['tributary', 'speech'],
      configs: [
        {
          config_name: 'default',
          data_files: [
            { split: 'train', path: 'data/train-*' },
            { split: 'dev', path: 'data/dev-*' },
            { split: 'test', path: 'data/test-*' },
          ],
        },
      ],
    });
  });

  it('gives each split a data_files pattern matching exactly its shards', () => {
    const release = speechRelease();
    const { header } = split(datasetCard(release));
    const [config] = header.configs as Array<{ data_files: Array<{ split: string; path: string }> }>;
    for (const { split: name, path } of config!.data_files) {
      const expected = release.shards.filter((shard) => shard.split === name).map((shard) => shard.name).sort();
      expect(release.shards.filter((shard) => matches(path, shard.name)).map((shard) => shard.name).sort()).toEqual(expected);
    }
  });

  it('leaves a split emptied by withdrawals out of the configs (a loader refuses a split with no rows), not out of the card', () => {
    const release = speechRelease();
    const emptied = Object.keys(release.counts.bySplit).find((name) => name !== 'train')!;
    const removed = release.counts.bySplit[emptied]!.records;
    release.counts.bySplit[emptied] = { ...release.counts.bySplit[emptied]!, records: 0 };
    release.counts.records -= removed;
    for (const shard of release.shards) if (shard.split === emptied) shard.records = 0;
    const card = datasetCard(release);
    const [config] = split(card).header.configs as Array<{ data_files: Array<{ split: string }> }>;
    expect(config!.data_files.map((f) => f.split)).not.toContain(emptied);
    expect(config!.data_files.map((f) => f.split)).toContain('train');
    expect(split(card).body).toContain(`| ${emptied} |`);
  });

  it('uses license other with a name and link when the Hub has no id for the license', () => {
    const { header } = split(datasetCard(textRelease()));
    expect(header).toMatchObject({
      license: 'other',
      license_name: 'community-1.0',
      license_link: 'https://ohun.example.org/license',
      language: ['yo'],
      pretty_name: 'Ọ̀rọ̀ Yorùbá',
      task_categories: ['text-generation', 'fill-mask'],
      size_categories: ['n<1K'],
    });
  });

  it('writes the human-readable sections', () => {
    const { body } = split(datasetCard(speechRelease()));
    for (const heading of [
      '# Sauti ya Kiswahili',
      '## Languages',
      '## How to load',
      '## License and usage terms',
      '## Consent and withdrawal',
      '## Demographics',
      '## Splits',
      '## Pipeline versions',
      '## Citation',
    ]) {
      expect(body).toContain(`${heading}\n`);
    }
    expect(body).toContain('BCP-47 `sw`, ISO 639-3 `swa`');
    expect(body).toContain('from datasets import load_dataset');
    expect(body).toContain("FROM 'data/train-*.parquet'");
    expect(body).toContain('import pyarrow.dataset as pads');
    expect(body).toContain('Trainers must honour withdrawal notices');
    expect(body).toContain('tributary verify DIR --index <index URL>');
    expect(body).toContain(`tributary pull --index <index URL> --out DIR --node ${speechRelease().node.did} --lang sw --modality speech`);
    expect(body).toContain('Replace `<index URL>`');
    expect(body).toContain('| train | 1000 | 1.10 | 30 | 2 |');
    expect(body).toContain('| audio | tributary-audio@1 |');
    expect(body).toContain('**You may not** build models that are used or sold commercially; redistribute the data');
  });

  it('tells trainers the exact commands for this dataset, on the node’s first index when it has one', () => {
    const gated = split(datasetCard(speechRelease(), { indexes: ['https://index.example.org', 'https://mirror.example.net'] })).body;
    expect(gated).toContain(
      "tributary pull --index https://index.example.org --out DIR --node did:web:sauti.example.org --lang sw --modality speech --name 'Your name' --contact you@example.org --purpose 'What the data is for'",
    );
    expect(gated).toContain('tributary search --index https://index.example.org --node did:web:sauti.example.org --lang sw --modality speech');
    expect(gated).toContain('tributary verify DIR --index https://index.example.org');
    expect(gated).toContain('also publishes to <https://mirror.example.net>');
    expect(gated).not.toContain('<index URL>');
    const open = split(datasetCard(textRelease(), { indexes: ["https://it's.example.org"] })).body;
    // Open data needs no access request; an odd URL is quoted for the shell.
    expect(open).toContain(`tributary pull --index 'https://it'\\''s.example.org' --out DIR --node ${textRelease().node.did} --lang yo --modality text\n`);
  });

  it('shows only demographic cells that may be published', () => {
    const { body } = split(datasetCard(speechRelease()));
    const section = body.slice(body.indexOf('## Demographics'), body.indexOf('## Splits'));
    expect(section).toContain('| gender | female | 22 |');
    expect(section).toContain('| accent | coastal | 9 |');
    for (const hidden of ['non-binary', '60-69', 'Kiunguja', '| male |']) expect(section).not.toContain(hidden);
  });

  it('says so when no demographic group is large enough', () => {
    const { body } = split(datasetCard(textRelease()));
    expect(body).toContain('No group is large enough to show.');
  });

  it('shows a WebDataset loader for tar shards', () => {
    const release: ReleaseDescription = speechRelease();
    release.shards = release.shards.map((shard) => ({ ...shard, name: shard.name.replace('.parquet', '.tar'), encodingFormat: 'application/x-tar' }));
    const card = datasetCard(release);
    expect(card).toContain('load_dataset("webdataset"');
    expect(card).not.toContain('pyarrow');
    expect(split(card).header).toHaveProperty(['configs', 0, 'data_files', 0, 'path'], 'data/train-*');
  });

  it('keeps user text from breaking the tables', () => {
    const release = speechRelease();
    release.pipeline = { 'a|b': 'v1\nv2' };
    expect(datasetCard(release)).toContain('| a\\|b | v1 v2 |');
  });
});

describe('Hub metadata', () => {
  it.each([
    ['CC-BY-4.0', 'cc-by-4.0'],
    ['CC0-1.0', 'cc0-1.0'],
    ['Apache-2.0', 'apache-2.0'],
    ['ODbL-1.0', 'odbl'],
    ['ODC-By-1.0', 'odc-by'],
    ['GPL-3.0-or-later', 'gpl-3.0'],
  ])('maps SPDX %s to %s', (spdx, hub) => {
    expect(hubLicense(spdx, 'https://example.org')).toEqual({ license: hub });
  });

  it('names the language as people do (CLDR), the codes beside it', () => {
    const release = speechRelease();
    release.language = { tag: 'sw', iso639_3: 'swa', name: 'Swahili (macrolanguage)' };
    const card = datasetCard(release);
    expect(card).toContain('- Swahili: BCP-47 `sw`, ISO 639-3 `swa`');
    expect(card).not.toContain('macrolanguage');
    expect(languageName({ tag: 'sw-KE', name: 'Swahili (macrolanguage)' })).toBe('Swahili (Kenya)');
    expect(languageName({ tag: 'pa-Arab', name: 'Panjabi' })).toBe('Punjabi (Arabic)');
    // A language CLDR has no name for keeps the registry's, without its catalogue qualifier.
    expect(languageName({ tag: 'bfa', name: 'Bari (individual language)' })).toBe('Bari');
  });

  it('uses ISO 639-1 when there is one, else ISO 639-3', () => {
    expect(hubLanguage('swa')).toBe('sw');
    expect(hubLanguage('yor')).toBe('yo');
    expect(hubLanguage('swh')).toBe('swh');
    expect(hubLanguage('ibb')).toBe('ibb');
  });

  it.each([
    [0, 'n<1K'],
    [999, 'n<1K'],
    [1000, '1K<n<10K'],
    [99_999, '10K<n<100K'],
    [1_000_000, '1M<n<10M'],
    [2e12, 'n>1T'],
  ])('puts %d records in %s', (records, bucket) => {
    expect(sizeCategory(records)).toBe(bucket);
  });

  it('lists only the tasks contributors consented to', () => {
    expect(taskCategories('speech', ['train-asr', 'train-tts'])).toEqual(['automatic-speech-recognition', 'text-to-speech']);
    expect(taskCategories('speech', ['train-tts'])).toEqual(['text-to-speech']);
    expect(taskCategories('speech', ['evaluate'])).toEqual(['automatic-speech-recognition', 'text-to-speech']);
    expect(taskCategories('text', ['train-lm'])).toEqual(['text-generation', 'fill-mask']);
  });
});

describe('toYaml', () => {
  it('round-trips strings that YAML would otherwise read as something else', () => {
    const tricky = ['yes', 'No', 'null', '~', '123', '1.5', '1K<n<10K', 'a: b', 'x #y', '#x', '-', '- a', '"q"', "'s'", 'é', '*star', ' lead', 'trail ', '', '[a]', '{a}', '@a', 'a\nb'];
    const value = { list: tricky, nested: { 'key: colon': 'v', mixed: [{ a: 'yes', b: 2, c: true }] } };
    expect(parse(toYaml(value))).toEqual(value);
  });
});
