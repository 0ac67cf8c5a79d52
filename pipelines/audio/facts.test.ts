import { describe, expect, it } from 'vitest';
import { audioFacts } from './facts.js';
import { DEFAULT_SCREENING, screen } from './screen.js';

const RATE = 16000;
const original = { format: 'wav', sampleRate: RATE, channels: 1, clippingRatio: 0 };

/** A deterministic stand-in for speech: amplitude-modulated harmonics in bursts. */
function burst(seconds: number, amplitude: number): Float32Array {
  const n = Math.round(seconds * RATE);
  return Float32Array.from({ length: n }, (_, i) => {
    const t = i / RATE;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    return amplitude * envelope * (Math.sin(2 * Math.PI * 180 * t) + 0.5 * Math.sin(2 * Math.PI * 360 * t)) / 1.5;
  });
}

function noise(seconds: number, amplitude: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: Math.round(seconds * RATE) }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return amplitude * ((s / 2 ** 32) * 2 - 1);
  });
}

const concat = (...parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const add = (a: Float32Array, b: Float32Array) => a.map((v, i) => v + (b[i] ?? 0));

describe('audio facts', () => {
  it('measures duration, level, speech and the silence around it', () => {
    const clip = concat(new Float32Array(RATE), burst(2, 0.5), new Float32Array(RATE / 2));
    const facts = audioFacts(clip, RATE, original);
    const peak = clip.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(facts.durationSeconds).toBeCloseTo(3.5, 2);
    expect(facts.peakDbfs).toBeCloseTo(20 * Math.log10(peak), 1);
    expect(facts.leadingSilenceSeconds).toBeGreaterThan(0.9);
    expect(facts.leadingSilenceSeconds).toBeLessThan(1.15);
    expect(facts.trailingSilenceSeconds).toBeGreaterThan(0.3);
    expect(facts.trailingSilenceSeconds).toBeLessThan(0.55);
    expect(facts.speechSeconds).toBeGreaterThan(1.5);
    expect(facts.speechSeconds).toBeLessThan(2.2);
    expect(facts.snrDb).toBe(60); // digital silence: capped
  });

  it('estimates the signal-to-noise ratio of speech in noise', () => {
    const speech = concat(noise(0.5, 0), burst(3, 0.3), noise(0.5, 0));
    const clean = audioFacts(add(speech, noise(4, 0.003)), RATE, original);
    const noisy = audioFacts(add(speech, noise(4, 0.05)), RATE, original);
    expect(clean.snrDb).toBeGreaterThan(30);
    expect(noisy.snrDb).toBeLessThan(clean.snrDb - 10);
  });

  it('screens silent, too short, clipped and borderline clips with actionable reasons', () => {
    const rules = DEFAULT_SCREENING;
    const silent = screen(audioFacts(new Float32Array(3 * RATE), RATE, original), rules);
    expect(silent).toMatchObject({ ok: false, problem: 'AudioSilent' });
    const quiet = screen(audioFacts(burst(2, 0.001), RATE, original), rules);
    expect(quiet).toMatchObject({ ok: false, problem: 'AudioSilent' });
    if (!quiet.ok) expect(quiet.reason).toMatch(/microphone/);
    const short = screen(audioFacts(concat(new Float32Array(RATE), burst(0.4, 0.5), new Float32Array(RATE)), RATE, original), rules);
    expect(short).toMatchObject({ ok: false, problem: 'AudioTooShort' });
    const clipped = screen(audioFacts(burst(2, 0.5), RATE, { ...original, clippingRatio: 0.2 }), rules);
    expect(clipped).toMatchObject({ ok: false, problem: 'AudioClipped' });
    const long = screen(audioFacts(burst(16, 0.5), RATE, original), rules);
    expect(long).toMatchObject({ ok: false, problem: 'AudioTooLong' });
    const padded = screen(audioFacts(concat(new Float32Array(4 * RATE), burst(1.5, 0.5), new Float32Array(4 * RATE)), RATE, original), rules);
    expect(padded).toEqual({ ok: true, flags: ['much-silence'] });
    const noisy = screen(audioFacts(add(concat(burst(3, 0.3), new Float32Array(RATE)), noise(4, 0.05)), RATE, original), rules);
    expect(noisy.ok && noisy.flags).toContain('low-snr');
    expect(screen(audioFacts(burst(3, 0.5), RATE, original), rules)).toEqual({ ok: true, flags: [] });
  });
});
