import { describe, expect, it } from 'vitest';
import { K_ANONYMITY_THRESHOLD, publishableDemographics } from './demographics.js';
import type { DemographicCell } from './types.js';

const cell = (field: DemographicCell['field'], value: string, speakers: number): DemographicCell => ({ field, value, speakers });

describe('publishableDemographics', () => {
  it('uses k = 5', () => {
    expect(K_ANONYMITY_THRESHOLD).toBe(5);
  });

  it('drops cells under k and keeps cells of exactly k', () => {
    const cells = [cell('accent', 'coastal', 5), cell('accent', 'inland', 4), cell('accent', 'highland', 30)];
    // 39 speakers: 4 suppressed, so 4 unaccounted for → "coastal" (5) must go too (4 + 5 = 9 ≥ 5).
    expect(publishableDemographics(cells, 39)).toEqual([cell('accent', 'highland', 30)]);
    // With 10 more speakers who declared no accent the residual is already ≥ k.
    expect(publishableDemographics(cells, 49)).toEqual([cell('accent', 'coastal', 5), cell('accent', 'highland', 30)]);
  });

  it('suppresses a second cell when the first could be recovered by subtraction', () => {
    const cells = [cell('gender', 'female', 22), cell('gender', 'male', 15), cell('gender', 'non-binary', 2)];
    expect(publishableDemographics(cells, 39)).toEqual([cell('gender', 'female', 22)]);
  });

  it('keeps every cell of a field where nothing was suppressed, even with a few undeclared', () => {
    const cells = [cell('age_band', '19-29', 10), cell('age_band', '30-39', 6)];
    expect(publishableDemographics(cells, 18)).toEqual(cells);
  });

  it('publishes nothing when every cell is small', () => {
    expect(publishableDemographics([cell('variant', 'a', 4), cell('variant', 'b', 1)], 5)).toEqual([]);
  });

  it('orders by field, then value, whatever the input order', () => {
    const cells = [cell('gender', 'm', 9), cell('age_band', 'b', 7), cell('gender', 'f', 9), cell('age_band', 'a', 8)];
    expect(publishableDemographics(cells, 18).map((c) => `${c.field}=${c.value}`)).toEqual(['age_band=a', 'age_band=b', 'gender=f', 'gender=m']);
    expect(publishableDemographics([...cells].reverse(), 18)).toEqual(publishableDemographics(cells, 18));
  });
});
