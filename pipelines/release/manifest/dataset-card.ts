import { citation } from './citation.js';
import { K_ANONYMITY_THRESHOLD, publishableDemographics } from './demographics.js';
import { languageName } from './language-name.js';
import { hubLanguage, hubLicense, sizeCategory, taskCategories } from './hf-metadata.js';
import { compareCodeUnits, orderedSplits } from './order.js';
import { checkRelease } from './release-schema.js';
import type { ReleaseDescription, Shard, UsageAction } from './types.js';
import { USAGE_ACTIONS } from './types.js';
import { toYaml, type YamlValue } from './yaml.js';


const ACTION_TEXT: Readonly<Record<UsageAction, string>> = {
  train: 'train models',
  evaluate: 'evaluate models',
  'commercial-model': 'build models that are used or sold commercially',
  redistribute: 'redistribute the data (under the same license and terms)',
};

const ACCESS_TEXT = {
  open: 'Open: the shards can be downloaded by anyone.',
  gated: 'Gated: downloads need a token from the node; the community keeps a receipt of who downloaded what.',
  'on-request': 'On request: ask the community running the node; it decides case by case.',
} as const;

/**
 * The README.md that sits beside the shards: a Hugging Face dataset card (YAML front matter the
 * Hub and `datasets` read, then prose for people). Everything in it comes from the release
 * description, so it cannot disagree with the signed manifest built from the same description.
 */
export interface DatasetCardOptions {
  /** The indexes the node publishes to (node.json `indexes`): the trainer commands name the first; without one they say `<index URL>`. */
  indexes?: readonly string[];
}

export function datasetCard(input: ReleaseDescription, options: DatasetCardOptions = {}): string {
  const release = checkRelease(input);
  const splits = orderedSplits(Object.keys(release.counts.bySplit));
  const shards = [...release.shards].sort((a, b) => compareCodeUnits(a.name, b.name));
  const commands = trainerCommands(release, options.indexes ?? []);
  return `---\n${toYaml(frontMatter(release, splits, shards))}---\n\n${body(release, splits, shards, commands)}`;
}

/** The `tributary` commands a trainer runs for this dataset, exactly as printed in the card. */
export interface TrainerCommands {
  index: string;
  search: string;
  pull: string;
  verify: string;
  /** Other indexes the node publishes to. */
  otherIndexes: string[];
}

/** A word for a POSIX shell: left bare when it is safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.,:%/@+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function trainerCommands(release: ReleaseDescription, indexes: readonly string[]): TrainerCommands {
  const index = indexes[0] ? shellWord(indexes[0]) : '<index URL>';
  // The node's DID, language and modality pick out this dataset among everything the index lists.
  const filters = `--node ${shellWord(release.node.did)} --lang ${shellWord(release.language.tag)} --modality ${release.modality}`;
  const access = release.accessClass === 'open' ? '' : ` --name 'Your name' --contact you@example.org --purpose 'What the data is for'`;
  return {
    index,
    search: `tributary search --index ${index} ${filters}`,
    pull: `tributary pull --index ${index} --out DIR ${filters}${access}`,
    verify: `tributary verify DIR --index ${index}`,
    otherIndexes: indexes.slice(1),
  };
}

function frontMatter(release: ReleaseDescription, splits: string[], shards: Shard[]): { [key: string]: YamlValue } {
  return {
    ...hubLicense(release.license.spdx, release.license.url),
    language: [hubLanguage(release.language.iso639_3)],
    pretty_name: release.name,
    task_categories: taskCategories(release.modality, release.usage.purposes),
    size_categories: [sizeCategory(release.counts.records)],
    tags: ['tributary', release.modality],
    configs: [
      {
        config_name: 'default',
        // A split left empty by withdrawals keeps its (empty) shard, but a loader refuses a split
        // with no rows ("corresponds to no data"): the configs name only splits that hold records.
        data_files: splits
          .filter((split) => release.counts.bySplit[split]!.records > 0)
          .map((split) => ({ split, path: dataFilesPath(split, shards) })),
      },
    ],
  };
}

/**
 * A glob for the split's shards (`data/train-*`, as the Hub writes them) when it matches exactly
 * those shards; otherwise the list of their paths.
 */
