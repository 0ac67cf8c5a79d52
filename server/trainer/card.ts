import { hubLanguage, hubLicense, sizeCategory, taskCategories } from '../../pipelines/release/manifest/hf-metadata.js';
import { orderedSplits } from '../../pipelines/release/manifest/order.js';
import type { UsageAction } from '../../pipelines/release/manifest/types.js';
import { toYaml, type YamlValue } from '../../pipelines/release/manifest/yaml.js';
import { combineTerms } from './combined-terms.js';
import { ShardFeaturesConflictError } from './errors.js';
import type { ManifestFacts } from './manifest-facts.js';
import type { Feature, Features } from './shard-metadata.js';

/**
 * The README.md of a pulled folder: one Hugging Face dataset card for every source in it. Its
 * YAML `configs` make `load_dataset(DIR)` read every split of every source (`default`) and
 * `load_dataset(DIR, <source id>)` one source; `dataset_info` gives each config its features, so
 * a split mixing speech and text shards loads as one table (a column a shard lacks reads as
 * null). Pure: the same sources give the same bytes.
 */
export interface CardSource {
  /** The config name and `sources/<id>/`. */
  id: string;
  node: { did: string; name: string; url: string };
  facts: ManifestFacts;
  /** The source's files in `data/` by split, and the records they hold now. */
  splits: Array<{ split: string; files: string[]; records: number }>;
  /** Columns of the source's shards (from their footers). */
  features: Features;
  /** Records removed since the download (withdrawals). */
  droppedRecords: number;
}

export interface CardInput {
  sources: CardSource[];
  /** The index the folder is checked against, when known. */
  indexUrl: string | null;
}

const ACTION_TEXT: Readonly<Record<UsageAction, string>> = {
  train: 'train models',
  evaluate: 'evaluate models',
  'commercial-model': 'build models that are used or sold commercially',
  redistribute: 'redistribute the data (under each source’s license and terms)',
};

const DUTY_TEXT: Readonly<Record<string, string>> = {
  attribute: 'attribute: credit the community (see Citations)',
  'notify-use': 'notify-use: tell the community when its data goes into a model',
};

export function combinedCard(input: CardInput): string {
  const sources = input.sources;
  return `---\n${toYaml(frontMatter(sources))}---\n\n${body(sources, input.indexUrl)}`;
}

function frontMatter(all: CardSource[]): { [key: string]: YamlValue } {
  // A split left empty by withdrawals keeps its (empty) shard, but a loader refuses a split with
  // no rows ("corresponds to no data"): the configs name only splits that hold records.
  const sources = all.map((source) => ({ ...source, splits: source.splits.filter((split) => split.records > 0) }));
  const withData = sources.filter((source) => source.splits.length > 0);
  const licenses = [...new Set(sources.map((source) => source.facts.license.spdx))];
  const license: { [key: string]: YamlValue } =
    licenses.length === 1
      ? { ...hubLicense(sources[0]!.facts.license.spdx, sources[0]!.facts.license.url) }
      : // Hub cards have one license field; the body's Licences table says which source has which.
        { license: 'other', license_name: 'multiple-licenses' };
  const records = sources.reduce((sum, source) => sum + source.splits.reduce((n, split) => n + split.records, 0), 0);
  const allSplits = orderedSplits([...new Set(withData.flatMap((source) => source.splits.map((split) => split.split)))]);
  const splitRecords = (split: string, of: CardSource[]) =>
    of.reduce((sum, source) => sum + (source.splits.find((s) => s.split === split)?.records ?? 0), 0);

  const configs: YamlValue[] = [];
  const infos: YamlValue[] = [];
  if (withData.length > 0) {
    configs.push({
      config_name: 'default',
      default: true,
      data_files: allSplits.map((split) => ({ split, path: `data/${split}-*` })),
    });
    infos.push({
      config_name: 'default',
      features: yamlFeatures(unionFeatures(withData)),
      splits: allSplits.map((split) => ({ name: split, num_examples: splitRecords(split, withData) })),
    });
  }
  for (const source of withData) {
    configs.push({
      config_name: source.id,
      data_files: source.splits.map((split) => ({ split: split.split, path: split.files })),
    });
    infos.push({
      config_name: source.id,
      features: yamlFeatures(source.features),
      splits: source.splits.map((split) => ({ name: split.split, num_examples: split.records })),
    });
  }
  return {
    ...license,
    language: unique(sources.map((source) => hubLanguage(source.facts.language.iso639_3))),
    pretty_name: prettyName(sources),
    task_categories: unique(sources.flatMap((source) => taskCategories(source.facts.modality, source.facts.terms.purposes))),
    size_categories: [sizeCategory(records)],
    tags: ['tributary', ...unique(sources.map((source) => source.facts.modality))],
    configs,
    dataset_info: infos,
  };
}

