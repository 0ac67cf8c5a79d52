import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { CROISSANT_1_1, CROISSANT_NS, CROISSANT_RAI_1_0, DCT_NS, ODRL_NS, RAI_NS, SCHEMA_ORG_NS, TRIBUTARY_NS } from './context.js';
import { buildManifest, CROISSANT_CONTEXT, manifestBytes, permittedActions } from './croissant.js';
import { speechRelease, textRelease } from '../../../test/fixtures/sample-release.js';
import { InvalidReleaseError } from './release-schema.js';
import type { ReleaseDescription } from './types.js';

type Node = Record<string, unknown>;

const sc = (term: string) => SCHEMA_ORG_NS + term;
const cr = (term: string) => CROISSANT_NS + term;
const rai = (term: string) => RAI_NS + term;
const odrl = (term: string) => ODRL_NS + term;
const tributary = (term: string) => TRIBUTARY_NS + term;

// Croissant 1.1 — "Dataset-level Information / Required" plus `distribution`, which Croissant
// makes required; the recommended properties we always fill; then the properties listed for
// FileObject, FileSet, RecordSet and Field.
const DATASET_REQUIRED = [DCT_NS + 'conformsTo', sc('description'), sc('license'), sc('name'), sc('url'), sc('creator'), sc('datePublished'), sc('distribution')];
const DATASET_RECOMMENDED = [sc('keywords'), sc('publisher'), sc('version'), sc('inLanguage'), cr('citeAs'), cr('recordSet')];
const FILE_OBJECT = [sc('name'), sc('contentUrl'), sc('contentSize'), sc('encodingFormat'), sc('sha256')];
const FILE_SET = [sc('name'), sc('encodingFormat'), cr('includes')];
const RECORD_SET = [sc('name'), cr('field'), cr('key')];
const FIELD = [sc('name'), cr('dataType'), cr('source')];
// Croissant RAI 1.0 properties we publish.
const RAI = [
  'dataCollection',
  'dataCollectionType',
  'dataCollectionTimeframe',
  'dataPreprocessingProtocol',
  'dataAnnotationProtocol',
  'dataAnnotationPlatform',
  'personalSensitiveInformation',
  'dataUseCases',
  'dataBiases',
  'dataLimitations',
  'dataReleaseMaintenancePlan',
  'dataSocialImpact',
].map(rai);
const TRIBUTARY = [
  'nodeDid',
  'datasetId',
  'releaseVersion',
  'rev',
  'expires',
  'previousManifest',
  'accessClass',
  'modality',
  'consentPurposes',
  'spdx',
  'iso639_3',
  'withdrawnSincePrevious',
  'records',
  'hours',
  'speakers',
  'splits',
  'suppressionThreshold',
  'demographics',
  'pipeline',
  'localContextsLabels',
].map(tributary);

const MANIFEST_URL = 'https://sauti.example.org/api/v1/datasets/sw-speech/manifest';

/** Expands offline: any attempt to load a remote context fails the test. */
async function expand(manifest: Node, base = MANIFEST_URL): Promise<Node> {
  const fetched: string[] = [];
  const documentLoader = async (url: string) => {
    fetched.push(url);
    throw new Error(`offline: refused to load ${url}`);
  };
  // safe mode: jsonld raises instead of silently dropping a term or value it cannot map.
  const options = { documentLoader, base, safe: true } as unknown as jsonld.Options.Expand;
  const expanded = (await jsonld.expand(manifest as jsonld.JsonLdDocument, options)) as Node[];
  expect(fetched).toEqual([]);
  expect(expanded).toHaveLength(1);
  return expanded[0]!;
}

const values = (node: Node, property: string): unknown[] => (node[property] as unknown[] | undefined) ?? [];
const nodes = (node: Node, property: string): Node[] => values(node, property) as Node[];
const literal = (node: Node, property: string): unknown => (values(node, property)[0] as { '@value'?: unknown } | undefined)?.['@value'];
const types = (node: Node): string[] => (node['@type'] as string[] | undefined) ?? [];
const missing = (node: Node, properties: string[]) => properties.filter((property) => values(node, property).length === 0);

