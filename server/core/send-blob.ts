import type { Request, Response } from 'express';
import parseRange from 'range-parser';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';
import { NotFoundError, TributaryError } from './errors.js';

export class RangeNotSatisfiableError extends TributaryError {
  static readonly code = 'RangeNotSatisfiable';
  constructor(size: number) {
    super('RangeNotSatisfiable', `The requested range is outside the ${size} bytes available.`, { size });
  }
}

/**
 * Streams a blob with Range support (one range; multi-range requests get the whole blob, as
 * RFC 9110 allows). Used for clips and release files (shards), from whichever store holds them.
 */
export async function sendBlob(
  req: Request,
  res: Response,
  blobs: BlobStore,
  blob: { key: string; type: string; cacheControl: string },
): Promise<void> {
  const info = await blobs.stat(blob.key);
  if (!info) throw new NotFoundError();
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', blob.type);
  res.setHeader('Cache-Control', blob.cacheControl);
  let range: { start: number; end: number } | undefined;
  const header = req.headers.range;
  if (header) {
    const parsed = parseRange(info.size, header, { combine: true });
    if (parsed === -1) {
      res.setHeader('Content-Range', `bytes */${info.size}`);
      throw new RangeNotSatisfiableError(info.size);
    }
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) range = parsed[0];
  }
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.status(200);
    res.setHeader('Content-Length', info.size);
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(await blobs.read(blob.key, range), res);
  } catch (error) {
    // A listener who stops the player mid-clip is not an error.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}
