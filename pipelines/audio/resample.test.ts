import { describe, expect, it } from 'vitest';
import { resample } from './resample.js';

const tone = (hz: number, rate: number, seconds: number, amplitude = 0.5) =>
  Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));

/** RMS over the middle of the signal, away from edge effects. */
const middleRms = (x: Float32Array) => {
  const a = Math.floor(x.length / 4);
  const b = Math.floor((3 * x.length) / 4);
  let sum = 0;
  for (let i = a; i < b; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / (b - a));
};

describe('resample', () => {
  for (const from of [8000, 22050, 44100, 48000]) {
    it(`keeps a 440 Hz tone at its level and pitch from ${from} Hz to 16 kHz`, () => {
      const out = resample(tone(440, from, 1), from, 16000);
      expect(out.length).toBe(Math.floor((from * 16000) / from));
      expect(middleRms(out)).toBeCloseTo(0.5 / Math.SQRT2, 2);
      // Compare with the ideal tone at 16 kHz, sample by sample in the middle.
      const ideal = tone(440, 16000, 1);
      let error = 0;
      for (let i = 4000; i < 12000; i++) error = Math.max(error, Math.abs(out[i]! - ideal[i]!));
      expect(error).toBeLessThan(0.01);
    });
  }

  it('removes content above the new Nyquist frequency instead of folding it down', () => {
    const out = resample(tone(11000, 48000, 1), 48000, 16000);
    // 11 kHz would alias to 5 kHz; it must be attenuated by well over 60 dB.
    expect(20 * Math.log10(middleRms(out) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('keeps a constant signal constant and returns the input for equal rates', () => {
    const dc = new Float32Array(4410).fill(0.25);
    const out = resample(dc, 44100, 16000);
    expect(out[800]).toBeCloseTo(0.25, 5);
    expect(resample(dc, 16000, 16000)).toBe(dc);
  });
});