/**
 * Every column of every source, in the order first seen. A column two sources type differently
 * cannot be one column of one table.
 */
export function unionFeatures(sources: ReadonlyArray<{ id: string; features: Features }>): Features {
  const union: Features = [];
  const owner = new Map<string, string>();
  for (const source of sources) {
    for (const column of source.features) {
      const seen = union.find((other) => other.name === column.name);
      if (!seen) {
        union.push(column);
        owner.set(column.name, source.id);
      } else if (JSON.stringify(seen.feature) !== JSON.stringify(column.feature)) {
        throw new ShardFeaturesConflictError(
          `column ${column.name} is ${describe(seen.feature)} in ${owner.get(column.name)} but ${describe(column.feature)} in ${source.id}`,
        );
      }
    }
  }
  return union;
}

function yamlFeatures(features: Features): YamlValue[] {
  return features.map(({ name, feature }) =>
    feature.kind === 'audio' ? { name, dtype: { audio: { sampling_rate: feature.samplingRate } } } : { name, dtype: feature.dtype },
  );
}

function describe(feature: Feature): string {
  return feature.kind === 'audio' ? `audio at ${feature.samplingRate} Hz` : feature.dtype;
}

function prettyName(sources: CardSource[]): string {
  if (sources.length === 0) return 'Tributary pull (empty)';
  return `Tributary pull: ${sources.map((source) => source.facts.name).join('; ')}`;
}

function body(sources: CardSource[], indexUrl: string | null): string {
  const terms = combineTerms(sources.map((source) => ({ id: source.id, terms: source.facts.terms })));
  const index = indexUrl ?? 'URL';
  const nodes = new Set(sources.map((source) => source.node.did)).size;
  const sections = [
    `# ${prettyName(sources)}`,
    `This folder was written by \`tributary pull\` from ${sources.length} signed release${sources.length === 1 ? '' : 's'} ` +
      `of ${nodes} community node${nodes === 1 ? '' : 's'}. ` +
      'Each source’s signed Croissant manifest (`sources/<source>/croissant.dsse.json`, a DSSE envelope) and its node’s dataset card ' +
      '(`sources/<source>/README.md`) are kept beside the data; `tributary.lock.json` records every file’s sha256. ' +
      'The signed manifests are the authoritative record of each source’s files and terms; this card only brings them together.',

    '## Sources',
    table(
      ['source (config)', 'node', 'dataset', 'version', 'language', 'modality', 'records', 'license', 'access', 'permitted actions', 'attribution'],
      sources.map((source) => [
        `\`${source.id}\``,
        `${source.node.name} (\`${source.node.did}\`, ${source.node.url})`,
        source.facts.datasetId,
        source.facts.version,
        `${source.facts.language.tag} (${source.facts.language.iso639_3})`,
        source.facts.modality,
        String(recordsOf(source)) + (source.droppedRecords > 0 ? ` (${source.droppedRecords} withdrawn)` : ''),
        source.facts.license.spdx,
        source.facts.accessClass,
        source.facts.terms.permitted.join(', ') || 'none',
        source.facts.terms.duties.includes('attribute') ? `cite ${source.node.name} (see Citations)` : 'not required; welcome',
      ]),
    ),

    '## Usage terms of the whole folder',
    usageSection(sources, terms),

    '## Licences',
    [
      sources.length > 1 && new Set(sources.map((s) => s.facts.license.spdx)).size > 1
        ? 'The sources are under different licences; each applies to its own records (the `default` config mixes them, so anything made from it must satisfy all of them).'
        : 'Every source is under the same licence.',
      table(
        ['source', 'license'],
        sources.map((source) => [`\`${source.id}\``, `[${source.facts.license.spdx}](${source.facts.license.url})`]),
      ),
    ].join('\n\n'),

    '## How to load',
    loading(sources),

    '## Splits',
    splitsSection(sources),

    '## Withdrawals and verification',
    [
      'Contributors can withdraw their records at any time, and a community can retract a dataset. The index publishes signed notices for both. Before each training run, check the folder against the index:',
      `\`\`\`sh\ntributary verify DIR --index ${index}\n\`\`\``,
      'It reads the index’s feed since the cursor in `tributary.lock.json`, checks the index’s log is consistent with the checkpoint recorded there, rewrites shards without withdrawn records (new sha256s in the lock) and removes retracted sources. **Trainers must honour withdrawals**: drop those records from local copies and from future training runs.',
    ].join('\n\n'),
  ];

  const labelled = sources.filter((source) => source.facts.localContexts.length > 0);
  if (labelled.length > 0) {
    sections.push(
      '## Local Contexts labels',
      labelled
        .map((source) => `- \`${source.id}\`: ${source.facts.localContexts.map((label) => `[${escapeLinkText(label.name)}](${label.url})`).join(', ')}`)
        .join('\n'),
    );
  }
  sections.push(
    '## Citations',
    sources
      .map((source) => `${source.facts.name} (\`${source.id}\`):\n\n\`\`\`bibtex\n${source.facts.citation ?? `${source.node.name}, ${source.facts.url}`}\n\`\`\``)
      .join('\n\n'),
  );
  return sections.join('\n\n') + '\n';
}

