/**
 * Namespaces and the inline JSON-LD @context of every Tributary manifest.
 *
 * The context is written out in full (no remote context URL) so that a manifest expands the same
 * way offline, on an index that must not fetch from the network while verifying, and in ten
 * years when a context URL may no longer resolve. It is the Croissant 1.1 context (spec
 * Appendix 1) plus the terms mlcroissant adds, the RAI, Dublin Core and ODRL prefixes, and
 * Tributary's own terms.
 *
 * schema.org is `https://schema.org/`, as in mlcroissant, the Croissant vocabulary files
 * (croissant.ttl, croissant_rai.ttl) and the Croissant files Hugging Face generates; the 1.1
 * spec's appendix prints `http://schema.org/`, but loaders compare against the https form.
 */

/**
 * Tributary's own vocabulary. This namespace is ours (Tributary's), not a registered standard:
 * the w3id.org redirect still has to be claimed, and until it is the IRIs are identifiers only.
 * Terms used: see TRIBUTARY_TERMS below and the actions in usage-policy.ts.
 */
export const TRIBUTARY_NS = 'https://w3id.org/tributary/ns#';

export const SCHEMA_ORG_NS = 'https://schema.org/';
export const CROISSANT_NS = 'http://mlcommons.org/croissant/';
export const RAI_NS = 'http://mlcommons.org/croissant/RAI/';
export const DCT_NS = 'http://purl.org/dc/terms/';
export const ODRL_NS = 'http://www.w3.org/ns/odrl/2/';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema#';

/** The values of dct:conformsTo: the Croissant and Croissant RAI versions a manifest follows. */
export const CROISSANT_1_1 = 'http://mlcommons.org/croissant/1.1';
export const CROISSANT_RAI_1_0 = 'http://mlcommons.org/croissant/RAI/1.0';

const untagged = { '@language': null } as const;

/**
 * Tributary terms that need a definition. Plain-string terms drop the default "@language": "en"
 * (an id, a hash or a version string is not English text); node-valued and numeric terms need
 * none. All Tributary keys are written with the `tributary:` prefix in the document.
 */
const TRIBUTARY_TERMS = {
  'tributary:nodeDid': { '@type': '@id' },
  'tributary:datasetId': untagged,
  'tributary:releaseVersion': untagged,
  'tributary:expires': { '@type': 'xsd:dateTime' },
  'tributary:previousManifest': untagged,
  'tributary:accessClass': untagged,
  'tributary:modality': untagged,
  'tributary:consentPurposes': untagged,
  'tributary:spdx': untagged,
  'tributary:iso639_3': untagged,
  'tributary:split': untagged,
  'tributary:stage': untagged,
  'tributary:version': untagged,
  'tributary:field': untagged,
  'tributary:value': untagged,
} as const;

export const CROISSANT_CONTEXT: Record<string, unknown> = deepFreeze({
  '@language': 'en',
  '@vocab': SCHEMA_ORG_NS,
  sc: SCHEMA_ORG_NS,
  cr: CROISSANT_NS,
  rai: RAI_NS,
  dct: DCT_NS,
  odrl: ODRL_NS,
  xsd: XSD_NS,
  tributary: TRIBUTARY_NS,
  // Croissant 1.1, Appendix 1.
  annotation: 'cr:annotation',
  arrayShape: 'cr:arrayShape',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  containedIn: 'cr:containedIn',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  equivalentProperty: 'cr:equivalentProperty',
  examples: { '@id': 'cr:examples', '@type': '@json' },
  excludes: 'cr:excludes',
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isArray: 'cr:isArray',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  readLines: 'cr:readLines',
  sdVersion: 'cr:sdVersion',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
  unArchive: 'cr:unArchive',
  value: 'cr:value',
  // Terms mlcroissant's reference context adds (it warns when they are missing).
  path: 'cr:path',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  samplingRate: 'cr:samplingRate',
  ...TRIBUTARY_TERMS,
});

// Every manifest embeds this one object: freezing it keeps a caller that edits one manifest's
// @context from changing every manifest built after it.
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
