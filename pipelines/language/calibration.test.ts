import { describe, expect, it } from 'vitest';
import { applyCurve, fitIsotonic } from './calibration.js';
import { confidenceCalibration } from './calibration-data.js';
import { LANGID_MODEL } from './identify.js';

describe('confidence calibration', () => {
  it('fits a monotone curve that recovers a known relation', () => {
    // Right with probability equal to the score, drawn deterministically.
    const points = Array.from({ length: 5000 }, (_, i) => {
      const score = (i % 1000) / 1000;
      return { score, correct: ((i * 7919) % 1000) / 1000 < score };
    });
    const curve = fitIsotonic(points);
    for (let i = 1; i < curve.accuracy.length; i++) expect(curve.accuracy[i]).toBeGreaterThanOrEqual(curve.accuracy[i - 1]!);
    for (const score of [0.1, 0.3, 0.5, 0.7, 0.9]) expect(Math.abs(applyCurve(curve, score) - score)).toBeLessThan(0.08);
  });

  it('interpolates between points and is flat beyond the ends', () => {
    const curve = { scores: [0.1, 0.5], accuracy: [0.2, 0.6] };
    expect(applyCurve(curve, 0)).toBe(0.2);
    expect(applyCurve(curve, 0.3)).toBeCloseTo(0.4);
    expect(applyCurve(curve, 1)).toBe(0.6);
  });

  it('was fitted for the current decision logic', () => {
    expect(confidenceCalibration.model).toBe(LANGID_MODEL);
  });
});
