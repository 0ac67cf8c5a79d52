import { permittedActions } from '../../../pipelines/release/manifest/croissant.js';
import { trainPurposes } from '../../../pipelines/release/manifest/usage-policy.js';
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
