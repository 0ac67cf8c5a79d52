import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { audioFixtures, type FixtureName } from '../../../test/fixtures/audio-fixtures.js';
import { detectAudioType } from '../decode.js';
import { sampleBudget } from '../limits.js';
import { checkHeader, type HeaderFacts, probeHeader, readHeader } from './index.js';

const fixtures = audioFixtures();
const bytesOf = (name: FixtureName) => new Uint8Array(readFileSync(fixtures.files[name]));
/** What decodeClip passes for a 15 s clip limit: the limit plus a second of headroom. */
const limits = { maxSeconds: 16 };
const read = (bytes: Uint8Array) => readHeader(bytes, detectAudioType(bytes)!);

describe('readHeader on what recorders make', () => {
  // espeak's 22.05 kHz mono, 4.6 s, in every container; Opus decodes at 48 kHz whatever it came from.
  it.each([
    ['sw.wav', { sampleRates: [22050], channels: 1, samples: 101_826 }],
    ['sw.flac', { sampleRates: [22050], channels: 1, samples: 101_826 }],
    ['sw.mp3', { sampleRates: [22050], channels: 1 }],
    ['sw.m4a', { sampleRates: [22050], channels: 1 }],
    ['sw.ogg', { sampleRates: [], channels: 1 }],
    ['sw.webm', { sampleRates: [48000], channels: 1 }],
    ['speech-48k-stereo.wav', { sampleRates: [48000], channels: 2 }],
  ] as const)('%s: states %o, and passes', (name, expected) => {
    const facts = read(bytesOf(name))!;
    expect(facts).toMatchObject(expected);
    if (facts.seconds !== undefined) expect(facts.seconds).toBeGreaterThan(4.5);
    if (facts.seconds !== undefined) expect(facts.seconds).toBeLessThan(4.8);
    expect(checkHeader(facts, limits)).toMatchObject({ ok: true });
  });

  it('has no length for what MediaRecorder writes (WebM with unknown sizes), and passes it on to the decoder', () => {
    expect(read(bytesOf('sw.webm'))!.seconds).toBeUndefined();
  });

  it('refuses 40 s of speech from its header, before decoding', () => {
    expect(probeHeader(bytesOf('speech-40s.wav'), 'wav', limits)).toMatchObject({ ok: false, problem: 'AudioTooLong' });
  });

  it('takes nothing it cannot read the header of', () => {
    expect(readHeader(bytesOf('sw.wav'), 'mod')).toBeNull();
    expect(readHeader(bytesOf('sw.wav'), 'dsf')).toBeNull();
  });
});

describe('readHeader on WAV', () => {
  it('computes the length from the bytes there are, not from what the data chunk claims', () => {
    const facts = readHeader(wav({ dataBytes: 48_000 * 4, dataSize: 0x7fffffff }), 'wav')!;
    expect(facts).toMatchObject({ sampleRates: [48000], channels: 2, seconds: 1, samples: 96_000 });
  });

  it('counts what the decoder will allocate for each block, whatever the channel count', () => {
    // The decoder sizes its output from blockAlign and the channel count, not from each other.
    const facts = readHeader(wav({ channels: 8, blockAlign: 1, dataBytes: 4096 }), 'wav')!;
    expect(facts.samples).toBe(4096 * 8);
    const adpcm = readHeader(wav({ format: 0x11, blockAlign: 1, samplesPerBlock: 65_535, dataBytes: 4096 }), 'wav')!;
    expect(adpcm.samples).toBe(4096 * 65_535 * 2);
    expect(checkHeader(adpcm, limits)).toMatchObject({ ok: false });
  });

  it('refuses a WAV with no format header or no data, which the decoder would wait on forever', () => {
    const noData = wav({}).slice(0, 36);
    expect(checkHeader(readHeader(noData, 'wav')!, limits)).toMatchObject({ ok: false, problem: 'AudioUndecodable' });
    const noFmt = wav({});
    noFmt.set([0x6a, 0x75, 0x6e, 0x6b], 12);
    expect(checkHeader(readHeader(noFmt, 'wav')!, limits)).toMatchObject({ ok: false, problem: 'AudioUndecodable' });
  });
});