describe('buildManifest', () => {
  it('expands with the inline context alone and carries every required Croissant property', async () => {
    const dataset = await expand(buildManifest(speechRelease()));

    expect(types(dataset)).toEqual([sc('Dataset')]);
    expect(missing(dataset, DATASET_REQUIRED)).toEqual([]);
    expect(missing(dataset, DATASET_RECOMMENDED)).toEqual([]);
    expect(values(dataset, DCT_NS + 'conformsTo').map((v) => (v as { '@value': string })['@value'])).toEqual([CROISSANT_1_1, CROISSANT_RAI_1_0]);

    const distribution = nodes(dataset, sc('distribution'));
    const fileObjects = distribution.filter((node) => types(node).includes(cr('FileObject')));
    const fileSets = distribution.filter((node) => types(node).includes(cr('FileSet')));
    expect(fileObjects).toHaveLength(4);
    for (const file of fileObjects) expect(missing(file, FILE_OBJECT)).toEqual([]);
    expect(fileSets).toHaveLength(1);
    for (const set of fileSets) expect(missing(set, FILE_SET)).toEqual([]);

    const recordSets = nodes(dataset, cr('recordSet'));
    expect(recordSets.map((set) => set['@id'])).toEqual([
      'https://sauti.example.org/api/v1/datasets/sw-speech/splits',
      'https://sauti.example.org/api/v1/datasets/sw-speech/default',
    ]);
    for (const set of recordSets) {
      expect(missing(set, RECORD_SET)).toEqual([]);
      for (const field of nodes(set, cr('field'))) {
        const leaves = values(field, cr('subField')).length > 0 ? nodes(field, cr('subField')) : [field];
        for (const leaf of leaves) expect(missing(leaf, FIELD)).toEqual(set === recordSets[0] ? [cr('source')] : []);
      }
    }
  });

  it('describes one FileObject per shard, served from the node', () => {
    const manifest = buildManifest(speechRelease());
    const files = (manifest.distribution as Node[]).filter((node) => node['@type'] === 'cr:FileObject');
    expect(files.map((file) => file['@id'])).toEqual([
      'data/dev-00000-of-00001.parquet',
      'data/test-00000-of-00001.parquet',
      'data/train-00000-of-00002.parquet',
      'data/train-00001-of-00002.parquet',
    ]);
    expect(files[2]).toMatchObject({
      name: 'data/train-00000-of-00002.parquet',
      contentUrl: 'https://sauti.example.org/api/v1/datasets/sw-speech/shards/data/train-00000-of-00002.parquet?version=2.0.0',
      contentSize: '300000 B',
      encodingFormat: 'application/x-parquet',
      sha256: '1'.repeat(64),
      'tributary:split': 'train',
      'tributary:records': 600,
    });
    const fileSet = (manifest.distribution as Node[]).find((node) => node['@type'] === 'cr:FileSet');
    expect(fileSet?.includes).toEqual(files.map((file) => file.name));
  });

  it('has the speech fields, each read from a column of the shards', () => {
    const manifest = buildManifest(speechRelease());
    const records = (manifest.recordSet as Node[]).find((set) => set['@id'] === 'default')!;
    const fields = records.field as Node[];
    expect(fields.map((field) => field.name)).toEqual(['key', 'split', 'audio', 'sentence', 'language', 'speaker_id', 'duration', 'demographics']);
    const audio = fields.find((field) => field.name === 'audio')!;
    expect(audio).toMatchObject({
      dataType: 'sc:AudioObject',
      source: { fileSet: { '@id': 'parquet-shards' }, extract: { column: 'audio' }, transform: { jsonPath: 'bytes' }, samplingRate: 16000 },
    });
    const split = fields.find((field) => field.name === 'split')!;
    const regex = new RegExp((split.source as { transform: { regex: string } }).transform.regex);
    expect('data/dev-00000-of-00001.parquet'.match(regex)?.[1]).toBe('dev');
    expect('train-00001-of-00002.parquet'.match(regex)?.[1]).toBe('train');
    const demographics = fields.find((field) => field.name === 'demographics')!;
    expect((demographics.subField as Node[]).map((field) => (field.source as { extract: { column: string } }).extract.column)).toEqual([
      'age_band',
      'gender',
      'variant',
      'accent',
    ]);
  });

  it('types the split names and URLs as mlcroissant reads them, and the split field references the names', () => {
    const manifest = buildManifest(speechRelease());
    const splits = (manifest.recordSet as Node[]).find((set) => set['@id'] === 'splits')!;
    expect(splits).toMatchObject({ dataType: 'cr:Split', key: { '@id': 'splits/name' } });
    expect((splits.field as Node[]).map((field) => [field.name, field.dataType])).toEqual([
      ['name', 'sc:Text'],
      ['url', ['sc:URL', 'cr:Split']],
    ]);
    const records = (manifest.recordSet as Node[]).find((set) => set['@id'] === 'default')!;
    expect((records.field as Node[]).find((field) => field.name === 'split')?.references).toEqual({ field: { '@id': 'splits/name' } });
  });

  it('names the language as people do, the codes beside it', () => {
    const release = speechRelease();
    release.language = { tag: 'sw', iso639_3: 'swa', name: 'Swahili (macrolanguage)' };
    const manifest = buildManifest(release);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['Swahili', 'sw', 'swa']));
    expect(JSON.stringify(manifest)).not.toContain('macrolanguage');
  });

  it('has the text fields for a text release', () => {
    const manifest = buildManifest(textRelease());
    const records = (manifest.recordSet as Node[]).find((set) => set['@id'] === 'default')!;
    expect((records.field as Node[]).map((field) => field.name)).toEqual(['key', 'split', 'text', 'language', 'speaker_id', 'demographics']);
  });

  it('carries the RAI properties', async () => {
    const dataset = await expand(buildManifest(speechRelease()));
    expect(missing(dataset, RAI)).toEqual([]);
    expect(literal(dataset, rai('dataCollectionTimeframe'))).toBe('2024-01-01/2025-05-31');
    expect(literal(dataset, rai('dataAnnotationProtocol'))).toBe('Validated by other volunteers: at least 2 up votes and more up than down.');
    // One text: mlcroissant reads this property as a single value (README.md).
    expect(values(dataset, rai('dataReleaseMaintenancePlan'))).toHaveLength(1);
    const maintenance = literal(dataset, rai('dataReleaseMaintenancePlan')) as string;
    expect(maintenance).toMatch(/withdrawal notice/);
    expect(maintenance).toMatch(/MAJOR version/);
  });

  it('states the usage terms as an ODRL offer, also reachable from usageInfo', async () => {
    const dataset = await expand(buildManifest(speechRelease()));
    const [policy] = nodes(dataset, odrl('hasPolicy'));
    expect(policy).toBeDefined();
    expect(types(policy!)).toEqual(expect.arrayContaining([odrl('Offer')]));
    expect(nodes(dataset, sc('usageInfo'))[0]?.['@id']).toBe(policy!['@id']);
    expect(nodes(policy!, odrl('assigner'))[0]?.['@id']).toBe('did:web:sauti.example.org');
    expect(nodes(policy!, odrl('profile'))[0]?.['@id']).toBe(TRIBUTARY_NS);

    const action = (rule: Node) => nodes(rule, odrl('action'))[0]?.['@id'];
    const permissions = nodes(policy!, odrl('permission'));
    expect(permissions.map(action)).toEqual([tributary('train'), tributary('evaluate')]);
    expect(nodes(policy!, odrl('prohibition')).map(action)).toEqual([tributary('commercialModel'), odrl('distribute')]);
    for (const permission of permissions) {
      const duties = nodes(permission, odrl('duty'));
      expect(duties.map(action)).toEqual([odrl('attribute'), tributary('notifyUse')]);
      expect(nodes(duties[0]!, odrl('attributedParty'))[0]?.['@id']).toBe('did:web:sauti.example.org');
      const [constraint] = nodes(permission, odrl('constraint'));
      expect(nodes(constraint!, odrl('leftOperand'))[0]?.['@id']).toBe(odrl('purpose'));
      expect(nodes(constraint!, odrl('rightOperand')).map((node) => node['@id'])).toEqual([
        tributary('purpose-evaluate'),
        tributary('purpose-train-asr'),
      ]);
    }
  });

  it('reads the permitted actions back', () => {
    expect(permittedActions(buildManifest(speechRelease()))).toEqual(['train', 'evaluate']);
    expect(permittedActions(buildManifest(textRelease()))).toEqual(['train', 'evaluate', 'commercial-model', 'redistribute']);
  });

  it('carries the tributary fields with their types', async () => {
    const dataset = await expand(buildManifest(speechRelease()));
    expect(missing(dataset, TRIBUTARY)).toEqual([]);
    expect(values(dataset, tributary('nodeDid'))).toEqual([{ '@id': 'did:web:sauti.example.org' }]);
    expect(values(dataset, tributary('expires'))).toEqual([
      { '@value': '2026-06-01T12:00:00.000Z', '@type': 'http://www.w3.org/2001/XMLSchema#dateTime' },
    ]);
    expect(values(dataset, tributary('datasetId'))).toEqual([{ '@value': 'sw-speech' }]);
    expect(literal(dataset, tributary('rev'))).toBe(3);
    expect(literal(dataset, tributary('previousManifest'))).toBe('a'.repeat(64));
    expect(literal(dataset, tributary('hours'))).toBe(1.346);
    expect(literal(dataset, tributary('suppressionThreshold'))).toBe(5);
    expect(values(dataset, tributary('consentPurposes'))).toEqual([{ '@value': 'evaluate' }, { '@value': 'train-asr' }]);

    const stages = nodes(dataset, tributary('pipeline')).map((node) => `${literal(node, tributary('stage'))}=${literal(node, tributary('version'))}`);
    expect(stages).toEqual(['audio=tributary-audio@1', 'shards=tributary-shards@1/parquet', 'split=tributary-split@1']);
    const splits = nodes(dataset, tributary('splits')).map((node) => [literal(node, tributary('split')), literal(node, tributary('records')), literal(node, tributary('shards'))]);
    expect(splits).toEqual([
      ['train', 1000, 2],
      ['dev', 100, 1],
      ['test', 100, 1],
    ]);
    const [label] = nodes(dataset, tributary('localContextsLabels'));
    expect(literal(label!, sc('name'))).toBe('BC Provenance');
  });

  it('publishes only demographic cells of at least 5 speakers, and says so', () => {
    const manifest = buildManifest(speechRelease());
    const cells = manifest['tributary:demographics'] as Node[];
    expect(cells.map((cell) => `${cell['tributary:field']}=${cell['tributary:value']}:${cell['tributary:speakers']}`)).toEqual([
      'age_band=19-29:20',
      'age_band=30-39:12',
      'gender=female:22',
      'accent=coastal:9',
    ]);
    for (const cell of cells) expect(cell['tributary:speakers']).toBeGreaterThanOrEqual(5);
    // Suppressed values appear nowhere in the published bytes, nor does the cell that would
    // reveal one by subtraction (male: 40 − 22 − 15 = 3 non-declared or non-binary).
    const text = new TextDecoder().decode(manifestBytes(manifest));
    for (const value of ['non-binary', '60-69', 'Kiunguja', '"male"']) expect(text).not.toContain(value);
    expect(text).toMatch(/at least 5 speakers; smaller cells, and cells from which a smaller one could be derived, are suppressed/);
  });

  it('works for a did:key node: its links carry its public URL like any other', async () => {
    const manifest = buildManifest(textRelease());
    expect(manifest.url).toBe('https://ohun.example.org/api/v1/datasets/yo-text');
    const dataset = await expand(manifest, 'https://mirror.example.net/yo-text/croissant.json');
    const file = nodes(dataset, sc('distribution')).find((node) => types(node).includes(cr('FileObject')))!;
    expect(literal(file, sc('contentUrl'))).toBe('https://ohun.example.org/api/v1/datasets/yo-text/shards/data/test-00000-of-00001.parquet?version=1.0.0');
    expect(manifest.citeAs).toContain('url = {https://ohun.example.org/api/v1/datasets/yo-text}');
    expect(values(dataset, tributary('previousManifest'))).toEqual([]); // null: a first release
    expect(values(dataset, tributary('hours'))).toEqual([]);
  });

  it('describes WebDataset shards as archives whose members make the records', async () => {
    const release = speechRelease();
    release.shards = release.shards.map((shard) => ({
      ...shard,
      name: shard.name.replace('.parquet', '.tar'),
      encodingFormat: 'application/x-tar',
    }));
    const manifest = buildManifest(release);
    const dataset = await expand(manifest);
    const sets = nodes(dataset, sc('distribution')).filter((node) => types(node).includes(cr('FileSet')));
    expect(sets.map((set) => literal(set, cr('includes')))).toEqual(['*.json', '*.wav']);
    for (const set of sets) expect(nodes(set, cr('containedIn'))).toHaveLength(4);
    const recordSets = manifest.recordSet as Node[];
    expect(recordSets.map((set) => set['@id'])).toEqual(['splits', 'default', 'media']);
    const audio = (recordSets[1]!.field as Node[]).find((field) => field.name === 'audio');
    // mlcroissant reads a reference only as {field: {@id}} (its own 1.1 examples): see README.md.
    expect(audio?.source).toEqual({ field: { '@id': 'media/audio' } });
    const key = (recordSets[1]!.field as Node[]).find((field) => field.name === 'key');
    expect(key?.references).toEqual({ field: { '@id': 'media/key' } });
  });
});

