import { canonicalJson } from './canonical-json.js';
import { citation } from './citation.js';
import { CROISSANT_1_1, CROISSANT_CONTEXT, CROISSANT_RAI_1_0 } from './context.js';
import { K_ANONYMITY_THRESHOLD, publishableDemographics } from './demographics.js';
import { languageName } from './language-name.js';
import { compareCodeUnits, orderedSplits } from './order.js';
import { raiProperties } from './rai.js';
import { describeShards, STRUCTURE_IDS } from './record-sets.js';
import { checkRelease, InvalidReleaseError } from './release-schema.js';
import type { ReleaseDescription, UsageAction } from './types.js';
import { USAGE_ACTIONS } from './types.js';
import { apiBase, datasetUrl } from './urls.js';
import { ACTION_IRIS, usagePolicy } from './usage-policy.js';

export { CROISSANT_CONTEXT } from './context.js';

/** DSSE payloadType of a signed manifest: JCS-serialised Croissant 1.1 JSON-LD, this schema. */
export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.tributary.manifest.v1+json';

// Local id of the usage policy (Croissant style: a short string resolved against the manifest's URL).
const POLICY_ID = 'usage-policy';
const RESERVED_IDS = new Set([POLICY_ID, ...STRUCTURE_IDS]);

/**
 * The Croissant 1.1 + RAI 1.0 JSON-LD manifest of a release. Pure: the same release description
 * gives the same document whatever the order of its arrays and keys, so `manifestBytes` of two
 * builds are identical. Throws InvalidReleaseError when the description is inconsistent.
 */
export function buildManifest(input: ReleaseDescription): Record<string, unknown> {
  const release = checkRelease(input);
  const shards = [...release.shards].sort((a, b) => compareCodeUnits(a.name, b.name));
  for (const shard of shards) {
    const top = shard.name.split('/', 1)[0]!;
    if (RESERVED_IDS.has(shard.name) || RESERVED_IDS.has(top)) {
      throw new InvalidReleaseError([`shards: ${shard.name} collides with the manifest id ${top}`]);
    }
  }
  const splits = orderedSplits(Object.keys(release.counts.bySplit));
  const demographics = publishableDemographics(release.demographics, release.counts.speakers);
  const { distribution, recordSet } = describeShards(release, shards, splits);

  const publisher = { '@id': release.node.did };
  return {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    conformsTo: [CROISSANT_1_1, CROISSANT_RAI_1_0],
    name: release.name,
    description: release.description,
    version: release.version,
    datePublished: release.published,
    url: datasetUrl(release),
    license: release.license.url,
    inLanguage: release.language.tag,
    keywords: [languageName(release.language), release.language.tag, release.language.iso639_3, release.modality, 'Tributary'],
    creator: { '@id': release.node.did, '@type': 'sc:Organization', name: release.node.name, url: apiBase(release) },
    publisher,
    citeAs: citation(release),
    // Croissant 1.1 puts data-use conditions in usageInfo; ODRL links an asset to its policy
    // with odrl:hasPolicy. Both name the same policy node.
    usageInfo: { '@id': POLICY_ID },
    'odrl:hasPolicy': usagePolicy(release, POLICY_ID),
    distribution,
    recordSet,
    ...raiProperties(release, demographics),
    'tributary:nodeDid': release.node.did,
    'tributary:datasetId': release.datasetId,
    'tributary:releaseVersion': release.version,
    'tributary:rev': release.rev,
    'tributary:expires': release.expires,
    'tributary:previousManifest': release.previousManifest,
    'tributary:accessClass': release.accessClass,
    'tributary:modality': release.modality,
    'tributary:consentPurposes': [...release.usage.purposes].sort(),
    'tributary:spdx': release.license.spdx,
    'tributary:iso639_3': release.language.iso639_3,
    'tributary:withdrawnSincePrevious': release.withdrawnSincePrevious,
    'tributary:records': release.counts.records,
    'tributary:hours': roundHours(release.counts.hours),
    'tributary:speakers': release.counts.speakers,
    'tributary:splits': splits.map((split) => {
      const counts = release.counts.bySplit[split]!;
      return {
        '@type': 'tributary:SplitCounts',
        'tributary:split': split,
        'tributary:records': counts.records,
        'tributary:hours': roundHours(counts.hours),
        'tributary:speakers': counts.speakers,
        'tributary:shards': shards.filter((shard) => shard.split === split).length,
      };
    }),
    'tributary:suppressionThreshold': K_ANONYMITY_THRESHOLD,
    'tributary:demographics': demographics.map((cell) => ({
      '@type': 'tributary:DemographicCell',
      'tributary:field': cell.field,
      'tributary:value': cell.value,
      'tributary:speakers': cell.speakers,
    })),
    'tributary:pipeline': Object.keys(release.pipeline)
      .sort()
      .map((stage) => ({ '@type': 'tributary:PipelineStage', 'tributary:stage': stage, 'tributary:version': release.pipeline[stage] })),
    ...(release.localContexts && release.localContexts.length > 0
      ? {
          'tributary:localContextsLabels': [...release.localContexts]
            .sort((a, b) => compareCodeUnits(a.label, b.label) || compareCodeUnits(a.url, b.url))
            .map((label) => ({ '@type': 'sc:DefinedTerm', name: label.label, url: label.url, description: 'Local Contexts label' })),
        }
      : {}),
  };
}

/**
 * The exact bytes that are published, hashed (previousManifest, the index's manifest id) and
 * signed: UTF-8 of the RFC 8785 (JCS) serialisation, i.e. keys sorted by UTF-16 code units, no
 * whitespace, no trailing newline. See canonical-json.ts.
 */
export function manifestBytes(manifest: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}

/** The usage actions a manifest's ODRL policy permits (for search and for `tributary pull`). */
export function permittedActions(manifest: Record<string, unknown>): UsageAction[] {
  const policy = manifest['odrl:hasPolicy'] as { 'odrl:permission'?: Array<{ 'odrl:action'?: { '@id'?: string } }> } | undefined;
  const granted = new Set((policy?.['odrl:permission'] ?? []).map((permission) => permission['odrl:action']?.['@id']));
  return USAGE_ACTIONS.filter((action) => granted.has(ACTION_IRIS[action]));
}

/** Hours to 3 decimals (3.6 s): summed floats otherwise leak noise like 12.340000000000002. */
function roundHours(hours: number | null): number | null {
  return hours === null ? null : Math.round(hours * 1000) / 1000;
}