describe('readHeader on FLAC', () => {
  it('counts the frames, which the decoder follows over STREAMINFO', () => {
    // STREAMINFO says 2 s of 48 kHz stereo; the frames hold 8 channels of 65 536 samples each.
    const frames = Array.from({ length: 20 }, () => flacFrameHeader({ blockSize: 65_536, channels: 8 }));
    const facts = readHeader(flac({ rate: 48_000, channels: 2, totalSamples: 96_000 }, frames), 'flac')!;
    expect(facts).toMatchObject({ sampleRates: [48000], channels: 2, seconds: 2, samples: 20 * 65_536 * 8 });
    expect(checkHeader(facts, limits)).toMatchObject({ ok: false, problem: 'AudioUndecodable' });
  });

  it('does not count a header whose CRC does not hold', () => {
    const broken = flacFrameHeader({ blockSize: 4096, channels: 2 });
    broken[7]! ^= 0xff; // the CRC-8, after the seven header bytes
    const facts = readHeader(flac({ rate: 48_000, channels: 2, totalSamples: 0 }, [flacFrameHeader({ blockSize: 4096, channels: 2 }), broken]), 'flac')!;
    expect(facts.samples).toBe(4096 * 2);
    expect(facts.seconds).toBeUndefined();
  });

  it('reads the rate of the report’s bomb: 655 kHz, 7.1, 15.9 s', () => {
    const facts = readHeader(flac({ rate: 655_000, channels: 8, totalSamples: 10_414_500 }, []), 'flac')!;
    expect(facts).toMatchObject({ sampleRates: [655_000], channels: 8 });
    expect(checkHeader(facts, limits)).toEqual({
      ok: false,
      problem: 'AudioUndecodable',
      reason: 'The file says its sample rate is 655000 Hz, which no recorder uses; record again.',
    });
  });
});

describe('checkHeader', () => {
  const facts = (more: Partial<HeaderFacts>): HeaderFacts => ({ sampleRates: [48_000], channels: 1, ...more });

  it.each<[string, Partial<HeaderFacts>, string]>([
    ['a rate below 8 kHz', { sampleRates: [7350] }, 'AudioUndecodable'],
    ['a rate above 192 kHz', { sampleRates: [48_000, 655_000] }, 'AudioUndecodable'],
    ['no channels', { channels: 0 }, 'AudioUndecodable'],
    ['nine channels', { channels: 9 }, 'AudioUndecodable'],
    ['a length past the limit', { seconds: 16.5 }, 'AudioTooLong'],
    ['more samples than the limit allows at the highest rate', { samples: sampleBudget(16) + 1 }, 'AudioUndecodable'],
    ['something the reader does not take', { problem: 'The M4A file uses a channel layout we do not read; record again in mono or stereo.' }, 'AudioUndecodable'],
  ])('refuses %s', (_, more, problem) => {
    const verdict = checkHeader(facts(more), limits);
    expect(verdict).toMatchObject({ ok: false, problem });
    // A reason a person can act on, not a parser's message.
    expect(verdict.ok || verdict.reason).toMatch(/record again|read just the sentence/);
  });

  it.each<[string, Partial<HeaderFacts>]>([
    ['8 and 192 kHz', { sampleRates: [8000, 192_000] }],
    ['7.1', { channels: 8 }],
    ['16 s exactly', { seconds: 16 }],
    ['stereo at 192 kHz for 16 s', { sampleRates: [192_000], channels: 2, samples: 16 * 192_000 * 2 }],
    ['nothing stated (an MP3 without a Xing frame)', { sampleRates: [], channels: undefined }],
  ])('passes %s', (_, more) => {
    expect(checkHeader(facts(more), limits)).toMatchObject({ ok: true });
  });
});

describe('readHeader on Ogg', () => {
  it('reads a file of 200 000 tiny pages, as a hostile one might be', () => {
    const pages = new Uint8Array(200_000 * 29);
    for (let page = 0; page < 200_000; page++) {
      const at = page * 29;
      pages.set([0x4f, 0x67, 0x67, 0x53], at); // "OggS", version 0, then granule 0
      pages[at + 26] = 1; // one segment of one byte
      pages[at + 27] = 1;
    }
    const facts = readHeader(pages, 'oga')!;
    expect(facts).toEqual({ sampleRates: [] });
  });
});

describe('readHeader on ADTS AAC', () => {
  it('walks the frames: each states its rate and channels, and holds 1024 samples', () => {
    const facts = readHeader(concat(Array.from({ length: 47 }, () => adtsFrame({ rateIndex: 3, channelConfig: 2 }))), 'aac')!;
    expect(facts).toMatchObject({ sampleRates: [48_000], channels: 2 });
    expect(facts.seconds).toBeCloseTo((47 * 1024) / 48_000, 9);
  });

  it.each([
    ['a reserved rate', { rateIndex: 13, channelConfig: 1 }],
    ['a channel layout defined in-band', { rateIndex: 3, channelConfig: 0 }],
  ])('refuses %s', (_, frame) => {
    expect(probeHeader(concat([adtsFrame(frame), adtsFrame(frame)]), 'aac', limits)).toMatchObject({ ok: false, problem: 'AudioUndecodable' });
  });
});

