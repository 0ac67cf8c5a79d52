import type { Modality, ReleaseDescription, Shard } from './types.js';
import { DEMOGRAPHIC_FIELDS, SPEECH_SAMPLING_RATE } from './types.js';
import { shardUrl } from './urls.js';

/**
 * The Croissant resources (`distribution`) and structure (`recordSet`) of a release's shards.
 *
 * Every shard is a FileObject (what a trainer downloads and checks against its sha256). A
 * Field has a single `source`, so records spread over several shards are read through a FileSet:
 *
 * - Parquet: one FileSet listing the shard paths. Without `containedIn` they resolve next to the
 *   manifest, which is how `tributary pull` lays out a download. Fields read columns
 *   (those of pipelines/release/shards/parquet-schema.ts); the split comes from the file name, as Hugging Face names shards.
 * - WebDataset: the tars are archives, so FileSets select their members (`<key>.json` holding the
 *   fields, `<key>.wav` or `<key>.txt` the content) and the records join the two on the key.
 */
export const RECORDS_ID = 'default';
export const SPLITS_ID = 'splits';
const MEDIA_ID = 'media';
const PARQUET_FILES = 'parquet-shards';
const JSON_MEMBERS = 'tar-json-members';
const MEDIA_MEMBERS = 'tar-media-members';

/** Ids the manifest defines besides the shard names; a shard may not take one. */
export const STRUCTURE_IDS = [RECORDS_ID, SPLITS_ID, MEDIA_ID, PARQUET_FILES, JSON_MEMBERS, MEDIA_MEMBERS];

// Croissant's split vocabulary; other split names are kept by name only.
const SPLIT_IRIS: Readonly<Record<string, string>> = {
  train: 'cr:TrainingSplit',
  dev: 'cr:ValidationSplit',
  validation: 'cr:ValidationSplit',
  test: 'cr:TestSplit',
};

type Json = Record<string, unknown>;
type Source = Json;

export function describeShards(
  release: ReleaseDescription,
  shards: readonly Shard[],
  splits: readonly string[],
): { distribution: Json[]; recordSet: Json[] } {
  const files = shards.map((shard) => shardFileObject(shard, shards, shardUrl(release, shard.name)));
  const tar = shards[0]?.encodingFormat === 'application/x-tar';
  if (!tar) {
    return {
      distribution: [...files, parquetFileSet(shards)],
      recordSet: [splitsRecordSet(splits), parquetRecords(release.modality, splits)],
    };
  }
  return {
    distribution: [...files, ...tarMemberFileSets(release.modality, shards)],
    recordSet: [splitsRecordSet(splits), ...tarRecords(release.modality)],
  };
}

/**
 * A Parquet FileSet and the record set that reads it, under the ids given: a release's own
 * (`parquet-shards`, `default`), or one source of a folder that holds several (`tributary pull`
 * writes one per source, since speech and text shards have different columns).
 */
export function parquetStructure(input: {
  modality: Modality;
  splits: readonly string[];
  recordSetId: string;
  fileSetId: string;
  files: readonly string[];
  description: string;
}): { fileSet: Json; recordSet: Json } {
  return {
    fileSet: {
      '@type': 'cr:FileSet',
      '@id': input.fileSetId,
      name: input.fileSetId,
      description: input.description,
      encodingFormat: 'application/x-parquet',
      includes: [...input.files],
    },
    recordSet: parquetRecords(input.modality, input.splits, input.recordSetId, input.fileSetId),
  };
}

/** A FileObject for one shard file: what a reader downloads and checks against its sha256. */
export function shardFileObject(shard: Shard, all: readonly Shard[], contentUrl: string): Json {
  const ofSplit = all.filter((other) => other.split === shard.split);
  return {
    '@type': 'cr:FileObject',
    '@id': shard.name,
    name: shard.name,
    description: `${shard.split} split, shard ${ofSplit.indexOf(shard) + 1} of ${ofSplit.length}: ${shard.records} records.`,
    contentUrl,
    contentSize: `${shard.bytes} B`,
    encodingFormat: shard.encodingFormat,
    sha256: shard.sha256,
    'tributary:split': shard.split,
    'tributary:records': shard.records,
  };
}