describe('manifestBytes', () => {
  /** The same value with every object's keys inserted in reverse order. */
  function reverseKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reverseKeys);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reverseKeys(item)]));
  }

  it('is the same whatever the key insertion order of the manifest', () => {
    const manifest = buildManifest(speechRelease());
    const reordered = reverseKeys(manifest) as Node;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(manifest)[0]);
    expect(Buffer.from(manifestBytes(reordered))).toEqual(Buffer.from(manifestBytes(manifest)));
  });

  it('is the same whatever the order of the release description', () => {
    const shuffled: ReleaseDescription = reverseKeys(speechRelease()) as ReleaseDescription;
    shuffled.shards.reverse();
    shuffled.demographics.reverse();
    shuffled.usage.permitted.reverse();
    shuffled.usage.duties.reverse();
    shuffled.usage.purposes.reverse();
    shuffled.pipeline = Object.fromEntries(Object.entries(shuffled.pipeline).reverse());
    expect(Buffer.from(manifestBytes(buildManifest(shuffled)))).toEqual(Buffer.from(manifestBytes(buildManifest(speechRelease()))));
  });

  it('is compact UTF-8 JSON that parses back to the manifest', () => {
    const manifest = buildManifest(textRelease());
    const bytes = manifestBytes(manifest);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(text).not.toMatch(/\n/);
    expect(text.startsWith('{"@context":{"@language":"en","@vocab":"https://schema.org/"')).toBe(true);
    expect(text).toContain('Ọ̀rọ̀ Yorùbá'); // not \u-escaped
  });
});