describe('readHeader on damaged bytes', () => {
  const names = ['sw.wav', 'sw.flac', 'sw.mp3', 'sw.m4a', 'sw.ogg', 'sw.webm', 'tn.webm'] as const;

  it('never throws on a file cut anywhere', () => {
    for (const name of names) {
      const bytes = bytesOf(name);
      const type = detectAudioType(bytes)!;
      for (let length = 0; length < Math.min(bytes.length, 600); length++) readHeader(bytes.subarray(0, length), type);
      for (let length = 600; length < bytes.length; length += 997) readHeader(bytes.subarray(0, length), type);
    }
  });

  it('never throws on bytes changed anywhere in the first kilobyte', () => {
    const files = names.map((name) => bytesOf(name));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: files.length - 1 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (which, edits) => {
          const bytes = files[which]!.slice();
          const type = detectAudioType(bytes)!;
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const facts = readHeader(bytes, type);
          if (facts !== null) checkHeader(facts, limits);
        },
      ),
      { seed: 20_261_201, numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

function wav({ format = 1, channels = 2, rate = 48_000, blockAlign = channels * 2, samplesPerBlock, dataBytes = 4 * 48_000, dataSize = dataBytes }: {
  format?: number;
  channels?: number;
  rate?: number;
  blockAlign?: number;
  samplesPerBlock?: number;
  dataBytes?: number;
  dataSize?: number;
}): Uint8Array {
  const extension = samplesPerBlock === undefined ? 0 : 4;
  const bytes = new Uint8Array(44 + extension + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => bytes.set([...text].map((c) => c.charCodeAt(0)), at);
  ascii(0, 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16 + extension, true);
  view.setUint16(20, format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  if (samplesPerBlock !== undefined) {
    view.setUint16(36, 2, true);
    view.setUint16(38, samplesPerBlock, true);
  }
  ascii(36 + extension, 'data');
  view.setUint32(40 + extension, dataSize, true);
  return bytes;
}

/** "fLaC", a STREAMINFO block, then the given bytes (frames, or nothing). */
function flac(info: { rate: number; channels: number; totalSamples: number }, frames: Uint8Array[]): Uint8Array {
  const streamInfo = new Uint8Array(34);
  streamInfo.set([0x10, 0x00, 0xff, 0xff]); // block sizes 4096..65535
  streamInfo[10] = (info.rate >> 12) & 0xff;
  streamInfo[11] = (info.rate >> 4) & 0xff;
  streamInfo[12] = ((info.rate & 0x0f) << 4) | ((info.channels - 1) << 1); // 16-bit: bits-1 = 15
  streamInfo[13] = (15 << 4) | Math.floor(info.totalSamples / 2 ** 32);
  new DataView(streamInfo.buffer).setUint32(14, info.totalSamples % 2 ** 32);
  const header = new Uint8Array([0x66, 0x4c, 0x61, 0x43, 0x80, 0x00, 0x00, 0x22]);
  return concat([header, streamInfo, ...frames]);
}

/** A FLAC frame header (RFC 9639 §9.1) with its CRC-8, and a few bytes after it. */
function flacFrameHeader({ blockSize, channels }: { blockSize: number; channels: number }): Uint8Array {
  // Block size code 7: 16-bit (size - 1) at the end; rate code 10: 48 kHz; 16-bit samples.
  const header = [0xff, 0xf8, (7 << 4) | 10, ((channels - 1) << 4) | (4 << 1), 0x00, ((blockSize - 1) >> 8) & 0xff, (blockSize - 1) & 0xff];
  let crc = 0;
  for (const byte of header) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return new Uint8Array([...header, crc, 0x00, 0x00, 0x00, 0x00]);
}

/** An ADTS frame of AAC-LC (ISO 14496-3 §1.A.2.2): a 7-byte header and 9 bytes of nothing. */
function adtsFrame({ rateIndex, channelConfig }: { rateIndex: number; channelConfig: number }): Uint8Array {
  const length = 16;
  return new Uint8Array([
    0xff,
    0xf1,
    (1 << 6) | (rateIndex << 2) | (channelConfig >> 2),
    ((channelConfig & 0x03) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 0x07) << 5) | 0x1f,
    0xfc,
    ...new Array(length - 7).fill(0),
  ]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}
