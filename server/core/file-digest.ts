import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  sha256: string;
  bytes: number;
}

/** sha256 and size of a file, read as a stream (a shard is never held whole); null when it does not exist. */
export async function digestFile(path: string): Promise<FileDigest | null> {
  const hash = createHash('sha256');
  const bytes = await hashInto(hash, path);
  return bytes === null ? null : { sha256: hash.digest('hex'), bytes };
}

/** Feeds the file's bytes into `hash` and returns how many there were, or null when it does not exist. */
export async function hashInto(hash: Hash, path: string): Promise<number | null> {
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return bytes;
}