function parquetFileSet(shards: readonly Shard[]): Json {
  return {
    '@type': 'cr:FileSet',
    '@id': PARQUET_FILES,
    name: PARQUET_FILES,
    description: 'Every Parquet shard, at its path relative to the manifest once downloaded.',
    encodingFormat: 'application/x-parquet',
    includes: shards.map((shard) => shard.name),
  };
}

function tarMemberFileSets(modality: Modality, shards: readonly Shard[]): Json[] {
  const containedIn = shards.map((shard) => ({ '@id': shard.name }));
  return [
    {
      '@type': 'cr:FileSet',
      '@id': JSON_MEMBERS,
      name: JSON_MEMBERS,
      description: "Each record's <key>.json member: its fields, named as the Parquet columns.",
      containedIn,
      encodingFormat: 'application/json',
      includes: '*.json',
    },
    {
      '@type': 'cr:FileSet',
      '@id': MEDIA_MEMBERS,
      name: MEDIA_MEMBERS,
      description: modality === 'speech' ? "Each record's <key>.wav member: the recording." : "Each record's <key>.txt member: the text.",
      containedIn,
      encodingFormat: modality === 'speech' ? 'audio/wav' : 'text/plain',
      includes: modality === 'speech' ? '*.wav' : '*.txt',
    },
  ];
}

export function splitsRecordSet(splits: readonly string[], description = 'The splits of this release: speaker-disjoint, assigned deterministically.'): Json {
  return {
    '@type': 'cr:RecordSet',
    '@id': SPLITS_ID,
    name: SPLITS_ID,
    description,
    dataType: 'cr:Split',
    key: { '@id': `${SPLITS_ID}/name` },
    field: [
      { '@type': 'cr:Field', '@id': `${SPLITS_ID}/name`, name: 'name', dataType: 'sc:Text' },
      // sc:URL first: mlcroissant reads a field's value by its first data type it knows, and
      // cr:Split alone is not one; the pair is how mlcroissant's own 1.1 examples type it.
      { '@type': 'cr:Field', '@id': `${SPLITS_ID}/url`, name: 'url', dataType: ['sc:URL', 'cr:Split'] },
    ],
    data: splits.map((split) => {
      const iri = SPLIT_IRIS[split];
      return iri ? { [`${SPLITS_ID}/name`]: split, [`${SPLITS_ID}/url`]: iri } : { [`${SPLITS_ID}/name`]: split };
    }),
  };
}

function field(recordSet: string, name: string, dataType: string, description: string, source: Source): Json {
  return { '@type': 'cr:Field', '@id': `${recordSet}/${name}`, name, description, dataType, source };
}

const KEY_TEXT = 'Stable record key; withdrawal notices name records by this key.';
const AUDIO_TEXT = `The recording, mono ${SPEECH_SAMPLING_RATE} Hz.`;

/**
 * The fields every record has besides its key and content, built for one way of reading them
 * (a Parquet column, or a JSON member's property).
 */
function commonFields(modality: Modality, recordSet: string, read: (name: string) => Source): Json[] {
  const fields = [
    ...(modality === 'speech' ? [field(recordSet, 'sentence', 'sc:Text', 'The prompt sentence that was read aloud.', read('sentence'))] : []),
    field(recordSet, 'language', 'sc:Text', 'Declared language of the record, a BCP-47 tag.', read('language')),
    field(recordSet, 'speaker_id', 'sc:Text', 'Salted pseudonym of the contributor, stable within this release.', read('speaker_id')),
    ...(modality === 'speech' ? [field(recordSet, 'duration', 'sc:Float', 'Duration of the recording in seconds.', read('duration'))] : []),
  ];
  fields.push({
    '@type': 'cr:Field',
    '@id': `${recordSet}/demographics`,
    name: 'demographics',
    description: 'Self-declared and optional: null when not declared.',
    subField: DEMOGRAPHIC_FIELDS.map((name) =>
      field(recordSet, `demographics/${name}`, 'sc:Text', `Self-declared ${name.replace('_', ' ')}.`, read(name)),
    ),
  });
  return fields;
}

