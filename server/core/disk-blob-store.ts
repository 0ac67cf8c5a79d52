import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { newId } from './ids.js';
import { assertBlobKey, assertBlobPrefix, BlobNotFoundError, type BlobInfo, type BlobStore } from './blob-store.js';

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
      // Another file system: copy to a temp file in the store, rename it into place, and only
      // then remove the source, so a crash leaves the blob whole or absent and the source intact.
      const temp = await this.temp();
      try {
        await copyFile(path, temp);
        await rename(temp, target);
      } catch (copyError) {
        await rm(temp, { force: true });
        throw copyError;
      }
      await unlink(path);
    }
    return { size: (await stat(target)).size };
  }

  /**
   * A hard link where the file system allows one: no byte is copied, which matters for shards of
   * hundreds of MB. It is still a separate blob, because no blob is ever written in place: `put`,
   * `putFile` and `copy` rename a new file over a key, and `delete` unlinks one name. Where links
   * are refused (another file system under the store, or one without links) the bytes are copied.
   */
  async copy(fromKey: string, toKey: string): Promise<BlobInfo> {
    const source = this.path(fromKey);
    const target = this.path(toKey);
    const info = await stat(source).catch((error: unknown) => {
      throw missing(error) ? new BlobNotFoundError(fromKey) : error;
    });
    if (!info.isFile()) throw new BlobNotFoundError(fromKey);
    // A link renamed onto the same file is a no-op that would leave the link behind.
    if (fromKey === toKey) return { size: info.size };
    const temp = await this.temp();
    try {
      await link(source, temp).catch(async (error: NodeJS.ErrnoException) => {
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(error.code ?? '')) throw error;
        await copyFile(source, temp, constants.COPYFILE_FICLONE);
      });
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      // Deleted between the stat and the link.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await this.stat(fromKey))) throw new BlobNotFoundError(fromKey);
      throw error;
    }
    return { size: info.size };
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const info = await stat(this.path(key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      // A Buffer is a Uint8Array: returned as it is, without a copy.
      return await readFile(this.path(key));
    } catch (error) {
      if (missing(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    // Opening first turns a missing file into BlobNotFoundError here, before any byte is sent.
    const handle = await open(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      throw missing(error) ? new BlobNotFoundError(key) : error;
    });
    // A folder (the parent of other keys) opens on Linux, but it is not a blob.
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new BlobNotFoundError(key);
    }
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.path(key), { force: true });
    } catch (error) {
      // A folder is not a blob: the keys below it are not this key, and stay.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_FS_EISDIR') throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertBlobPrefix(prefix);
    const dir = this.path(prefix.slice(0, -1));
    // A file named like the prefix (key `a/b` for `a/b/`) is not under it and stays.
    const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw error;
    });
    if (info?.isDirectory()) await rm(dir, { recursive: true, force: true });
  }
}

/** The errors that mean "no blob under this key": no file, a file where a folder would be, a folder. */
function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