describe('CROISSANT_CONTEXT', () => {
  it('defines the Croissant 1.1 appendix terms and the namespaces', () => {
    for (const term of ['conformsTo', 'recordSet', 'field', 'source', 'extract', 'fileSet', 'fileObject', 'key', 'dataType', 'includes', 'containedIn', 'references', 'subField', 'citeAs']) {
      expect(CROISSANT_CONTEXT).toHaveProperty(term);
    }
    expect(CROISSANT_CONTEXT).toMatchObject({ cr: CROISSANT_NS, rai: RAI_NS, dct: DCT_NS, odrl: ODRL_NS, tributary: TRIBUTARY_NS });
  });
});

describe('release checks', () => {
  const broken: Array<[string, (release: ReleaseDescription) => void, RegExp]> = [
    ['a count that disagrees with the shards', (r) => void (r.counts.bySplit.train!.records = 999), /bySplit\.train\.records/],
    ['a total that disagrees with the splits', (r) => void (r.counts.records = 1), /counts\.records/],
    ['a shard in an unknown split', (r) => void (r.shards[0]!.split = 'extra'), /not in counts\.bySplit/],
    ['a malformed hash', (r) => void (r.shards[0]!.sha256 = 'ABC'), /sha256/],
    ['a shard path escaping the dataset', (r) => void (r.shards[0]!.name = 'data/../train-00000.parquet'), /shards\.0\.name/],
    ['a shard not named after its split', (r) => void (r.shards[0]!.name = 'data/x-00001-of-00002.parquet'), /must start with "train-"/],
    ['a non-canonical language tag', (r) => void (r.language.tag = 'SW'), /language\.tag/],
    ['expiry before publication', (r) => void (r.expires = '2020-01-01T00:00:00Z'), /expires/],
    ['a version that is not semver', (r) => void (r.version = 'v2'), /version/],
    ['mixed shard formats', (r) => void (r.shards[0]!.encodingFormat = 'application/x-tar'), /one format/],
    ['speech without hours', (r) => void (r.counts.hours = null), /counts\.hours/],
    ['withdrawals in a first release', (r) => void (r.previousManifest = null), /withdrawnSincePrevious/],
    // Signed links without a host would point wherever a copy of the manifest is read from.
    ['a node URL without a host', (r) => void (r.node.url = '/api/v1'), /node\.url/],
    ['a node URL that is not http(s)', (r) => void (r.node.url = 'ftp://sauti.example.org/api/v1'), /node\.url/],
  ];

  it.each(broken)('refuses %s', (_, breakIt, message) => {
    const release = speechRelease();
    breakIt(release);
    expect(() => buildManifest(release)).toThrow(InvalidReleaseError);
    expect(() => buildManifest(release)).toThrow(message);
  });
});