function dataFilesPath(split: string, shards: Shard[]): string | string[] {
  const own = shards.filter((shard) => shard.split === split).map((shard) => shard.name);
  const directory = own[0]!.slice(0, own[0]!.lastIndexOf('/') + 1);
  const glob = `${directory}${split}-*`;
  const matched = shards.filter((shard) => shard.name.startsWith(`${directory}${split}-`) && !shard.name.slice(directory.length).includes('/'));
  return matched.length === own.length && matched.every((shard) => shard.split === split) ? glob : own;
}

function body(release: ReleaseDescription, splits: string[], shards: Shard[], commands: TrainerCommands): string {
  const speech = release.modality === 'speech';
  const sections = [
    `# ${release.name}`,
    release.description,
    [
      `- **Version** ${release.version} (revision ${release.rev}), published ${release.published}, manifest valid until ${release.expires}`,
      `- **Node** ${release.node.name}: \`${release.node.did}\``,
      `- **Dataset id** \`${release.datasetId}\`; ${release.counts.records} records from ${release.counts.speakers} contributors` +
        (release.counts.hours === null ? '' : `, ${formatHours(release.counts.hours)} hours`),
      release.previousManifest
        ? `- **Supersedes** the manifest with sha256 \`${release.previousManifest}\`; ${release.withdrawnSincePrevious} records withdrawn since`
        : '- **First release** of this dataset',
    ].join('\n'),
    'This card describes a release signed by the node; the signed Croissant manifest published with it is the authoritative record of its files, hashes and terms.',

    '## Languages',
    [
      `- ${languageName(release.language)}: BCP-47 \`${release.language.tag}\`, ISO 639-3 \`${release.language.iso639_3}\``,
      `- Modality: ${speech ? 'read speech (audio with the prompt sentence)' : 'text'}`,
    ].join('\n'),

    '## How to load',
    loading(release, splits, shards, commands),

    '## License and usage terms',
    usageTerms(release),

    '## Consent and withdrawal',
    [
      `Every record was contributed under a consent record covering: ${[...release.usage.purposes].sort().join(', ')}. Contributors can withdraw at any time.`,
      'When they do, the node publishes a signed **withdrawal notice** to the index naming the records and shards affected. **Trainers must honour withdrawal notices**: drop those records from local copies and from future training runs. Run',
      '```sh\n' + commands.verify + '\n```',
      'on the folder written by `tributary pull` to re-check it against the index’s withdrawal feed and drop withdrawn records. The next release without them is a new MAJOR version; superseded shards are no longer served (410 Gone).',
    ].join('\n\n'),

    '## Demographics',
    demographicsSection(release),

    '## Splits',
    [
      'Splits are speaker-disjoint and assigned deterministically.',
      table(
        ['split', 'records', ...(speech ? ['hours'] : []), 'speakers', 'shards'],
        splits.map((split) => {
          const counts = release.counts.bySplit[split]!;
          const shardCount = String(shards.filter((shard) => shard.split === split).length);
          return [split, String(counts.records), ...(speech ? [formatHours(counts.hours ?? 0)] : []), String(counts.speakers), shardCount];
        }),
      ),
    ].join('\n\n'),

    '## Pipeline versions',
    Object.keys(release.pipeline).length === 0
      ? 'No stage versions were recorded.'
      : table(
          ['stage', 'version'],
          Object.keys(release.pipeline)
            .sort()
            .map((stage) => [stage, release.pipeline[stage]!]),
        ),

    '## Collection',
    [
      `- **Method** ${oneLine(release.collection.method)}`,
      `- **Consent** ${oneLine(release.collection.consent)}`,
      `- **Validation** ${oneLine(release.collection.validation)}`,
      ...(release.collection.startDate || release.collection.endDate
        ? [`- **Period** ${release.collection.startDate ?? '…'} to ${release.collection.endDate ?? '…'}`]
        : []),
    ].join('\n'),
  ];

  if (release.localContexts && release.localContexts.length > 0) {
    sections.push(
      '## Local Contexts labels',
      [...release.localContexts]
        .sort((a, b) => compareCodeUnits(a.label, b.label))
        .map((label) => `- [${escapeLinkText(label.label)}](${label.url})`)
        .join('\n'),
    );
  }
  sections.push('## Citation', '```bibtex\n' + citation(release) + '\n```');
  return sections.join('\n\n') + '\n';
}

