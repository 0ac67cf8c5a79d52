import { CROISSANT_1_1, CROISSANT_CONTEXT } from '../../pipelines/release/manifest/context.js';
import { compareCodeUnits, orderedSplits } from '../../pipelines/release/manifest/order.js';
import { parquetStructure, shardFileObject, splitsRecordSet } from '../../pipelines/release/manifest/record-sets.js';
import type { Shard } from '../../pipelines/release/manifest/types.js';
import { combineTerms } from './combined-terms.js';
import type { ManifestFacts } from './manifest-facts.js';

/**
 * The pulled folder's own `croissant.json`, so that mlcroissant (and anything else that reads
 * Croissant) opens the folder as one dataset. Unsigned: the trainer's tool wrote it, and it says
 * so; what the nodes signed is each source's envelope under `sources/`. It lists every shard in
 * `data/` as it is now (name, sha256, size), with the record sets a release's manifest has,
 * built by the same code (pipelines/release/manifest/record-sets.ts): `splits`, and one Parquet
 * record set per source (speech and text shards have different columns), named by the source id.
 * Pure: the same folder gives the same bytes, so a layout that changes nothing leaves it alone.
 */
export const FOLDER_MANIFEST_FILE = 'croissant.json';

export interface FolderManifestSource {
  id: string;
  node: { did: string; name: string; url: string };
  facts: ManifestFacts;
  version: string;
  /** The source's files in `data/` now. */
  shards: Array<{ name: string; split: string; sha256: string; bytes: number; records: number }>;
}

export function folderManifest(sources: readonly FolderManifestSource[], indexUrl: string | null): string {
  const sorted = [...sources].sort((a, b) => compareCodeUnits(a.id, b.id));
  const withData = sorted.filter((source) => source.shards.length > 0);
  const splits = orderedSplits([...new Set(withData.flatMap((source) => source.shards.map((shard) => shard.split)))]);
  const terms = combineTerms(sorted.map((source) => ({ id: source.id, terms: source.facts.terms })));
  const licenses = [...new Set(sorted.map((source) => source.facts.license.url))].sort(compareCodeUnits);
  const languages = [...new Set(sorted.map((source) => source.facts.language.tag))].sort(compareCodeUnits);

  const files: Array<Record<string, unknown>> = [];
  const fileSets: Array<Record<string, unknown>> = [];
  const recordSets: Array<Record<string, unknown>> = [splitsRecordSet(splits, 'The splits of the folder: every source keeps its own node’s speaker-disjoint splits.')];
  const all: Shard[] = withData.flatMap((source) => source.shards.map((shard) => ({ ...shard, encodingFormat: 'application/x-parquet' as const })));
  for (const source of withData) {
    const own = all.filter((shard) => source.shards.some((mine) => mine.name === shard.name));
    // Numbered among every source's shards of the split, as the file names are.
    files.push(...own.map((shard) => ({ ...shardFileObject(shard, all, shard.name), 'tributary:source': source.id })));
    const { fileSet, recordSet } = parquetStructure({
      modality: source.facts.modality,
      splits: orderedSplits([...new Set(own.map((shard) => shard.split))]),
      recordSetId: source.id,
      fileSetId: `${source.id}-shards`,
      files: own.map((shard) => shard.name),
      description: `The Parquet shards of ${source.id} (${source.facts.datasetId} ${source.version} from ${source.node.name}) in data/.`,
    });
    fileSets.push(fileSet);
    recordSets.push({ ...recordSet, description: `${String(recordSet.description)} From ${source.id}: ${source.facts.name}.` });
  }

  const permitted = terms.permitted.length > 0 ? terms.permitted.join(', ') : 'nothing every source permits';
  const duties = terms.duties.map((entry) => `${entry.duty} (owed to ${entry.owedTo.join(', ')})`);
  const manifest = {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    conformsTo: CROISSANT_1_1,
    name: `Tributary pulled folder (${sorted.length} source${sorted.length === 1 ? '' : 's'})`,
    description:
      'Written by tributary pull for this folder and rewritten by tributary verify; not signed by any node. ' +
      'What each node signed is its manifest under sources/<id>/croissant.dsse.json, and tributary.lock.json ' +
      `records every shard's sha256. Sources: ${sorted.map((source) => `${source.id} (${source.facts.datasetId} ${source.version}, ${source.node.name}, ${source.facts.license.spdx})`).join('; ')}.`,
    // The version of this folder manifest's form: what changes in a folder is its files, listed by sha256 (and in the lock).
    version: '1.0.0',
    // The newest source's publication: deterministic, so an unchanged folder keeps the same bytes.
    datePublished: sorted.map((source) => source.facts.published).sort(compareCodeUnits).at(-1),
    url: indexUrl ?? sorted[0]?.facts.url ?? 'https://w3id.org/tributary',
    license: licenses.length === 1 ? licenses[0] : licenses,
    inLanguage: languages.length === 1 ? languages[0] : languages,
    creator: uniqueNodes(sorted).map((node) => ({ '@id': node.did, '@type': 'sc:Organization', name: node.name, url: node.url })),
    isBasedOn: sorted.map((source) => ({ '@id': source.facts.url })),
    citeAs: sorted.map((source) => source.facts.citation).filter((text): text is string => text !== null).join('\n\n') || undefined,
    usageInfo:
      `Permitted for the whole folder (what every source permits): ${permitted}.` +
      (duties.length > 0 ? ` Duties: ${duties.join('; ')}.` : '') +
      ` Each source's licence and terms apply to its records; see README.md.`,
    distribution: [...files, ...fileSets],
    recordSet: recordSets,
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function uniqueNodes(sources: readonly FolderManifestSource[]): Array<FolderManifestSource['node']> {
  const seen = new Map<string, FolderManifestSource['node']>();
  for (const source of sources) if (!seen.has(source.node.did)) seen.set(source.node.did, source.node);
  return [...seen.values()];
}
