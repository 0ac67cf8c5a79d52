import { OpusDecoder } from 'opus-decoder';
import { TributaryError } from '../errors.js';
import { MAX_CHANNELS } from './limits.js';

/**
 * A fast path for what browsers record: `audio/webm;codecs=opus` from MediaRecorder.
 *
 * The general decoder (`audio-decode`) sets up an Opus and a Vorbis WASM decoder for every file,
 * which costs more than decoding a short clip. Here a small Matroska/WebM demuxer pulls the Opus
 * packets out of the first Opus audio track and hands them to one reusable libopus decoder per
 * channel layout, running at 16 kHz so that no resampling is needed afterwards.
 */

export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
}

export interface DecodeWebmOpusOptions {
  /** Refuse (with `AudioTooLongError`) anything longer; output is never allocated past this. */
  maxSeconds: number;
}

/** Decoded audio would be longer than the caller allows. */
export class AudioTooLongError extends TributaryError {
  static readonly code = 'AudioTooLong';
  constructor(readonly maxSeconds: number) {
    super('AudioTooLong', `The audio is longer than ${maxSeconds} s.`);
  }
}

/** A WebM/Opus file with nothing decodable in it. */
export class AudioUndecodableError extends TributaryError {
  static readonly code = 'AudioUndecodable';
  constructor(message: string) {
    super('AudioUndecodable', message);
  }
}

export const WEBM_OPUS_SAMPLE_RATE = 16_000;

/**
 * Decodes WebM/Matroska with an Opus audio track to 16 kHz float channels, with pre-skip and
 * end padding trimmed. Returns null when the bytes are not WebM/Matroska or have no Opus track,
 * so the caller can fall back to a general decoder. A recording cut off mid-cluster decodes the
 * complete packets it has; a WebM/Opus file that has none throws `AudioUndecodableError`.
 */