function parquetRecords(modality: Modality, splits: readonly string[], recordSetId = RECORDS_ID, fileSetId = PARQUET_FILES): Json {
  const column = (name: string): Source => ({ fileSet: { '@id': fileSetId }, extract: { column: name } });
  const content =
    modality === 'speech'
      ? field(recordSetId, 'audio', 'sc:AudioObject', `${AUDIO_TEXT} Stored as the struct {bytes, path}.`, {
          ...column('audio'),
          transform: { jsonPath: 'bytes' },
          samplingRate: SPEECH_SAMPLING_RATE,
        })
      : field(recordSetId, 'text', 'sc:Text', 'The contributed text.', column('text'));
  return {
    '@type': 'cr:RecordSet',
    '@id': recordSetId,
    name: recordSetId,
    description: modality === 'speech' ? 'One record per validated recording.' : 'One record per validated text.',
    key: { '@id': `${recordSetId}/key` },
    field: [
      field(recordSetId, 'key', 'sc:Text', KEY_TEXT, column('key')),
      {
        ...field(recordSetId, 'split', 'sc:Text', 'The split, read from the shard file name.', {
          fileSet: { '@id': fileSetId },
          extract: { fileProperty: 'fullpath' },
          transform: { regex: `^(?:.*/)?(${splits.join('|')})-[^/]*$` },
        }),
        references: { field: { '@id': `${SPLITS_ID}/name` } },
      },
      content,
      ...commonFields(modality, recordSetId, column),
    ],
  };
}

function tarRecords(modality: Modality): Json[] {
  const member = (name: string): Source => ({ fileSet: { '@id': JSON_MEMBERS }, extract: { jsonPath: `$.${name}` } });
  const content = modality === 'speech' ? 'audio' : 'text';
  const media = {
    '@type': 'cr:RecordSet',
    '@id': MEDIA_ID,
    name: MEDIA_ID,
    description: modality === 'speech' ? 'The recordings, by record key.' : 'The texts, by record key.',
    key: { '@id': `${MEDIA_ID}/key` },
    field: [
      field(MEDIA_ID, 'key', 'sc:Text', KEY_TEXT, {
        fileSet: { '@id': MEDIA_MEMBERS },
        extract: { fileProperty: 'filename' },
        transform: { regex: modality === 'speech' ? '^(.+)\\.wav$' : '^(.+)\\.txt$' },
      }),
      modality === 'speech'
        ? field(MEDIA_ID, content, 'sc:AudioObject', AUDIO_TEXT, {
            fileSet: { '@id': MEDIA_MEMBERS },
            extract: { fileProperty: 'content' },
            samplingRate: SPEECH_SAMPLING_RATE,
          })
        : field(MEDIA_ID, content, 'sc:Text', 'The contributed text.', {
            fileSet: { '@id': MEDIA_MEMBERS },
            extract: { fileProperty: 'content' },
          }),
    ],
  };
  const records = {
    '@type': 'cr:RecordSet',
    '@id': RECORDS_ID,
    name: RECORDS_ID,
    description: modality === 'speech' ? 'One record per validated recording.' : 'One record per validated text.',
    key: { '@id': `${RECORDS_ID}/key` },
    field: [
      {
        ...field(RECORDS_ID, 'key', 'sc:Text', KEY_TEXT, {
          fileSet: { '@id': JSON_MEMBERS },
          extract: { fileProperty: 'filename' },
          transform: { regex: '^(.+)\\.json$' },
        }),
        references: { field: { '@id': `${MEDIA_ID}/key` } },
      },
      // Joined in from the media record with the same key.
      field(RECORDS_ID, content, modality === 'speech' ? 'sc:AudioObject' : 'sc:Text', `See ${MEDIA_ID}/${content}.`, {
        field: { '@id': `${MEDIA_ID}/${content}` },
      }),
      ...commonFields(modality, RECORDS_ID, member),
    ],
  };
  return [records, media];
}
