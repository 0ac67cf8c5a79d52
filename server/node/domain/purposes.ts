/**
 * What a volunteer can agree to. Ids are Tributary's own; each maps to a W3C DPV purpose so a
 * consent record reads the same to a data-protection tool as to us.
 */
export const PURPOSES = {
  'train-asr': { dpv: 'dpv:ResearchAndDevelopment', label: 'Train speech recognition models' },
  'train-tts': { dpv: 'dpv:ResearchAndDevelopment', label: 'Train speech synthesis models' },
  'train-lm': { dpv: 'dpv:ResearchAndDevelopment', label: 'Train language models' },
  evaluate: { dpv: 'dpv:ResearchAndDevelopment', label: 'Evaluate language technology' },
  'commercial-model': { dpv: 'dpv:CommercialPurpose', label: 'Build commercial products' },
} as const;

export type Purpose = keyof typeof PURPOSES;
export const PURPOSE_IDS = Object.keys(PURPOSES) as [Purpose, ...Purpose[]];

/** True when every required purpose is among the granted ones. */
export function coversPurposes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((purpose) => granted.includes(purpose));
}

/** What a release lets trainers do, in the manifest's ODRL terms. */
export type UsageAction = 'train' | 'evaluate' | 'commercial-model' | 'redistribute';
export type UsageDuty = 'attribute' | 'notify-use';

/**
 * Consent purposes and the license together decide the permitted actions: training needs a
 * training purpose, commercial models need the commercial purpose and a license without NC,
 * and redistribution needs a Creative Commons license (every one of them allows it).
 */
export function permittedActions(purposes: readonly string[], license: string): UsageAction[] {
  const actions: UsageAction[] = [];
  if (purposes.some((p) => p.startsWith('train-'))) actions.push('train');
  if (purposes.includes('evaluate')) actions.push('evaluate');
  if (purposes.includes('commercial-model') && !/-NC\b/.test(license)) actions.push('commercial-model');
  if (/^(CC-|CC0-)/.test(license)) actions.push('redistribute');
  return actions;
}

export function usageDuties(license: string, accessClass: 'open' | 'gated' | 'on-request'): UsageDuty[] {
  const duties: UsageDuty[] = [];
  if (license.startsWith('CC-BY')) duties.push('attribute');
  if (accessClass !== 'open') duties.push('notify-use');
  return duties;
}
