/**
 * One Parquet shard, written a row group at a time with hyparquet-writer.
 *
 * Why hyparquet-writer rather than @dsnp/parquetjs, measured with test/bench/parquet-writers.ts:
 * 300 MiB of distinct 5 s 16 kHz WAV clips (1,966 rows), the speech schema, 100-row row groups,
 * each variant in its own process, Node 20 on the 2-core/24 GiB project machine, two runs.
 * MB/s counts audio bytes per second including making the records (0.6 s of it, see input-only);
 * peak RSS includes ~97 MiB of Node + tsx before the first row.
 *
 *   variant                                    audio MB/s    peak RSS
 *   input-only (records made, nothing written)    509-519    156-162 MiB
 *   writeShards (this file, hyparquet-writer)     134-147    198-217 MiB
 *   hyparquet-writer 0.17, audio uncompressed     147-155    210-220 MiB
 *   hyparquet-writer 0.17, audio Snappy           142-148    199-206 MiB
 *   @dsnp/parquetjs 1.7, audio uncompressed        34-38     323-328 MiB
 *   @dsnp/parquetjs 1.7, audio Snappy               40        311-313 MiB
 *
 * Both hold about one row group, but hyparquet-writer is ~4x faster and peaks ~110 MiB lower;
 * its files (Parquet 2 data pages, 16-byte truncated statistics, offset indexes) read in
 * pyarrow 25, DuckDB 1.5 and `datasets` 5. parquetjs also writes full, untruncated min/max
 * statistics for every string column.
 *
 * Audio is UNCOMPRESSED: on espeak-ng speech, Snappy saves ~10% where pauses are digital
 * silence and ~5% once a noise floor like a microphone's is mixed in (0% on the bench's
 * synthetic clips), and hyparquet-writer's JS Snappy compresses such noisy PCM at only ~40 MB/s,
 * so it would become the bottleneck of a release for a few percent. Uncompressed audio also
 * makes a shard's size known before it is written. Text columns use Snappy (built in); zstd would
 * need Node 22's zlib, and the same records must give the same bytes on every node.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { leafColumnCount, shardMetadata, SPEECH_SCHEMA, speechColumns, TEXT_SCHEMA, textColumns } from './parquet-schema.js';
import { isSpeechRow } from './rows.js';
import { ShardFileSink } from './shard-file-sink.js';
import type { Modality, ShardRow, ShardWriter, Split, SpeechRow, TextRow } from './types.js';

export const DEFAULT_ROW_GROUP_SIZE: Record<Modality, number> = { speech: 100, text: 10_000 };

const CREATED_BY = 'tributary release shards (hyparquet-writer 0.17)';

/**
 * hyparquet-writer encodes into a Writer and calls `flush` after each row group; this one hands
 * the row group to the shard file and lets the next be encoded while it is written, so at most
 * two encoded row groups are ever held (see flush).
 */
class SinkWriter extends ByteWriter {
  /** Encoded bytes waiting for `flush`, in order: copies of the small-write buffer, and pages. */
  private pending: Uint8Array[] = [];

  constructor(private readonly sink: ShardFileSink) {
    super(1 << 16);
  }

  /**
   * Pages (hyparquet-writer encodes each into a buffer of its own and drops it) are queued by
   * reference instead of being copied into this writer's buffer: a 16 MiB row group of audio
   * would otherwise be held twice, and the buffer regrown by doubling for every shard. This
   * lowered peak RSS growth on 200 MiB of speech from ~110 to ~95 MiB. It relies on
   * hyparquet-writer not reusing a buffer after appending it, which the round-trip tests check.
   */
  override appendBytes(value: Uint8Array): void {
    if (value.byteLength < LARGE_WRITE) {
      super.appendBytes(value);
      return;
    }
    this.spill();
    this.pending.push(value);
    this.offset += value.byteLength;
  }

  /** The previous row group's writes, still on their way to disk. */
  private inFlight: Promise<void> = Promise.resolve();

