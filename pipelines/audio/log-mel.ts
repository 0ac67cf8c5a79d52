import FFT from 'fft.js';
import { z } from 'zod';

/**
 * Log-mel spectrogram: the usual input of speech models (Kaldi, Whisper, SpeechBrain's language
 * ID all start from it). Hann-windowed frames, power spectrum (fft.js), triangular filters on the
 * HTK mel scale, natural log. Frames are rows: `values[frame * bins + bin]`.
 */
export const logMelSettings = z.object({
  sampleRate: z.number().int().min(8000).max(48_000),
  melBins: z.number().int().min(8).max(128),
  frameSeconds: z.number().min(0.005).max(0.1),
  hopSeconds: z.number().min(0.005).max(0.1),
  lowHz: z.number().min(0),
  highHz: z.number().positive(),
});
export type LogMelSettings = z.infer<typeof logMelSettings>;

/** 40 bins over 25 ms frames every 10 ms at 16 kHz, 20 Hz–7.6 kHz: the common setting for speech. */
export const SPEECH_LOG_MEL: LogMelSettings = {
  sampleRate: 16_000,
  melBins: 40,
  frameSeconds: 0.025,
  hopSeconds: 0.01,
  lowHz: 20,
  highHz: 7600,
};

export interface LogMelSpectrogram {
  frames: number;
  bins: number;
  values: Float32Array;
  /** Each frame's energy in dB (before the mel filters), to tell speech frames from silence. */
  energyDb: Float32Array;
}

/** Keeps log(0) finite: -13.8, about 60 dB below a quiet speech frame's mel energy. */
const ENERGY_FLOOR = 1e-6;

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

interface Plan {
  frameLength: number;
  hop: number;
  fft: FFT;
  fftSize: number;
  window: Float64Array;
  /** For each mel bin: the first FFT bin it covers and its weights from there. */
  filters: { start: number; weights: Float64Array }[];
}

const plans = new Map<string, Plan>();

function planFor(settings: LogMelSettings): Plan {
  const key = JSON.stringify(settings);
  const cached = plans.get(key);
  if (cached) return cached;
  const frameLength = Math.round(settings.frameSeconds * settings.sampleRate);
  const hop = Math.round(settings.hopSeconds * settings.sampleRate);
  let fftSize = 16;
  while (fftSize < frameLength) fftSize *= 2;
  const window = new Float64Array(frameLength);
  for (let i = 0; i < frameLength; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (frameLength - 1));

  const nyquist = settings.sampleRate / 2;
  const lowMel = hzToMel(settings.lowHz);
  const highMel = hzToMel(Math.min(settings.highHz, nyquist));
  const edges = Array.from({ length: settings.melBins + 2 }, (_, i) => melToHz(lowMel + ((highMel - lowMel) * i) / (settings.melBins + 1)));
  const binHz = settings.sampleRate / fftSize;
  const filters = [];
  for (let m = 0; m < settings.melBins; m++) {
    const [left, centre, right] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    const start = Math.ceil(left / binHz);
    const end = Math.min(fftSize / 2, Math.floor(right / binHz));
    const weights = new Float64Array(Math.max(0, end - start + 1));
    for (let k = start; k <= end; k++) {
      const hz = k * binHz;
      weights[k - start] = Math.max(0, hz <= centre ? (hz - left) / (centre - left) : (right - hz) / (right - centre));
    }
    filters.push({ start, weights });
  }
  const plan = { frameLength, hop, fft: new FFT(fftSize), fftSize, window, filters };
  plans.set(key, plan);
  return plan;
}

/** The log-mel spectrogram of mono samples at `settings.sampleRate`; no frame for a clip shorter than one. */
export function logMelSpectrogram(samples: Float32Array, settings: LogMelSettings = SPEECH_LOG_MEL): LogMelSpectrogram {
  const plan = planFor(settings);
  const { frameLength, hop, fft, fftSize, window, filters } = plan;
  const frames = samples.length < frameLength ? 0 : 1 + Math.floor((samples.length - frameLength) / hop);
  const bins = settings.melBins;
  const values = new Float32Array(frames * bins);
  const energyDb = new Float32Array(frames);
  const input = new Array<number>(fftSize).fill(0);
  const spectrum = fft.createComplexArray() as number[];
  const power = new Float64Array(fftSize / 2 + 1);

  for (let f = 0; f < frames; f++) {
    const offset = f * hop;
    let energy = 0;
    for (let i = 0; i < frameLength; i++) {
      const value = samples[offset + i]!;
      energy += value * value;
      input[i] = value * window[i]!;
    }
    energyDb[f] = 10 * Math.log10(energy / frameLength + 1e-12);
    fft.realTransform(spectrum, input);
    for (let k = 0; k <= fftSize / 2; k++) {
      const re = spectrum[2 * k]!;
      const im = spectrum[2 * k + 1]!;
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < bins; m++) {
      const { start, weights } = filters[m]!;
      let sum = 0;
      for (let j = 0; j < weights.length; j++) sum += weights[j]! * power[start + j]!;
      values[f * bins + m] = Math.log(sum + ENERGY_FLOOR);
    }
  }
  return { frames, bins, values, energyDb };
}
