import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import decode from 'audio-decode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { audioFixtures, type FixtureName } from '../../test/fixtures/audio-fixtures.js';
import { demuxWebmOpus, decodeWebmOpus, opusPacketSamples, type DecodedAudio } from './webm-opus.js';

/**
 * Every Opus frame this file decodes, counted: a file refused before decoding decodes none,
 * which a test can check without timing it.
 */
const opus = vi.hoisted(() => ({ framesDecoded: 0 }));
vi.mock('opus-decoder', async (importOriginal) => {
  const real = await importOriginal<typeof import('opus-decoder')>();
  class OpusDecoder<R extends 16000> extends real.OpusDecoder<R> {
    constructor(...args: ConstructorParameters<typeof real.OpusDecoder<R>>) {
      super(...args);
      const decodeFrame = this.decodeFrame;
      this.decodeFrame = (frame) => {
        opus.framesDecoded++;
        return decodeFrame(frame);
      };
    }
  }
  return { ...real, OpusDecoder };
});

const RATE = 16_000;
const fixtures = audioFixtures();
const read = (name: FixtureName) => new Uint8Array(readFileSync(fixtures.files[name]));
const seconds = (audio: DecodedAudio) => audio.channels[0]!.length / audio.sampleRate;
const limits = { maxSeconds: 60 };

async function decodeOrFail(bytes: Uint8Array, options = limits): Promise<DecodedAudio> {
  const audio = await decodeWebmOpus(bytes, options);
  if (audio === null) throw new Error('expected WebM/Opus');
  return audio;
}

