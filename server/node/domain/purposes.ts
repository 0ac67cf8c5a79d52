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
