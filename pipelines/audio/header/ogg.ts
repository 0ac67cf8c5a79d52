import { opusPacketSamples } from '../webm-opus.js';
import { flacFrameSamples, readStreamInfo } from './flac.js';
import { ascii, type HeaderFacts, viewOf } from './facts.js';

interface OggPage {
  /** Samples at the end of this page (codec-specific units); null for "no packet ends here". */
  granule: number | null;
  beginsStream: boolean;
  continuesPacket: boolean;
  lacing: Uint8Array;
  body: Uint8Array;
}

const OPUS_RATE = 48_000;
/** opusPacketSamples counts at 16 kHz. */
const OPUS_16K_TO_48K = 3;

/**
 * Ogg with Opus, Vorbis or FLAC. Every stream's first packet states channels and (for Vorbis
 * and FLAC) the rate; the last granule position states the length. Opus packets state their
 * own duration in their first byte, and FLAC frames their own size, so those are counted too:
 * that is what the decoder will produce, whatever the granule positions say.
 */
export function readOgg(bytes: Uint8Array): HeaderFacts {
  const facts: HeaderFacts = { sampleRates: [] };
  let kind: StreamKind | undefined;
  let preSkip = 0;
  let lastGranule = 0;
  const opus = new OpusPacketCounter();
  const flacPayload: Uint8Array[] = [];
  for (const page of oggPages(bytes)) {
    kind ??= streamKind(page.body);
    if (page.beginsStream) {
      const head = readStreamHead(page.body);
      if (head !== null) {
        facts.sampleRates.push(...head.sampleRates);
        facts.channels = Math.max(facts.channels ?? 0, head.channels ?? 0);
        preSkip = Math.max(preSkip, head.preSkip ?? 0);
      }
    }
    lastGranule = Math.max(lastGranule, page.granule ?? 0);
    if (kind === 'opus') opus.add(page);
    else if (kind === 'flac') flacPayload.push(page.body);
  }
  const rate = kind === 'opus' ? OPUS_RATE : facts.sampleRates[0];
  if (rate) facts.seconds = Math.max(0, lastGranule - preSkip) / rate;
  if (kind === 'opus') {
    facts.seconds = Math.max(facts.seconds ?? 0, opus.samples / OPUS_RATE);
    facts.samples = opus.samples * (facts.channels ?? 1);
  } else if (kind === 'flac') {
    // Page boundaries may split a frame header: look for them in the pages' payload joined up.
    facts.samples = flacFrameSamples(concat(flacPayload), 0);
  }
  return facts;
}

type StreamKind = 'opus' | 'vorbis' | 'flac' | 'other';

function streamKind(packet: Uint8Array): StreamKind {
  if (ascii(packet, 0, 8) === 'OpusHead') return 'opus';
  if (ascii(packet, 0, 7) === '\x01vorbis') return 'vorbis';
  if (ascii(packet, 0, 5) === '\x7fFLAC') return 'flac';
  return 'other';
}

/** The identification header that opens a stream. */
function readStreamHead(packet: Uint8Array): (HeaderFacts & { preSkip?: number }) | null {
  const view = viewOf(packet);
  switch (streamKind(packet)) {
    case 'opus':
      // The "input sample rate" here is only what the source was; Opus always decodes at 48 kHz.
      if (packet.length < 19) return null;
      return { sampleRates: [], channels: packet[9]!, preSkip: view.getUint16(10, true) };
    case 'vorbis':
      if (packet.length < 16) return null;
      return { sampleRates: [view.getUint32(12, true)], channels: packet[11]! };
    case 'flac': {
      // 0x7F "FLAC", version, header count, "fLaC", then the STREAMINFO block (Ogg FLAC mapping 1.0).
      const info = readStreamInfo(packet, 17);
      return { sampleRates: info.sampleRates, channels: info.channels };
    }
    default:
      return null;
  }
}

/** What the Opus packets say they decode to, per channel at 48 kHz, page by page. */
class OpusPacketCounter {
  samples = 0;
  /** The first two packets of a stream are OpusHead and OpusTags. */
  private packets = 0;

  add(page: OggPage): void {
    // A packet starts a page unless the page continues one, and after every lacing value below 255.
    let atPacketStart = !page.continuesPacket;
    let offset = 0;
    for (const size of page.lacing) {
      if (atPacketStart && this.packets++ >= 2 && size > 0) {
        this.samples += opusPacketSamples(page.body.subarray(offset, offset + 2)) * OPUS_16K_TO_48K;
      }
      offset += size;
      atPacketStart = size < 255;
    }
  }
}

/**
 * Every whole page, found as the decoder finds them: one after another, and where the next
 * does not follow directly, at the next capture pattern. A page cut short ends the list.
 */
function* oggPages(bytes: Uint8Array): Generator<OggPage> {
  const view = viewOf(bytes);
  for (let position = 0; position + 27 <= bytes.length; ) {
    if (ascii(bytes, position, 4) !== 'OggS') {
      position = nextCapturePattern(bytes, position + 1);
      continue;
    }
    const flags = bytes[position + 5]!;
    const low = view.getUint32(position + 6, true);
    const high = view.getUint32(position + 10, true);
    const segments = bytes[position + 26]!;
    const lacing = bytes.subarray(position + 27, position + 27 + segments);
    const start = position + 27 + segments;
    const end = start + lacing.reduce((sum, size) => sum + size, 0);
    if (lacing.length < segments || end > bytes.length) break;
    // All ones is "no packet ends on this page"; a negative granule is no length at all.
    const granule = high >= 0x80000000 ? null : high * 2 ** 32 + low;
    yield { granule, beginsStream: (flags & 0x02) !== 0, continuesPacket: (flags & 0x01) !== 0, lacing, body: bytes.subarray(start, end) };
    position = end;
  }
}

function nextCapturePattern(bytes: Uint8Array, from: number): number {
  for (let at = bytes.indexOf(0x4f, from); at >= 0; at = bytes.indexOf(0x4f, at + 1)) {
    if (ascii(bytes, at, 4) === 'OggS') return at;
  }
  return bytes.length;
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