export async function decodeWebmOpus(
  bytes: Uint8Array,
  options: DecodeWebmOpusOptions,
): Promise<DecodedAudio | null> {
  const stream = demuxWebmOpus(bytes, options);
  if (stream === null) return null;
  // With the unknown sizes MediaRecorder writes, a file cut before its first block cannot be told
  // from one that never had any: either way there is nothing to hear.
  if (stream.packets.length === 0) throw new AudioUndecodableError('The WebM/Opus file has no audio packets.');

  const preSkip = preSkipSamples(stream.head);
  const length = Math.max(0, stream.samples - preSkip);
  const lease = await leaseDecoder(stream.head);
  try {
    return { channels: decodePackets(lease.decoder, stream, preSkip, length), sampleRate: WEBM_OPUS_SAMPLE_RATE };
  } finally {
    lease.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Opus packet durations are counted at 48 kHz; we decode at 16 kHz. */
const RATE_DIVISOR = 48_000 / WEBM_OPUS_SAMPLE_RATE;
const preSkipSamples = (head: OpusHead) => Math.round(head.preSkip / RATE_DIVISOR);
/** opus-decoder's input buffer is 32 kB/s × 120 ms per channel; a larger packet would overflow it. */
const maxPacketBytes = (channels: number) => 32_000 * 0.12 * channels;

function decodePackets(
  decoder: OpusDecoder<16000>,
  stream: WebmOpusStream,
  preSkip: number,
  length: number,
): Float32Array[] {
  const { head, packets } = stream;
  const channels = Array.from({ length: head.channels }, () => new Float32Array(length));
  const tooLarge = maxPacketBytes(head.channels);
  // `position` counts samples as decoded, before the pre-skip is cut from the front.
  let position = 0;
  let decodedAny = false;

  for (const packet of packets) {
    const keep = packet.samples - packet.discard;
    // A packet libopus refuses (or that would overflow its input buffer) stays silent here,
    // so the rest of the recording keeps its timing.
    if (keep > 0 && packet.data.length <= tooLarge) {
      const decoded = withoutConsoleErrors(() => decoder.decodeFrame(packet.data));
      if (decoded.samplesDecoded > 0) {
        decodedAny = true;
        copySpan(decoded.channelData, Math.min(keep, decoded.samplesDecoded), channels, position - preSkip);
      }
    }
    position += keep;
  }

  if (!decodedAny) throw new AudioUndecodableError('No Opus packet in the WebM file could be decoded.');
  if (head.outputGain !== 0) {
    const gain = 10 ** (head.outputGain / (20 * 256));
    for (const channel of channels) for (let i = 0; i < channel.length; i++) channel[i]! *= gain;
  }
  return channels;
}

/**
 * opus-decoder writes every packet libopus refuses to console.error. A refusal is handled right
 * here (the packet stays silent), so on a node the message would only flood the log, one line
 * per damaged packet of every upload.
 */
function withoutConsoleErrors<T>(work: () => T): T {
  const original = console.error;
  console.error = () => {};
  try {
    return work();
  } finally {
    console.error = original;
  }
}

/** Copies the first `count` samples of `source` into `target` at `to`, clipped to the target. */
function copySpan(source: Float32Array[], count: number, target: Float32Array[], to: number): void {
  target.forEach((output, c) => {
    const input = source[c];
    const skip = Math.max(0, -to);
    const end = Math.min(count, output.length - to);
    if (input !== undefined && end > skip) output.set(input.subarray(skip, end), to + skip);
  });
}

// ---------------------------------------------------------------------------------------------
// Decoder cache. The first decoder in a thread compiles libopus (~20 ms); a reset instantiates it
// again with fresh memory (~3 ms; without one, the end of the last file leaks into the start of
// the next and the output is no longer deterministic). This runs in worker threads that decode
// one file at a time, so one decoder per channel layout is kept per thread.

interface CachedDecoder {
  decoder: OpusDecoder<16000>;
  /** Settles when the decoder is ready again: first instantiation, then each reset after use. */
  ready: Promise<void>;
  busy: boolean;
}

interface DecoderLease {
  decoder: OpusDecoder<16000>;
  release(): void;
}

const MAX_CACHED_DECODERS = 4;
const decoderCache = new Map<string, CachedDecoder>();

async function leaseDecoder(head: OpusHead): Promise<DecoderLease> {
  const key = `${head.channels}/${head.streamCount}/${head.coupledStreamCount}/${head.channelMapping.join(',')}`;
  let entry = decoderCache.get(key);
  if (entry?.busy) {
    // Two files at once on one thread: the second gets a decoder of its own for this call.
    const decoder = createDecoder(head);
    await decoder.ready;
    return { decoder, release: () => decoder.free() };
  }
  if (entry === undefined) {
    evictIdleDecoder();
    const decoder = createDecoder(head);
    entry = { decoder, ready: decoder.ready, busy: false };
    decoderCache.set(key, entry);
  }

  const leased = entry;
  leased.busy = true;
  try {
    await leased.ready;
  } catch (error) {
    decoderCache.delete(key);
    throw error;
  }
  return {
    decoder: leased.decoder,
    release() {
      // Reset straight away, so that the next file need not wait for it.
      leased.ready = leased.decoder.reset();
      leased.ready.catch(() => decoderCache.delete(key));
      leased.busy = false;
    },
  };
}

function createDecoder(head: OpusHead): OpusDecoder<16000> {
  return new OpusDecoder({
    sampleRate: WEBM_OPUS_SAMPLE_RATE,
    channels: head.channels,
    streamCount: head.streamCount,
    coupledStreamCount: head.coupledStreamCount,
    channelMappingTable: head.channelMapping,
    // Trimmed here instead, together with the end padding, so the output length is exact.
    preSkip: 0,
  });
}

function evictIdleDecoder(): void {
  if (decoderCache.size < MAX_CACHED_DECODERS) return;
  for (const [key, entry] of decoderCache) {
    if (entry.busy) continue;
    decoderCache.delete(key);
    entry.ready.then(() => entry.decoder.free()).catch(() => {});
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// Demuxing: just enough Matroska to find an Opus track and its packets.

/** The OpusHead from CodecPrivate (RFC 7845 §5.1), with the family-0 defaults filled in. */
export interface OpusHead {
  channels: number;
  /** Samples at 48 kHz to drop from the start. */
  preSkip: number;
  /** Q7.8 dB. */
  outputGain: number;
  mappingFamily: number;
  streamCount: number;
  coupledStreamCount: number;
  channelMapping: number[];
}

export interface OpusPacket {
  data: Uint8Array;
  /** Samples this packet decodes to at 16 kHz, read from its TOC byte. */
  samples: number;
  /** Samples at 16 kHz to drop from its end (the block's DiscardPadding). */
  discard: number;
}

export interface WebmOpusStream {
  head: OpusHead;
  packets: OpusPacket[];
  /** What the packets decode to at 16 kHz, less end padding, before the pre-skip is cut. */
  samples: number;
}

export const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Info: 0x1549a966,
  Tracks: 0x1654ae6b,
  Cluster: 0x1f43b675,
  Cues: 0x1c53bb6b,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  Audio: 0xe1,
  AudioChannels: 0x9f,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  DiscardPadding: 0x75a2,
} as const;

/** Elements that may follow a Cluster inside a Segment: they end a Cluster of unknown size. */
const SEGMENT_CHILDREN = new Set<number>([
  ID.SeekHead,
  ID.Info,
  ID.Tracks,
  ID.Cluster,
  ID.Cues,
  ID.Tags,
  ID.Chapters,
  ID.Attachments,
  ID.EBML,
  ID.Segment,
]);

const TRACK_TYPE_AUDIO = 2;

export interface ElementHeader {
  id: number;
  /** Where the element's data starts. */
  start: number;
  /** Where its data ends; null when the size is "unknown" (live streams, MediaRecorder). */
  end: number | null;
}

/** Reading stopped: the bytes end inside an element (`truncated`) or make no sense (`corrupt`). */
export class StopReading extends Error {
  constructor(readonly reason: 'truncated' | 'corrupt') {
    super(reason);
  }
}

/**
 * Finds the first Opus audio track and collects its packets in order, without copying them.
 * Null when the bytes are not Matroska/WebM or there is no Opus audio track. Throws
 * AudioTooLongError as soon as the packets add up to more than `maxSeconds`.
 */
export function demuxWebmOpus(bytes: Uint8Array, { maxSeconds }: DecodeWebmOpusOptions): WebmOpusStream | null {
  const reader = new EbmlReader(bytes);
  if (!isMatroska(reader)) return null;

  let sawTracks = false;
  let sink: PacketSink | null = null;
  try {
    const segment = reader.findTopLevel(ID.Segment);
    const segmentEnd = segment.end ?? bytes.length;
    let position = segment.start;
    while (position < Math.min(segmentEnd, bytes.length)) {
      const element = reader.header(position);
      if (element.id === ID.Tracks) {
        const track = findOpusTrack(reader, element);
        sawTracks = true;
        if (track === null) return null;
        sink = new PacketSink(track.number, track.head, maxSeconds);
        position = reader.requireEnd(element);
      } else if (element.id === ID.Cluster) {
        position = sink === null ? reader.skipCluster(element) : readCluster(reader, element, sink);
      } else {
        position = reader.requireEnd(element);
      }
    }
  } catch (error) {
    if (!(error instanceof StopReading)) throw error;
    if (!sawTracks) throw new AudioUndecodableError(`The WebM file is ${error.reason} before its track list.`);
    // Cut off mid-element: what was complete before that point is kept.
    return sink?.stream() ?? null;
  }

  if (!sawTracks) throw new AudioUndecodableError('The WebM file has no track list.');
  return sink?.stream() ?? null;
}

/** Collects the chosen track's packets and stops the demuxer once they run past maxSeconds. */
class PacketSink {
  private readonly packets: OpusPacket[] = [];
  private samples = 0;
  constructor(
    readonly trackNumber: number,
    private readonly head: OpusHead,
    private readonly maxSeconds: number,
  ) {}

  collect(packet: OpusPacket): void {
    this.packets.push(packet);
    this.samples += packet.samples - packet.discard;
    const seconds = (this.samples - preSkipSamples(this.head)) / WEBM_OPUS_SAMPLE_RATE;
    if (seconds > this.maxSeconds) throw new AudioTooLongError(this.maxSeconds);
  }

  stream(): WebmOpusStream {
    return { head: this.head, packets: this.packets, samples: this.samples };
  }
}

export function isMatroska(reader: EbmlReader): boolean {
  try {
    const header = reader.header(0);
    if (header.id !== ID.EBML || header.end === null) return false;
    for (const child of reader.children(header)) {
      if (child.id === ID.DocType) {
        const docType = reader.string(child);
        return docType === 'webm' || docType === 'matroska';
      }
    }
    return false;
  } catch (error) {
    if (error instanceof StopReading) return false;
    throw error;
  }
}

function findOpusTrack(reader: EbmlReader, tracks: ElementHeader): { number: number; head: OpusHead } | null {
  reader.requireEnd(tracks);
  for (const entry of reader.children(tracks)) {
    if (entry.id !== ID.TrackEntry) continue;
    let number = 0;
    let type = 0;
    let codec = '';
    let codecPrivate: Uint8Array | null = null;
    let codecDelayNs = 0;
    let audioChannels = 1;
    for (const field of reader.children(entry)) {
      if (field.id === ID.TrackNumber) number = reader.uint(field);
      else if (field.id === ID.TrackType) type = reader.uint(field);
      else if (field.id === ID.CodecID) codec = reader.string(field);
      else if (field.id === ID.CodecPrivate) codecPrivate = reader.data(field);
      else if (field.id === ID.CodecDelay) codecDelayNs = reader.uint(field);
      else if (field.id === ID.Audio) {
        for (const setting of reader.children(field)) {
          if (setting.id === ID.AudioChannels) audioChannels = reader.uint(setting);
        }
      }
    }
    const isAudio = type === TRACK_TYPE_AUDIO || (type === 0 && codec.startsWith('A_'));
    if (!isAudio || codec !== 'A_OPUS' || number === 0) continue;
    const head =
      codecPrivate === null
        ? defaultOpusHead(audioChannels, Math.round((codecDelayNs * 48_000) / 1e9))
        : parseOpusHead(codecPrivate);
    return { number, head };
  }
  return null;
}

/** Without a CodecPrivate, Matroska's CodecDelay and Channels describe a family-0 stream. */
function defaultOpusHead(channels: number, preSkip: number): OpusHead {
  if (channels < 1 || channels > 2) throw new AudioUndecodableError('An Opus track without an OpusHead must be mono or stereo.');
  return familyZero(channels, preSkip, 0);
}

function familyZero(channels: number, preSkip: number, outputGain: number): OpusHead {
  return {
    channels,
    preSkip,
    outputGain,
    mappingFamily: 0,
    streamCount: 1,
    coupledStreamCount: channels - 1,
    channelMapping: channels === 2 ? [0, 1] : [0],
  };
}

function parseOpusHead(bytes: Uint8Array): OpusHead {
  const corrupt = (why: string) => new AudioUndecodableError(`The Opus track's OpusHead is invalid: ${why}.`);
  if (bytes.length < 19 || new TextDecoder().decode(bytes.subarray(0, 8)) !== 'OpusHead') {
    throw corrupt('no OpusHead signature');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const channels = view.getUint8(9);
  const preSkip = view.getUint16(10, true);
  const outputGain = view.getInt16(16, true);
  const mappingFamily = view.getUint8(18);
  if (channels === 0) throw corrupt('zero channels');
  // Each channel costs a decoder state and an output buffer; a header may ask for 255.
  if (channels > MAX_CHANNELS) throw corrupt(`${channels} channels, more than the ${MAX_CHANNELS} we accept`);
  if (mappingFamily === 0) {
    if (channels > 2) throw corrupt('mapping family 0 with more than two channels');
    return familyZero(channels, preSkip, outputGain);
  }
  if (bytes.length < 21 + channels) throw corrupt('channel mapping table cut short');
  const streamCount = view.getUint8(19);
  const coupledStreamCount = view.getUint8(20);
  const channelMapping = Array.from(bytes.subarray(21, 21 + channels));
  if (streamCount === 0 || coupledStreamCount > streamCount) throw corrupt('bad stream counts');
  return { channels, preSkip, outputGain, mappingFamily, streamCount, coupledStreamCount, channelMapping };
}

/** Reads one Cluster's blocks for our track; returns where the Cluster ends. */
function readCluster(reader: EbmlReader, cluster: ElementHeader, sink: PacketSink): number {
  const limit = cluster.end ?? reader.length;
  let position = cluster.start;
  while (position < Math.min(limit, reader.length)) {
    const element = reader.header(position);
    // A Cluster of unknown size ends where the next Segment-level element begins.
    if (cluster.end === null && SEGMENT_CHILDREN.has(element.id)) return position;
    if (element.id === ID.SimpleBlock) {
      readBlock(reader, element, 0, sink);
    } else if (element.id === ID.BlockGroup) {
      readBlockGroup(reader, element, sink);
    }
    position = reader.requireEnd(element);
  }
  return position;
}

function readBlockGroup(reader: EbmlReader, group: ElementHeader, sink: PacketSink): void {
  reader.requireEnd(group);
  let block: ElementHeader | null = null;
  let discardPaddingNs = 0;
  for (const child of reader.children(group)) {
    if (child.id === ID.Block) block = child;
    else if (child.id === ID.DiscardPadding) discardPaddingNs = reader.int(child);
  }
  // A negative DiscardPadding would mean padding at the front; encoders use pre-skip for that.
  const discard = Math.max(0, Math.round((discardPaddingNs * WEBM_OPUS_SAMPLE_RATE) / 1e9));
  if (block !== null) readBlock(reader, block, discard, sink);
}

/** Splits a (Simple)Block into its frames, honouring Xiph, EBML and fixed-size lacing. */
function readBlock(reader: EbmlReader, block: ElementHeader, discard: number, sink: PacketSink): void {
  const data = reader.data(block);
  const track = readVint(data, 0);
  if (track === null) throw new StopReading('corrupt');
  if (track.value !== sink.trackNumber) return;
  // After the track number: a 16-bit relative timestamp, then the flags byte.
  const flags = data[track.length + 2];
  if (flags === undefined) throw new StopReading('corrupt');
  const frames = splitLaces(data, track.length + 3, (flags >> 1) & 0x03);
  frames.forEach((frame, index) => {
    const samples = opusPacketSamples(frame);
    const isLast = index === frames.length - 1;
    sink.collect({ data: frame, samples, discard: isLast ? Math.min(discard, samples) : 0 });
  });
}

const LACING_NONE = 0;
const LACING_XIPH = 1;
const LACING_FIXED = 2;

function splitLaces(data: Uint8Array, start: number, lacing: number): Uint8Array[] {
  if (lacing === LACING_NONE) return [data.subarray(start)];
  const countByte = data[start];
  if (countByte === undefined) throw new StopReading('corrupt');
  const count = countByte + 1;
  let position = start + 1;
  const sizes: number[] = [];

  if (lacing === LACING_XIPH) {
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      let byte: number | undefined;
      do {
        byte = data[position++];
        if (byte === undefined) throw new StopReading('corrupt');
        size += byte;
      } while (byte === 255);
      sizes.push(size);
    }
  } else if (lacing === LACING_FIXED) {
    const each = (data.length - position) / count;
    if (!Number.isInteger(each)) throw new StopReading('corrupt');
    for (let i = 0; i < count - 1; i++) sizes.push(each);
  } else {
    // EBML lacing: the first size as a vint, then signed differences from the previous size.
    const first = readVint(data, position);
    if (first === null || first.value === null) throw new StopReading('corrupt');
    sizes.push(first.value);
    position += first.length;
    for (let i = 1; i < count - 1; i++) {
      const delta = readVint(data, position);
      if (delta === null || delta.value === null) throw new StopReading('corrupt');
      const bias = 2 ** (7 * delta.length - 1) - 1;
      sizes.push(sizes[i - 1]! + delta.value - bias);
      position += delta.length;
    }
  }

  const frames: Uint8Array[] = [];
  for (const size of sizes) {
    if (size < 0 || position + size > data.length) throw new StopReading('corrupt');
    frames.push(data.subarray(position, position + size));
    position += size;
  }
  frames.push(data.subarray(position));
  return frames;
}

/** Frame durations at 16 kHz by TOC config (RFC 6716 §3.1): SILK, hybrid, then CELT. */
const FRAME_SAMPLES = [
  ...[0, 1, 2].flatMap(() => [160, 320, 640, 960]),
  160, 320, 160, 320,
  ...[0, 1, 2, 3].flatMap(() => [40, 80, 160, 320]),
];

/**
 * How many 16 kHz samples an Opus packet decodes to, from its TOC byte (RFC 6716 §3.1). For a
 * multistream packet the first stream's TOC tells the duration of all of them.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const frameSamples = FRAME_SAMPLES[toc >> 3]!;
  const code = toc & 0x03;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 1 || code === 2) frames = 2;
  else frames = (packet[1] ?? 0) & 0x3f;
  // A packet may hold at most 120 ms; anything claiming more is invalid and decodes to nothing.
  const samples = frameSamples * frames;
  return samples > 1920 ? 0 : samples;
}

/** Variable-length integer with its length marker removed; `value` null for all-ones ("unknown"). */
function readVint(bytes: Uint8Array, position: number): { value: number | null; length: number } | null {
  const first = bytes[position];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23;
  if (position + length > bytes.length) return null;
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = bytes[position + i]!;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value: allOnes ? null : value, length };
}

export class EbmlReader {
  readonly length: number;
  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
  }

  header(position: number): ElementHeader {
    const first = this.bytes[position];
    if (first === undefined) throw new StopReading('truncated');
    const idLength = Math.clz32(first) - 23;
    if (first === 0 || idLength > 4) throw new StopReading('corrupt');
    if (position + idLength > this.length) throw new StopReading('truncated');
    let id = 0;
    for (let i = 0; i < idLength; i++) id = id * 256 + this.bytes[position + i]!;
    const size = readVint(this.bytes, position + idLength);
    if (size === null) {
      if (this.bytes[position + idLength] === 0) throw new StopReading('corrupt');
      throw new StopReading('truncated');
    }
    const start = position + idLength + size.length;
    return { id, start, end: size.value === null ? null : start + size.value };
  }

  /** The end of an element that must be whole: throws when it runs past the bytes we have. */
  requireEnd(element: ElementHeader): number {
    if (element.end === null) throw new StopReading('corrupt');
    if (element.end > this.length) throw new StopReading('truncated');
    return element.end;
  }

  *children(parent: ElementHeader): Generator<ElementHeader> {
    const end = this.requireEnd(parent);
    let position = parent.start;
    while (position < end) {
      const child = this.header(position);
      if (child.end === null || child.end > end) throw new StopReading('corrupt');
      yield child;
      position = child.end;
    }
  }

  /** The first top-level element with this id, skipping others (e.g. the EBML header). */
  findTopLevel(id: number): ElementHeader {
    let position = 0;
    for (;;) {
      const element = this.header(position);
      if (element.id === id) return element;
      position = this.requireEnd(element);
    }
  }

  /** Skips a Cluster read before any track list: only its end is needed. */
  skipCluster(cluster: ElementHeader): number {
    if (cluster.end !== null) return this.requireEnd(cluster);
    let position = cluster.start;
    for (;;) {
      const element = this.header(position);
      if (SEGMENT_CHILDREN.has(element.id)) return position;
      position = this.requireEnd(element);
    }
  }

  data(element: ElementHeader): Uint8Array {
    return this.bytes.subarray(element.start, this.requireEnd(element));
  }

  uint(element: ElementHeader): number {
    const data = this.data(element);
    if (data.length > 8) throw new StopReading('corrupt');
    let value = 0;
    for (const byte of data) value = value * 256 + byte;
    return value;
  }

  int(element: ElementHeader): number {
    const data = this.data(element);
    if (data.length === 0) return 0;
    const unsigned = this.uint(element);
    return data[0]! & 0x80 ? unsigned - 2 ** (8 * data.length) : unsigned;
  }

  float(element: ElementHeader): number {
    const data = this.data(element);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length === 4) return view.getFloat32(0);
    if (data.length === 8) return view.getFloat64(0);
    if (data.length === 0) return 0;
    throw new StopReading('corrupt');
  }

  string(element: ElementHeader): string {
    return new TextDecoder().decode(this.data(element)).replace(/\0+$/, '');
  }
}
