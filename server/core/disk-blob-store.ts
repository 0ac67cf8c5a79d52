import { copyFile, mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { newId } from './ids.js';
import { assertBlobKey, BlobNotFoundError, type BlobInfo, type BlobStore } from './blob-store.js';

/** Blobs as files under one directory; writes go to a temp file and are renamed into place. */
export class DiskBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    assertBlobKey(key);
    return join(this.root, key);
  }

  private async temp(): Promise<string> {
    const dir = join(this.root, '.tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, newId());
  }

  async put(key: string, data: Uint8Array): Promise<BlobInfo> {
    const target = this.path(key);
    const temp = await this.temp();
    await writeFile(temp, data);
    await mkdir(dirname(target), { recursive: true });
    await rename(temp, target);
    return { size: data.byteLength };
  }

  async putFile(key: string, path: string): Promise<BlobInfo> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(path, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      // Another file system: copy to a temp file beside the target, then rename.
      const temp = await this.temp();
      await copyFile(path, temp);
      await rename(temp, target);
      await unlink(path);
    }
    return { size: (await stat(target)).size };
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const info = await stat(this.path(key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      // A Buffer is a Uint8Array: returned as it is, without a copy.
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    // Opening first turns a missing file into BlobNotFoundError here, with one system call.
    const handle = await open(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new BlobNotFoundError(key) : error;
    });
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
