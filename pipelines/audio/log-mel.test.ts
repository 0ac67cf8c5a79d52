import { describe, expect, it } from 'vitest';
import { logMelSpectrogram, SPEECH_LOG_MEL } from './log-mel.js';

const RATE = SPEECH_LOG_MEL.sampleRate;
const tone = (hz: number, seconds: number, amplitude = 0.5) =>
  Float32Array.from({ length: Math.round(RATE * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / RATE));
const mel = (hz: number) => 2595 * Math.log10(1 + hz / 700);

/** The bin whose centre is nearest `hz` on the mel scale, with the settings' edges. */
function expectedBin(hz: number): number {
  const { lowHz, highHz, melBins } = SPEECH_LOG_MEL;
  const step = (mel(highHz) - mel(lowHz)) / (melBins + 1);
  return Math.round((mel(hz) - mel(lowHz)) / step) - 1;
}

function loudestBin(values: Float32Array, bins: number, frame: number): number {
  let best = 0;
  for (let b = 1; b < bins; b++) if (values[frame * bins + b]! > values[frame * bins + best]!) best = b;
  return best;
}

describe('log-mel spectrogram', () => {
  it('makes a 25 ms frame every 10 ms', () => {
    const { frames, bins, values } = logMelSpectrogram(tone(440, 1));
    expect(frames).toBe(1 + Math.floor((RATE - 400) / 160));
    expect(bins).toBe(40);
    expect(values.length).toBe(frames * bins);
    expect(logMelSpectrogram(new Float32Array(399)).frames).toBe(0);
  });

  for (const hz of [300, 1000, 3000, 6000]) {
    it(`puts a ${hz} Hz tone in the mel bin centred nearest it`, () => {
      const { bins, values, frames } = logMelSpectrogram(tone(hz, 0.5));
      expect(Math.abs(loudestBin(values, bins, Math.floor(frames / 2)) - expectedBin(hz))).toBeLessThanOrEqual(1);
    });
  }

  it('measures energy in dB: a tone 20 dB quieter reads 20 dB lower, and silence stays finite', () => {
    const loud = logMelSpectrogram(tone(1000, 0.2, 0.5)).energyDb[5]!;
    const quiet = logMelSpectrogram(tone(1000, 0.2, 0.05)).energyDb[5]!;
    expect(loud - quiet).toBeCloseTo(20, 1);
    const silent = logMelSpectrogram(new Float32Array(RATE / 10));
    expect(silent.values.every(Number.isFinite)).toBe(true);
  });
});