function loading(release: ReleaseDescription, splits: string[], shards: Shard[], commands: TrainerCommands): string {
  const parquet = shards.some((shard) => shard.encodingFormat === 'application/x-parquet');
  const tar = shards.some((shard) => shard.encodingFormat === 'application/x-tar');
  const firstSplit = splits[0]!;
  const columns = release.modality === 'speech' ? '"key", "sentence", "speaker_id", "duration"' : '"key", "text", "speaker_id"';
  const parts = [
    'Find this dataset in the index, then fetch it with the Tributary CLI, which checks the signature against the node’s keys as the index pinned them, the index’s signed log, every shard’s sha256, and the dataset’s terms:',
    `\`\`\`sh\n${commands.search}\n${commands.pull}\n\`\`\``,
    ...(commands.index === '<index URL>'
      ? ['Replace `<index URL>` with the address of an index this node publishes to (its `/.well-known/tributary.json` lists them).']
      : commands.otherIndexes.length > 0
        ? [`The node also publishes to ${commands.otherIndexes.map((url) => `<${url}>`).join(', ')}.`]
        : []),
  ];
  if (release.accessClass !== 'open') parts.push(ACCESS_TEXT[release.accessClass]);
  if (parquet) {
    parts.push(
      'Then, in the folder (`data/` holds the Parquet shards):',
      [
        '```python',
        'from datasets import load_dataset',
        '',
        'ds = load_dataset("DIR")  # splits come from the configs in this card',
        `print(ds["${firstSplit}"][0])`,
        '```',
      ].join('\n'),
      ['```sql', '-- DuckDB', `SELECT speaker_id, count(*) AS records FROM 'data/${firstSplit}-*.parquet' GROUP BY speaker_id;`, '```'].join('\n'),
      [
        '```python',
        'import pyarrow.dataset as pads',
        '',
        'shards = pads.dataset("data", format="parquet")',
        `table = shards.to_table(columns=[${columns}])`,
        '```',
      ].join('\n'),
    );
    if (release.modality === 'speech') {
      parts.push('`audio` is a struct `{bytes, path}` (mono 16 kHz); `datasets` decodes it as an `Audio` feature.');
    }
  }
  if (tar) {
    parts.push(
      'WebDataset shards (`.tar`):',
      ['```python', 'from datasets import load_dataset', '', `ds = load_dataset("webdataset", data_files={"${firstSplit}": "data/${firstSplit}-*.tar"})`, '```'].join('\n'),
    );
  }
  return parts.join('\n\n');
}

function usageTerms(release: ReleaseDescription): string {
  const permitted = USAGE_ACTIONS.filter((action) => release.usage.permitted.includes(action));
  const refused = USAGE_ACTIONS.filter((action) => !release.usage.permitted.includes(action));
  const lines = [
    `- **License** [${release.license.spdx}](${release.license.url})`,
    `- **Access** ${ACCESS_TEXT[release.accessClass]}`,
    `- **You may** ${permitted.length > 0 ? permitted.map((action) => ACTION_TEXT[action]).join('; ') : 'not use this data beyond what the license allows'}`,
  ];
  if (refused.length > 0) lines.push(`- **You may not** ${refused.map((action) => ACTION_TEXT[action]).join('; ')}`);
  if (release.usage.duties.includes('attribute')) {
    lines.push(`- **Attribute** the community: cite ${release.node.name} (see Citation below).`);
  }
  if (release.usage.duties.includes('notify-use')) {
    lines.push(`- **Tell the community** when you use this data in a model (contact the node ${release.node.name}).`);
  }
  lines.push(`- Uses are limited to the consent purposes: ${[...release.usage.purposes].sort().join(', ')}.`);
  return lines.join('\n') + '\n\nThe same terms are in the manifest as an ODRL policy.';
}

function demographicsSection(release: ReleaseDescription): string {
  const cells = publishableDemographics(release.demographics, release.counts.speakers);
  const note =
    `Self-declared and optional. Only groups of at least ${K_ANONYMITY_THRESHOLD} speakers are shown; ` +
    'smaller groups, and groups from which a smaller one could be worked out, are left out.';
  if (cells.length === 0) return `${note}\n\nNo group is large enough to show.`;
  return `${note}\n\n${table(
    ['field', 'value', 'speakers'],
    cells.map((cell) => [cell.field, cell.value, String(cell.speakers)]),
  )}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

function escapeCell(text: string): string {
  return oneLine(text).replaceAll('|', '\\|');
}

function escapeLinkText(text: string): string {
  return oneLine(text).replace(/[[\]]/g, '\\$&');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function formatHours(hours: number): string {
  return (Math.round(hours * 100) / 100).toFixed(2);
}