  /**
   * Hands the row group to the file (which keeps call order) and returns once the previous one
   * is on disk: one row group is written while the next is read and encoded, so the disk and
   * the CPU work at the same time, and at most two row groups are held.
   */
  async flush(): Promise<void> {
    this.spill();
    const chunks = this.pending;
    this.pending = [];
    const previous = this.inFlight;
    this.inFlight = Promise.all(chunks.map((chunk) => this.sink.write(chunk))).then(() => undefined);
    this.inFlight.catch(() => undefined); // reported by the await below or in finish()
    await previous;
  }

  override async finish(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  private spill(): void {
    if (this.index === 0) return;
    this.pending.push(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }
}

/** Writes at least this large are pages, queued by reference. */
const LARGE_WRITE = 64 * 1024;

export interface ParquetShardOptions {
  split: Split;
  modality: Modality;
  rowGroupSize: number;
}

export class ParquetShardWriter implements ShardWriter {
  private readonly writer: ParquetWriter;
  private group: ShardRow[] = [];
  private groupBytes = 0;
  private rowGroups = 0;
  private rawBytes = 0;
  private readonly leafColumns: number;

  private constructor(
    private readonly sink: ShardFileSink,
    private readonly options: ParquetShardOptions,
  ) {
    this.leafColumns = leafColumnCount(options.modality);
    this.writer = new ParquetWriter({
      writer: new SinkWriter(sink),
      schema: options.modality === 'speech' ? SPEECH_SCHEMA : TEXT_SCHEMA,
      codec: 'SNAPPY',
      kvMetadata: shardMetadata(options),
      createdBy: CREATED_BY,
    });
  }

  static async create(path: string, options: ParquetShardOptions): Promise<ParquetShardWriter> {
    return new ParquetShardWriter(await ShardFileSink.create(path), options);
  }

  get bytesWritten(): number {
    return this.sink.bytes;
  }

  /**
   * Written bytes, plus the pending row group and `row` at their plain size (an upper bound:
   * Snappy and dictionaries only shrink text), plus a generous allowance for page headers, the
   * offset index and the footer.
   */
  sizeWith(row: ShardRow): number {
    const rawBytes = this.rawBytes + this.groupBytes + rowBytes(row);
    const rowGroups = this.rowGroups + 1;
    const footer = 4096 + rowGroups * this.leafColumns * 256;
    const pages = Math.ceil(rawBytes / (1 << 20)) * this.leafColumns * 64;
    return this.sink.bytes + 4 + this.groupBytes + rowBytes(row) + footer + pages;
  }

  async append(row: ShardRow): Promise<void> {
    this.group.push(row);
    this.groupBytes += rowBytes(row);
    if (this.group.length >= this.options.rowGroupSize) await this.flushGroup();
  }

  async close(): Promise<{ sha256: string; bytes: number }> {
    await this.flushGroup();
    await this.writer.finish();
    return this.sink.close();
  }

  discard(): Promise<void> {
    this.group = [];
    return this.sink.discard();
  }

  private async flushGroup(): Promise<void> {
    if (this.group.length === 0) return;
    const rows = this.group;
    this.group = [];
    this.rawBytes += this.groupBytes;
    this.groupBytes = 0;
    this.rowGroups++;
    const columnData = isSpeechRow(rows[0]!) ? speechColumns(rows as SpeechRow[]) : textColumns(rows as TextRow[]);
    await this.writer.write({ columnData, rowGroupSize: rows.length });
  }
}

/** A row's plain-encoded size: values plus 4-byte length prefixes and a level byte each. */
function rowBytes(row: ShardRow): number {
  let bytes = 0;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') bytes += Buffer.byteLength(value) + 5;
    else if (value instanceof Uint8Array) bytes += value.byteLength + 5;
    else bytes += 9;
  }
  // The audio struct's path, `<key>.wav`.
  return isSpeechRow(row) ? bytes + row.key.length + 9 : bytes;
}
