import { compareCodeUnits } from './order.js';
import type { DemographicCell } from './types.js';
import { DEMOGRAPHIC_FIELDS } from './types.js';

/**
 * Smallest number of speakers a published demographic cell may describe. Below it a cell could
 * single out a few people in a small community (k-anonymity with k = 5).
 */
export const K_ANONYMITY_THRESHOLD = 5;

/**
 * The cells that may be published, in a stable order (field order of DEMOGRAPHIC_FIELDS, then
 * value). Cells under the threshold are dropped (primary suppression). Then, for a field that lost
 * a cell, if the speakers left unaccounted for (total speakers minus published cells: suppressed
 * cells plus speakers who declared nothing) number between 1 and k − 1, the smallest published
 * cell is dropped too, and so on (secondary suppression): otherwise a reader could subtract the
 * published cells from the published speaker total and recover a group of fewer than k people.
 * A field where nothing was suppressed keeps all its cells: what is left over there are only the
 * speakers who declared nothing, and declaring is optional.
 */
export function publishableDemographics(
  cells: readonly DemographicCell[],
  totalSpeakers: number,
  k: number = K_ANONYMITY_THRESHOLD,
): DemographicCell[] {
  const published: DemographicCell[] = [];
  for (const field of DEMOGRAPHIC_FIELDS) {
    const ofField = cells.filter((cell) => cell.field === field);
    const kept = ofField.filter((cell) => cell.speakers >= k).sort((a, b) => a.speakers - b.speakers || compareCodeUnits(a.value, b.value));
    const residual = () => totalSpeakers - kept.reduce((sum, cell) => sum + cell.speakers, 0);
    const suppressedAny = kept.length < ofField.length;
    while (suppressedAny && kept.length > 0 && residual() > 0 && residual() < k) kept.shift();
    published.push(...kept.sort((a, b) => compareCodeUnits(a.value, b.value)).map((cell) => ({ ...cell })));
  }
  return published;
}