/** Files only these tests need, made with ffmpeg and sox from the shared fixtures. */
let work: string;
const made = (name: string) => new Uint8Array(readFileSync(join(work, name)));
const ffmpeg = (...args: string[]) =>
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'pipe' });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'webm-opus-'));
  // ffmpeg's own layout: sized Segment and Clusters, Cues, a BlockGroup with DiscardPadding last.
  ffmpeg('-i', fixtures.files['speech-48k-stereo.wav'], '-c:a', 'libopus', join(work, 'stereo.webm'));
  ffmpeg('-i', fixtures.files['sw.wav'], '-c:a', 'libvorbis', join(work, 'vorbis.webm'));
  // Six channels: Opus channel mapping family 1, several streams per packet.
  ffmpeg('-i', fixtures.files['sw.wav'], '-ac', '6', '-c:a', 'libopus', join(work, 'surround.webm'));
  // Hard CBR: every packet the same size, so they can be laced with fixed-size lacing.
  ffmpeg('-i', fixtures.files['sw.wav'], '-c:a', 'libopus', '-b:a', '32k', '-vbr', 'off', join(work, 'cbr.webm'));
  execFileSync('sox', [fixtures.files['sw.wav'], '-r', `${RATE}`, join(work, 'sw-16k.wav')]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('decodeWebmOpus on browser-like recordings', () => {
  it('decodes a Chrome-like recording (unknown sizes, 60 ms packets) to the true duration at 16 kHz', async () => {
    const wav = await decode(read('sw.wav'));
    const audio = await decodeOrFail(read('sw.webm'));
    expect(audio.sampleRate).toBe(RATE);
    expect(audio.channels).toHaveLength(1);
    expect(Math.abs(seconds(audio) - wav.channelData[0]!.length / wav.sampleRate)).toBeLessThan(0.02);
  });

  it('lines up with the source sample for sample once the pre-skip is cut', async () => {
    const audio = await decodeOrFail(read('sw.webm'));
    const source = (await decode(made('sw-16k.wav'))).channelData[0]!;
    const { lag, correlation } = bestLag(audio.channels[0]!, source, 80);
    expect(Math.abs(lag)).toBeLessThanOrEqual(2);
    expect(correlation).toBeGreaterThan(0.9);
  });

  it('has the same loudness, frame by frame, as the general decoder', async () => {
    const ours = (await decodeOrFail(read('sw.webm'))).channels[0]!;
    const general = await decode(read('sw.webm'));
    const ratio = general.sampleRate / RATE;
    const oursDb = frameLevels(ours, 0.02 * RATE);
    const generalDb = frameLevels(general.channelData[0]!, 0.02 * RATE * ratio);
    const differences = oursDb
      .map((level, i) => ({ level, reference: generalDb[i] }))
      .filter(({ reference }) => reference !== undefined && reference > -45)
      .map(({ level, reference }) => Math.abs(level - reference!))
      .sort((a, b) => a - b);
    expect(differences.length).toBeGreaterThan(100);
    expect(quantile(differences, 0.5)).toBeLessThan(1);
    expect(quantile(differences, 0.95)).toBeLessThan(3);
  });

  it('keeps both channels of a 48 kHz stereo file, with DiscardPadding trimmed', async () => {
    const bytes = made('stereo.webm');
    const stream = demuxWebmOpus(bytes, limits)!;
    expect(stream.packets.at(-1)!.discard).toBeGreaterThan(0);
    const audio = await decodeOrFail(bytes);
    expect(audio.channels).toHaveLength(2);
    expect(audio.channels[1]!.length).toBe(audio.channels[0]!.length);
    expect(Math.abs(seconds(audio) - 4.618)).toBeLessThan(0.02);
    expect(rms(audio.channels[1]!)).toBeGreaterThan(0.01);
  });

  it('decodes a multistream (mapping family 1) six-channel file', async () => {
    const bytes = made('surround.webm');
    expect(demuxWebmOpus(bytes, limits)!.head).toMatchObject({ channels: 6, mappingFamily: 1 });
    const audio = await decodeOrFail(bytes);
    expect(audio.channels).toHaveLength(6);
    expect(Math.abs(seconds(audio) - 4.618)).toBeLessThan(0.02);
  });

  it('decodes the other languages recorded as WebM', async () => {
    for (const name of ['tn.webm', 'speech-5s.webm'] as const) {
      const audio = await decodeOrFail(read(name));
      expect(seconds(audio)).toBeGreaterThan(4);
      expect(rms(audio.channels[0]!)).toBeGreaterThan(0.01);
    }
  });

  it('gives the same samples every time: the cached decoder is reset between files', async () => {
    // Without a pre-skip nothing hides what a decoder kept from the file before: here the end of
    // a recording cut off mid-word.
    const { packets } = demuxWebmOpus(read('sw.webm'), limits)!;
    const noPreSkip = buildWebm(opusHeadBytes({ channels: 1, preSkip: 0 }), packets.map((packet) => [packet.data]));
    const first = await decodeOrFail(noPreSkip);
    await decodeOrFail(read('truncated.webm'));
    const again = await decodeOrFail(noPreSkip);
    expectSameSamples(again, first);
  });

  it('decodes two files at once on one thread without mixing them up', async () => {
    const [a, b] = await Promise.all([decodeOrFail(read('sw.webm')), decodeOrFail(read('speech-5s.webm'))]);
    expectSameSamples(a, await decodeOrFail(read('sw.webm')));
    expectSameSamples(b, await decodeOrFail(read('speech-5s.webm')));
  });
});

describe('decodeWebmOpus on what is not a WebM/Opus recording', () => {
  it.each([
    ['WAV bytes', () => read('sw.wav')],
    ['Ogg/Opus bytes', () => read('sw.ogg')],
    ['random bytes', () => new Uint8Array(randomBytes(4096))],
    ['an empty file', () => read('empty.webm')],
    ['text named .webm', () => read('text-as.webm')],
    ['WebM with a Vorbis track', () => made('vorbis.webm')],
  ])('returns null for %s', async (_, bytes) => {
    expect(await decodeWebmOpus(bytes(), limits)).toBeNull();
  });
});

describe('decodeWebmOpus on damaged and hostile files', () => {
  it('decodes the complete packets of a recording cut off mid-cluster', async () => {
    const whole = await decodeOrFail(read('sw.webm'));
    const cut = await decodeOrFail(read('truncated.webm'));
    expect(seconds(cut)).toBeGreaterThan(1);
    expect(seconds(cut)).toBeLessThan(seconds(whole));
    expectSameSamples(cut, { ...whole, channels: [whole.channels[0]!.subarray(0, cut.channels[0]!.length)] });
  });

  it('does the same when the cut Cluster states its size', async () => {
    const bytes = made('stereo.webm');
    const whole = await decodeOrFail(bytes);
    const cut = await decodeOrFail(bytes.subarray(0, Math.floor(bytes.length * 0.55)));
    const length = cut.channels[0]!.length;
    expect(length / RATE).toBeGreaterThan(1);
    expect(length).toBeLessThan(whole.channels[0]!.length);
    expectSameSamples(cut, { ...whole, channels: whole.channels.map((channel) => channel.subarray(0, length)) });
  });

  it('throws AudioUndecodableError when the file ends before any audio', async () => {
    const headerOnly = read('sw.webm').subarray(0, 400);
    await expect(decodeWebmOpus(headerOnly, limits)).rejects.toMatchObject({ name: 'AudioUndecodableError' });
    const beforeTracks = read('sw.webm').subarray(0, 100);
    await expect(decodeWebmOpus(beforeTracks, limits)).rejects.toMatchObject({ name: 'AudioUndecodableError' });
  });

  it('keeps a packet libopus refuses as silence of its length, so the rest keeps its timing', async () => {
    const { head, packets } = demuxWebmOpus(read('sw.webm'), limits)!;
    const frames = packets.map((packet) => [packet.data]);
    // TOC: 20 ms CELT frames, code 3, VBR with 3 frames, then frame sizes that overrun the packet.
    const broken = new Uint8Array([0xfb, 0x83, 0xff, 0xff, 0x00]);
    expect(opusPacketSamples(broken)).toBe(opusPacketSamples(packets[20]!.data));
    frames[20] = [broken];
    const logged = vi.spyOn(console, 'error');
    try {
      const whole = await decodeOrFail(buildWebm(opusHeadBytes(head), packets.map((packet) => [packet.data])));
      const damaged = await decodeOrFail(buildWebm(opusHeadBytes(head), frames));
      expect(damaged.channels[0]!.length).toBe(whole.channels[0]!.length);
      const start = 20 * opusPacketSamples(broken) - Math.round(head.preSkip / 3);
      expect(rms(damaged.channels[0]!.subarray(start, start + opusPacketSamples(broken)))).toBe(0);
      expect(rms(whole.channels[0]!.subarray(start, start + opusPacketSamples(broken)))).toBeGreaterThan(0);
      const nothingGood = buildWebm(opusHeadBytes(head), [[broken], [broken]]);
      await expect(decodeWebmOpus(nothingGood, limits)).rejects.toMatchObject({ name: 'AudioUndecodableError' });
      // The refusals are handled, not logged: a node's log gets no line per damaged packet.
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });

  it('throws AudioTooLongError past maxSeconds', async () => {
    await expect(decodeWebmOpus(read('speech-5s.webm'), { maxSeconds: 2 })).rejects.toMatchObject({
      name: 'AudioTooLongError',
      code: 'AudioTooLong',
    });
  });

  it('refuses a decompression bomb before decoding it: 2-byte packets that each claim 120 ms', async () => {
    const head = demuxWebmOpus(read('sw.webm'), limits)!.head;
    const bomb = buildWebm(opusHeadBytes(head), Array.from({ length: 100_000 }, () => [new Uint8Array([0xfb, 0x06])]));
    expect(opusPacketSamples(new Uint8Array([0xfb, 0x06]))).toBe(0.12 * RATE);
    const before = opus.framesDecoded;
    await expect(decodeWebmOpus(bomb, { maxSeconds: 30 })).rejects.toMatchObject({ name: 'AudioTooLongError' });
    // Refused from the durations the packets state: not one of them was decoded.
    expect(opus.framesDecoded).toBe(before);
    // (The count does see decoding when there is some.)
    await decodeOrFail(read('sw.webm'));
    expect(opus.framesDecoded).toBeGreaterThan(before);
  });
});

describe('Matroska lacing', () => {
  // Fixed-size lacing needs packets of one size (hard CBR); the others get varied, >255-byte ones.
  it.each(['xiph', 'ebml', 'fixed'] as const)('decodes %s-laced blocks like unlaced ones', async (lacing) => {
    const source = lacing === 'fixed' ? made('cbr.webm') : read('sw.webm');
    const { head, packets } = demuxWebmOpus(source, limits)!;
    const frames = packets.map((packet) => packet.data);
    const sizes = new Set(frames.map((frame) => frame.length));
    if (lacing === 'fixed') expect(sizes.size).toBe(1);
    else expect(Math.max(...sizes)).toBeGreaterThan(255);
    const groups: Uint8Array[][] = [];
    for (let i = 0; i < frames.length; i += 5) groups.push(frames.slice(i, i + 5));
    const plain = buildWebm(opusHeadBytes(head), groups.flat().map((frame) => [frame]));
    const laced = buildWebm(opusHeadBytes(head), groups, lacing);
    const expected = await decodeOrFail(plain);
    const actual = await decodeOrFail(laced);
    expectSameSamples(actual, expected);
  });
});

// ---------------------------------------------------------------------------------------------

/** Bit-for-bit equal channels (much faster than a deep equal over 100k floats). */
function expectSameSamples(actual: DecodedAudio, expected: DecodedAudio): void {
  expect(actual.channels.map((channel) => channel.length)).toEqual(expected.channels.map((channel) => channel.length));
  actual.channels.forEach((channel, c) => {
    const bytes = (samples: Float32Array) => Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    expect(bytes(channel).equals(bytes(expected.channels[c]!))).toBe(true);
  });
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

/** Level in dBFS of each consecutive frame of `size` samples. */
function frameLevels(samples: Float32Array, size: number): number[] {
  const levels: number[] = [];
  for (let start = 0; start + size <= samples.length; start += size) {
    levels.push(20 * Math.log10(rms(samples.subarray(Math.round(start), Math.round(start + size))) + 1e-9));
  }
  return levels;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** The lag (in samples, within ±maxLag) where `b` best matches `a`, and the normalised correlation there. */
function bestLag(a: Float32Array, b: Float32Array, maxLag: number): { lag: number; correlation: number } {
  let best = { lag: 0, correlation: -Infinity };
  const length = Math.min(a.length, b.length) - maxLag;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let product = 0;
    let energyA = 0;
    let energyB = 0;
    for (let i = maxLag; i < length; i++) {
      const x = a[i]!;
      const y = b[i + lag]!;
      product += x * y;
      energyA += x * x;
      energyB += y * y;
    }
    const correlation = product / Math.sqrt(energyA * energyB);
    if (correlation > best.correlation) best = { lag, correlation };
  }
  return best;
}

// A minimal Matroska writer, to make files that ffmpeg never writes (laced blocks, bombs).

function ebmlElement(id: number, payload: Uint8Array): Uint8Array {
  const idBytes: number[] = [];
  for (let rest = id; rest > 0; rest = Math.floor(rest / 256)) idBytes.unshift(rest % 256);
  const size = new Uint8Array(8);
  size[0] = 0x01;
  for (let i = 7, rest = payload.length; i > 0; i--, rest = Math.floor(rest / 256)) size[i] = rest % 256;
  return concat([new Uint8Array(idBytes), size, payload]);
}

function ebmlUint(id: number, value: number): Uint8Array {
  return ebmlElement(id, new Uint8Array([value]));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function opusHeadBytes(head: { channels: number; preSkip: number }): Uint8Array {
  const bytes = new Uint8Array(19);
  bytes.set(new TextEncoder().encode('OpusHead'));
  const view = new DataView(bytes.buffer);
  view.setUint8(8, 1);
  view.setUint8(9, head.channels);
  view.setUint16(10, head.preSkip, true);
  view.setUint32(12, 48_000, true);
  return bytes;
}

/** WebM with one Opus track and one SimpleBlock per group of frames, laced as asked. */
function buildWebm(opusHead: Uint8Array, blocks: Uint8Array[][], lacing?: 'xiph' | 'ebml' | 'fixed'): Uint8Array {
  const header = ebmlElement(0x1a45dfa3, ebmlElement(0x4282, new TextEncoder().encode('webm')));
  const track = ebmlElement(
    0xae,
    concat([
      ebmlUint(0xd7, 1),
      ebmlUint(0x83, 2),
      ebmlElement(0x86, new TextEncoder().encode('A_OPUS')),
      ebmlElement(0x63a2, opusHead),
    ]),
  );
  const simpleBlocks = blocks.map((frames) => ebmlElement(0xa3, blockPayload(frames, lacing)));
  const cluster = ebmlElement(0x1f43b675, concat([ebmlUint(0xe7, 0), ...simpleBlocks]));
  return concat([header, ebmlElement(0x18538067, concat([ebmlElement(0x1654ae6b, track), cluster]))]);
}

function blockPayload(frames: Uint8Array[], lacing?: 'xiph' | 'ebml' | 'fixed'): Uint8Array {
  const trackAndTime = [0x81, 0x00, 0x00];
  if (lacing === undefined || frames.length === 1) return concat([new Uint8Array([...trackAndTime, 0x80]), ...frames]);
  const sizes: number[] = [];
  const flag = { xiph: 0x02, fixed: 0x04, ebml: 0x06 }[lacing];
  if (lacing === 'xiph') {
    for (const frame of frames.slice(0, -1)) {
      let rest = frame.length;
      for (; rest >= 255; rest -= 255) sizes.push(255);
      sizes.push(rest);
    }
  } else if (lacing === 'ebml') {
    // First size as a 2-byte vint, then signed differences as 2-byte vints (bias 8191).
    const lengths = frames.map((frame) => frame.length);
    const vint2 = (value: number) => [0x40 | (value >> 8), value & 0xff];
    sizes.push(...vint2(lengths[0]!));
    for (let i = 1; i < lengths.length - 1; i++) sizes.push(...vint2(lengths[i]! - lengths[i - 1]! + 8191));
  }
  return concat([new Uint8Array([...trackAndTime, 0x80 | flag, frames.length - 1, ...sizes]), ...frames]);
}
