import { iso6393 } from 'iso-639-3';
import type { Modality } from './types.js';

/**
 * What the Hugging Face Hub expects in a dataset card's YAML header, as data: its license ids,
 * size buckets and task names, and the language code it wants.
 */

// SPDX ids whose Hub id is not simply the lower-cased SPDX id (hub-docs repositories-licenses.md).
const HUB_LICENSE_BY_SPDX: Readonly<Record<string, string>> = {
  'odc-by-1.0': 'odc-by',
  'odbl-1.0': 'odbl',
  'pddl-1.0': 'pddl',
  'c-uda-1.0': 'c-uda',
  lgpllr: 'lgpl-lr',
  'agpl-3.0-only': 'agpl-3.0',
  'agpl-3.0-or-later': 'agpl-3.0',
  'gpl-2.0-only': 'gpl-2.0',
  'gpl-2.0-or-later': 'gpl-2.0',
  'gpl-3.0-only': 'gpl-3.0',
  'gpl-3.0-or-later': 'gpl-3.0',
  'lgpl-2.1-only': 'lgpl-2.1',
  'lgpl-2.1-or-later': 'lgpl-2.1',
  'lgpl-3.0-only': 'lgpl-3.0',
  'lgpl-3.0-or-later': 'lgpl-3.0',
};

// Hub license ids that are lower-cased SPDX ids.
const HUB_LICENSES = new Set([
  'apache-2.0', 'mit', 'afl-3.0', 'artistic-2.0', 'bsl-1.0', 'bsd-2-clause', 'bsd-3-clause', 'bsd-3-clause-clear',
  'cc0-1.0', 'cc-by-2.0', 'cc-by-2.5', 'cc-by-3.0', 'cc-by-4.0', 'cc-by-sa-3.0', 'cc-by-sa-4.0', 'cc-by-nc-2.0',
  'cc-by-nc-3.0', 'cc-by-nc-4.0', 'cc-by-nd-4.0', 'cc-by-nc-nd-3.0', 'cc-by-nc-nd-4.0', 'cc-by-nc-sa-2.0',
  'cc-by-nc-sa-3.0', 'cc-by-nc-sa-4.0', 'cdla-sharing-1.0', 'cdla-permissive-1.0', 'cdla-permissive-2.0', 'wtfpl',
  'ecl-2.0', 'epl-1.0', 'epl-2.0', 'etalab-2.0', 'eupl-1.1', 'isc', 'lppl-1.3c', 'ms-pl', 'mpl-2.0', 'osl-3.0',
  'postgresql', 'ofl-1.1', 'ncsa', 'unlicense', 'zlib',
]);

export type HubLicense = { license: string } | { license: 'other'; license_name: string; license_link: string };

/** The Hub's license fields for an SPDX id; `other` with a name and link when it has no id for it. */
export function hubLicense(spdx: string, url: string): HubLicense {
  const lower = spdx.toLowerCase();
  const known = HUB_LICENSE_BY_SPDX[lower] ?? (HUB_LICENSES.has(lower) ? lower : undefined);
  if (known) return { license: known };
  return { license: 'other', license_name: lower.replace(/^licenseref-/, ''), license_link: url };
}

const ISO639_1_BY_3 = new Map(iso6393.flatMap((language) => (language.iso6391 ? [[language.iso6393, language.iso6391] as const] : [])));

/** The Hub wants ISO 639-1 where a language has one, else ISO 639-3. */
export function hubLanguage(iso639_3: string): string {
  return ISO639_1_BY_3.get(iso639_3) ?? iso639_3;
}

const SIZE_BUCKETS: ReadonlyArray<[limit: number, label: string]> = [
  [1e3, 'n<1K'],
  [1e4, '1K<n<10K'],
  [1e5, '10K<n<100K'],
  [1e6, '100K<n<1M'],
  [1e7, '1M<n<10M'],
  [1e8, '10M<n<100M'],
  [1e9, '100M<n<1B'],
  [1e10, '1B<n<10B'],
  [1e11, '10B<n<100B'],
  [1e12, '100B<n<1T'],
];

export function sizeCategory(records: number): string {
  return SIZE_BUCKETS.find(([limit]) => records < limit)?.[1] ?? 'n>1T';
}

// Hub task ids a consent purpose makes available, per modality.
const TASKS_BY_PURPOSE: Readonly<Record<Modality, Readonly<Record<string, readonly string[]>>>> = {
  speech: { 'train-asr': ['automatic-speech-recognition'], 'train-tts': ['text-to-speech'] },
  text: { 'train-lm': ['text-generation', 'fill-mask'] },
};
const DEFAULT_TASKS: Readonly<Record<Modality, readonly string[]>> = {
  speech: ['automatic-speech-recognition', 'text-to-speech'],
  text: ['text-generation', 'fill-mask'],
};

/**
 * Task categories the contributors consented to. A dataset only consented for ASR is not
 * advertised for speech synthesis; with no training purpose (e.g. evaluate only) the modality's
 * usual tasks are listed, since evaluation is of those tasks.
 */
export function taskCategories(modality: Modality, purposes: readonly string[]): string[] {
  const tasks = new Set(purposes.flatMap((purpose) => TASKS_BY_PURPOSE[modality][purpose] ?? []));
  return tasks.size > 0 ? DEFAULT_TASKS[modality].filter((task) => tasks.has(task)) : [...DEFAULT_TASKS[modality]];
}
