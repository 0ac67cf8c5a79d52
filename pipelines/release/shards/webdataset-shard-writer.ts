import tar from 'tar-stream';
import { attributesJson, isSpeechRow } from './rows.js';
import { ShardFileSink } from './shard-file-sink.js';
import type { ShardRow, ShardWriter } from './types.js';

/**
 * Every member gets this mtime, owner root and mode 0644, so the same records always give the
 * same bytes (and sha256). Not the epoch: GNU tar warns about "implausibly old" time stamps.
 */
const MEMBER_MTIME = new Date('2000-01-01T00:00:00Z');

const BLOCK = 512;
/** tar-stream ends an archive with two zero blocks and no further padding. */
const END_OF_ARCHIVE = 2 * BLOCK;

/** A ustar member: one header block, then the body padded to whole blocks. */
const memberBytes = (size: number) => BLOCK + Math.ceil(size / BLOCK) * BLOCK;

/**
 * One WebDataset shard: a POSIX (ustar) tar in which each record is a group of members named by
 * its key, `<key>.wav` + `<key>.json` for speech, `<key>.txt` + `<key>.json` for text. The JSON
 * holds the record's other fields with the Parquet column names.
 */
export class WebDatasetShardWriter implements ShardWriter {
  private readonly pack = tar.pack();
  private readonly pump: Promise<void>;
  /** Rejects once the pump stops, so an append never waits on a tar stream nobody reads. */
  private readonly pumpStopped: Promise<never>;
  private archiveBytes = 0;

  private constructor(private readonly sink: ShardFileSink) {
    // Pull the tar stream into the file one chunk at a time. tar-stream holds back an entry's
    // callback while its own buffer is full, so `append` waits for the disk.
    this.pump = (async () => {
      for await (const chunk of this.pack as AsyncIterable<Buffer>) await sink.write(chunk);
    })();
    this.pump.catch((error: unknown) => this.pack.destroy(error as Error));
    this.pumpStopped = this.pump.then(() => {
      throw new Error('the tar stream ended before the shard was closed');
    });
    this.pumpStopped.catch(() => undefined);
  }

  static async create(path: string): Promise<WebDatasetShardWriter> {
    return new WebDatasetShardWriter(await ShardFileSink.create(path));
  }

  get bytesWritten(): number {
    return this.sink.bytes;
  }

  /** Exact: the members' sizes are known before they are written. */
  sizeWith(row: ShardRow): number {
    return this.archiveBytes + recordMembers(row).reduce((sum, [, body]) => sum + memberBytes(body.byteLength), 0) + END_OF_ARCHIVE;
  }

  async append(row: ShardRow): Promise<void> {
    for (const [name, body] of recordMembers(row)) {
      await Promise.race([this.entry(name, body), this.pumpStopped]);
      this.archiveBytes += memberBytes(body.byteLength);
    }
  }

  async close(): Promise<{ sha256: string; bytes: number }> {
    this.pack.finalize();
    await this.pump;
    return this.sink.close();
  }

  async discard(): Promise<void> {
    this.pack.destroy();
    await this.pump.catch(() => undefined);
    await this.sink.discard();
  }

  private entry(name: string, body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pack.entry(
        { name, size: body.byteLength, type: 'file', mode: 0o644, mtime: MEMBER_MTIME, uid: 0, gid: 0, uname: '', gname: '' },
        body,
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }
}

function recordMembers(row: ShardRow): Array<[string, Buffer]> {
  const attributes = Buffer.from(attributesJson(row));
  const payload: [string, Buffer] = isSpeechRow(row)
    ? [`${row.key}.wav`, Buffer.from(row.audio.buffer, row.audio.byteOffset, row.audio.byteLength)]
    : [`${row.key}.txt`, Buffer.from(row.text)];
  return [payload, [`${row.key}.json`, attributes]];
}
