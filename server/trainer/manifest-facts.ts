import { z } from 'zod';
import { permittedActions } from '../../pipelines/release/manifest/croissant.js';
import type { UsageAction, UsageDuty } from '../../pipelines/release/manifest/types.js';
import { USAGE_DUTIES } from '../../pipelines/release/manifest/types.js';
import { DUTY_IRIS, trainPurposes } from '../../pipelines/release/manifest/usage-policy.js';
import { signedManifestSchema, type ManifestShard } from '../../pipelines/release/verify/manifest-schema.js';
import { SourceMismatchError } from './errors.js';

/**
 * What the folder's card and lock need from a source's signed manifest, read from the manifest
 * itself (never from the node's card, which is unsigned): identity, language, licence, access,
 * usage terms (ODRL, as pipelines/release/manifest/usage-policy.ts writes them) and shards.
 */
export interface ManifestFacts {
  nodeDid: string;
  datasetId: string;
  version: string;
  name: string;
  /** The dataset's URL on its node. */
  url: string;
  /** `datePublished`, as signed. */
  published: string;
  language: { tag: string; iso639_3: string };
  modality: 'text' | 'speech';
  license: { spdx: string; url: string };
  accessClass: 'open' | 'gated' | 'on-request';
  terms: UsageTerms;
  /** BibTeX from `citeAs`. */
  citation: string | null;
  localContexts: Array<{ name: string; url: string }>;
  shards: ManifestShard[];
}

export interface UsageTerms {
  permitted: UsageAction[];
  /** Duties the policy attaches to its permissions: `attribute`, `notify-use`, or the IRI of one this version does not know. */
  duties: string[];
  /** The consent purposes (train-asr, …) the signed ODRL `train` permission is limited to. */
  purposes: string[];
}

const extraSchema = z.looseObject({
  inLanguage: z.string().min(1),
  'tributary:iso639_3': z.string().min(1),
  citeAs: z.string().optional(),
  'tributary:localContextsLabels': z.array(z.looseObject({ name: z.string(), url: z.string() })).optional(),
});

export function manifestFacts(manifest: Record<string, unknown>): ManifestFacts {
  const signed = signedManifestSchema.safeParse(manifest);
  const extra = extraSchema.safeParse(manifest);
  if (!signed.success || !extra.success) {
    const issue = (signed.error ?? extra.error)!.issues[0];
    throw new SourceMismatchError(`the manifest is not one Tributary signs: ${issue?.path.join('.')} ${issue?.message}`);
  }
  const document = manifest as Record<string, any>;
  return {
    nodeDid: signed.data.nodeDid,
    datasetId: signed.data.datasetId,
    version: signed.data.version,
    name: document.name as string,
    url: document.url as string,
    published: String(document.datePublished),
    language: { tag: extra.data.inLanguage, iso639_3: extra.data['tributary:iso639_3'] },
    modality: document['tributary:modality'],
    license: { spdx: document['tributary:spdx'], url: document.license },
    accessClass: document['tributary:accessClass'],
    terms: usageTerms(manifest),
    citation: extra.data.citeAs ?? null,
    localContexts: (extra.data['tributary:localContextsLabels'] ?? []).map((label) => ({ name: label.name, url: label.url })),
    shards: signed.data.shards,
  };
}

const DUTY_BY_IRI = new Map<string, UsageDuty>(USAGE_DUTIES.map((duty) => [DUTY_IRIS[duty], duty]));

/**
 * The usage terms of a manifest's ODRL policy. A duty this version does not know is kept by its
 * IRI, never dropped: a trainer must see every duty a source attaches.
 */
export function usageTerms(manifest: Record<string, unknown>): UsageTerms {
  type Rule = { 'odrl:duty'?: unknown };
  const policy = (manifest['odrl:hasPolicy'] ?? {}) as { 'odrl:permission'?: unknown; 'odrl:obligation'?: unknown };
  const duties = new Set<string>();
  const actionOf = (duty: unknown) => ((duty as { 'odrl:action'?: { '@id'?: unknown } })?.['odrl:action']?.['@id']);
  const collect = (list: unknown) => {
    for (const duty of asArray(list)) {
      const iri = actionOf(duty);
      if (typeof iri === 'string') duties.add(DUTY_BY_IRI.get(iri) ?? iri);
    }
  };
  for (const permission of asArray(policy['odrl:permission'])) collect((permission as Rule)['odrl:duty']);
  collect(policy['odrl:obligation']);
  const known = USAGE_DUTIES.filter((duty) => duties.has(duty));
  const unknown = [...duties].filter((duty) => !(USAGE_DUTIES as readonly string[]).includes(duty)).sort();
  return {
    permitted: permittedActions(manifest),
    duties: [...known, ...unknown],
    // Read from the signed ODRL as the index's `permits` search reads it, not from a summary field.
    purposes: trainPurposes(manifest),
  };
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
