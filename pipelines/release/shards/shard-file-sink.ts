import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';

export interface ShardFileDigest {
  sha256: string;
  bytes: number;
}

/**
 * Where a shard's bytes go: a file opened for writing that hashes every byte on its way to disk,
 * so a shard's sha256 and size are known when the last byte is written, without reading the file
 * back. Writes are queued in call order, so a caller that does not await each write (parquetjs'
 * footer writes) still gets the bytes, and the hash, in the right order.
 */
export class ShardFileSink {
  private readonly hash: Hash = createHash('sha256');
  private written = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates the file; fails if it already exists, so a shard never overwrites another. */
  static async create(path: string): Promise<ShardFileSink> {
    return new ShardFileSink(path, await open(path, 'wx'));
  }

  /** Bytes handed to `write` so far (what the file will hold once the queue drains). */
  get bytes(): number {
    return this.written;
  }

  /**
   * Hashes `chunk` now and writes it after every earlier chunk. The caller must not change
   * `chunk` until the returned promise settles.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`shard file ${this.path} is closed`));
    if (chunk.byteLength === 0) return this.queue;
    this.hash.update(chunk);
    this.written += chunk.byteLength;
    const next = this.queue.then(() => writeFully(this.handle, chunk));
    // A failed write fails every later one too, and `close` reports it: a caller that did not
    // await this write must not crash the process with an unhandled rejection.
    next.catch(() => undefined);
    this.queue = next;
    return next;
  }

  /** Waits for queued writes, flushes the file to disk and returns its digest. */
  async close(): Promise<ShardFileDigest> {
    if (this.closed) throw new Error(`shard file ${this.path} is already closed`);
    this.closed = true;
    try {
      await this.queue;
      await this.handle.datasync();
    } finally {
      await this.handle.close();
    }
    return { sha256: this.hash.digest('hex'), bytes: this.written };
  }

  /** Closes and deletes the file; used when a release build fails part-way. */
  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.queue.catch(() => undefined);
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
