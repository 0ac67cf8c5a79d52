import { permittedActions } from '../../../pipelines/release/manifest/croissant.js';
import { ACTION_IRIS, purposeIri } from '../../../pipelines/release/manifest/usage-policy.js';
import type { SignedManifest } from '../../../pipelines/release/verify/manifest-schema.js';
import type { AccessClass } from '../store/index-store.js';

/**
 * What search filters on, read from a verified manifest at intake: the fields
 * `signedManifestSchema` checks, and the descriptive ones it passes through (language, counts,
 * licence), taken only when they have the type Tributary writes, else left empty.
 */
export interface ManifestFacts {
  name: string;
  description: string;
  languageTag: string | null;
  iso639_3: string | null;
  modality: 'text' | 'speech';
  license: string;
  licenseUrl: string;
  accessClass: AccessClass;
  permittedActions: string[];
  /** The consent purposes the `train` permission is limited to (its odrl:purpose constraint). */
  purposes: string[];
  records: number;
  hours: number | null;
  speakers: number | null;
  published: string;
  expires: string;
}

export function manifestFacts(manifest: SignedManifest): ManifestFacts {
  const doc = manifest.document;
  const text = (value: unknown, max: number): string | null => (typeof value === 'string' ? value.slice(0, max) : null);
  const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null);
  const iso639_3 = text(doc['tributary:iso639_3'], 10);
  return {
    name: text(doc.name, 500) ?? '',
    description: text(doc.description, 10_000) ?? '',
    languageTag: text(doc.inLanguage, 35),
    iso639_3: iso639_3 && /^[a-z]{3}$/.test(iso639_3) ? iso639_3 : null,
    modality: doc['tributary:modality'] as 'text' | 'speech',
    license: doc['tributary:spdx'] as string,
    licenseUrl: doc.license as string,
    accessClass: doc['tributary:accessClass'] as AccessClass,
    permittedActions: actions(doc),
    purposes: trainPurposes(doc),
    records: doc['tributary:records'] as number,
    hours: count(doc['tributary:hours']),
    speakers: count(doc['tributary:speakers']),
    // One form for every instant (the schema bounds it), so `published` orders as time does
    // whatever offset the node wrote.
    published: new Date(doc.datePublished as string).toISOString(),
    expires: manifest.expires,
  };
}

/** The policy is passed through unchecked by the schema: a shape Tributary does not write permits nothing. */
function actions(doc: Record<string, unknown>): string[] {
  try {
    return permittedActions(doc);
  } catch {
    return [];
  }
}

const PURPOSE_PREFIX = purposeIri('');

/**
 * The purposes a manifest's ODRL `train` permission is limited to: the `odrl:purpose`
 * constraint's right operands that are Tributary purpose IRIs (tributary:purpose-train-asr →
 * train-asr). A permission without such a constraint names no purpose, so a search for one
 * (`permits=train-asr`) does not find it: a purpose is matched only where the terms state it.
 */
export function trainPurposes(doc: Record<string, unknown>): string[] {
  const policy = doc['odrl:hasPolicy'] as { 'odrl:permission'?: unknown } | undefined;
  const permissions = Array.isArray(policy?.['odrl:permission']) ? (policy['odrl:permission'] as unknown[]) : [];
  const purposes = new Set<string>();
  for (const permission of permissions) {
    const p = permission as { 'odrl:action'?: { '@id'?: unknown }; 'odrl:constraint'?: unknown } | null;
    if (p?.['odrl:action']?.['@id'] !== ACTION_IRIS.train) continue;
    const constraints = Array.isArray(p['odrl:constraint']) ? (p['odrl:constraint'] as unknown[]) : [];
    for (const constraint of constraints) {
      const c = constraint as { 'odrl:leftOperand'?: { '@id'?: unknown }; 'odrl:rightOperand'?: unknown } | null;
      if (c?.['odrl:leftOperand']?.['@id'] !== 'odrl:purpose') continue;
      const operands = Array.isArray(c['odrl:rightOperand']) ? c['odrl:rightOperand'] : [c['odrl:rightOperand']];
      for (const operand of operands) {
        const id = (operand as { '@id'?: unknown } | null)?.['@id'];
        if (typeof id === 'string' && id.startsWith(PURPOSE_PREFIX) && id.length <= PURPOSE_PREFIX.length + 60) {
          purposes.add(id.slice(PURPOSE_PREFIX.length));
        }
      }
    }
  }
  return [...purposes].sort();
}