function usageSection(sources: CardSource[], terms: ReturnType<typeof combineTerms>): string {
  const lines = [
    `- **You may** (every source permits it): ${terms.permitted.length > 0 ? terms.permitted.map((action) => ACTION_TEXT[action]).join('; ') : 'nothing beyond what every licence allows'}`,
  ];
  for (const refused of terms.notPermitted) {
    lines.push(`- **You may not** ${ACTION_TEXT[refused.action]}: not permitted by ${refused.bySources.map((id) => `\`${id}\``).join(', ')}`);
  }
  for (const duty of terms.duties) {
    lines.push(`- **Duty** ${DUTY_TEXT[duty.duty] ?? duty.duty}; owed to ${duty.owedTo.map((id) => `\`${id}\``).join(', ')}`);
  }
  return [
    lines.join('\n'),
    'Each source limits its permissions to the purposes its contributors consented to:',
    table(
      ['source', 'consent purposes', 'permitted actions', 'duties'],
      sources.map((source) => [
        `\`${source.id}\``,
        source.facts.terms.purposes.join(', '),
        source.facts.terms.permitted.join(', ') || 'none',
        source.facts.terms.duties.join(', ') || 'none',
      ]),
    ),
    'The same terms are in each source’s signed manifest as an ODRL policy (`odrl:hasPolicy`).',
  ].join('\n\n');
}

function loading(sources: CardSource[]): string {
  const first = sources.find((source) => source.splits.length > 0);
  const parts = [
    [
      '```python',
      'from datasets import load_dataset',
      '',
      'ds = load_dataset("DIR")  # every source, one table per split (the `default` config)',
      ...(first ? [`one = load_dataset("DIR", "${first.id}")  # one source (a config per source)`] : []),
      '```',
    ].join('\n'),
    [
      '```sql',
      '-- DuckDB: sources differ in columns (speech has audio and sentence, text has text), so read by name',
      "SELECT count(*) FROM 'DIR/data/*.parquet';",
      "SELECT key, language FROM read_parquet('DIR/data/train-*.parquet', union_by_name = true);",
      '```',
    ].join('\n'),
  ];
  if (sources.some((source) => source.facts.modality === 'speech')) {
    parts.push('`audio` is a struct `{bytes, path}` (16 kHz mono WAV); `datasets` reads it as an `Audio` feature. Rows of text sources have no audio (null).');
  }
  return parts.join('\n\n');
}

function splitsSection(sources: CardSource[]): string {
  const splits = orderedSplits([...new Set(sources.flatMap((source) => source.splits.map((split) => split.split)))]);
  return table(
    ['split', 'records', 'shards', 'by source'],
    splits.map((split) => {
      const parts = sources.flatMap((source) => {
        const own = source.splits.find((s) => s.split === split);
        return own ? [{ id: source.id, ...own }] : [];
      });
      return [
        split,
        String(parts.reduce((sum, part) => sum + part.records, 0)),
        String(parts.reduce((sum, part) => sum + part.files.length, 0)),
        parts.map((part) => `\`${part.id}\`: ${part.records}`).join(', '),
      ];
    }),
  );
}

function recordsOf(source: CardSource): number {
  return source.splits.reduce((sum, split) => sum + split.records, 0);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replaceAll('|', '\\|');
}

function escapeLinkText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/[[\]]/g, '\\$&');
}
