import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TributaryError } from '../../pipelines/errors.js';
import {
  DownloadFailedError,
  DownloadHashMismatchError,
  DownloadRefusedError,
  DownloadSizeMismatchError,
  InvalidDownloadListError,
} from './errors.js';
import { syncDirectory } from './atomic-file.js';
import { digestFile, hashInto } from '../core/file-digest.js';

/**
 * Downloads shards from nodes: several at once, each streamed to `<path>.part` and hashed on
 * the way, resumed with `Range` after a crash or a dropped connection, and renamed to `path`
 * only when its size and sha256 are the manifest's. Nothing holds more than one network chunk
 * of a shard in memory.
 */

export interface DownloadFile {
  /** The manifest's contentUrl. */
  url: string;
  /** Hex sha256 from the signed manifest. */
  sha256: string;
  /** Bytes, from the signed manifest. */
  size: number;
  /** Where the verified file goes; `<path>.part` holds it while it downloads. */
  path: string;
  /** Access token of a gated dataset, sent as `Authorization: Bearer`. */
  token?: string;
}

export interface DownloadProgress {
  /** Bytes on disk for every file: in place, in `.part` files, or written so far. */
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface DownloadOptions {
  /** Files downloaded at the same time. Default 4. */
  concurrency?: number;
  /** Attempts after the first on network errors, 408, 429 and 5xx. Default 5. */
  retries?: number;
  /** Wait before the first retry; doubled for each next one (with jitter), at most 30 s. Default 500 ms. */
  backoffMs?: number;
  /** A connection that sends nothing for this long is dropped and retried. Default 60 s. */
  idleTimeoutMs?: number;
  /** Called after every chunk written, and when a file is done. */
  onProgress?: (progress: DownloadProgress) => void;
}

interface OutcomeBase {
  url: string;
  path: string;
  /** Requests made for this file (0 when it was already in place). */
  attempts: number;
}

export type DownloadOutcome =
  | (OutcomeBase & {
      ok: true;
      /** `present`: already in place with the right sha256 (re-hashed, not fetched). */
      status: 'downloaded' | 'present';
      sha256: string;
      bytes: number;
      /** Bytes of an earlier `.part` that this run kept and continued with `Range` (0 if none). */
      resumedFrom: number;
    })
  | (OutcomeBase & {
      ok: false;
      /** The node's own error code (`ReleaseSuperseded`, `AccessTokenRequired`, …) or one of errors.ts. */
      code: string;
      message: string;
      /** The HTTP status when the node refused. */
      httpStatus?: number;
    });

export interface DownloadReport {
  ok: boolean;
  /** In the order of the files given. */
  files: DownloadOutcome[];
}

const SHA256 = /^[0-9a-f]{64}$/;
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const MAX_BACKOFF_MS = 30_000;
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Downloads every file, `concurrency` at a time, and reports each one; a failed file does not
 * stop the others. Throws only when the list itself is wrong (InvalidDownloadList).
 */
export async function downloadFiles(files: readonly DownloadFile[], options: DownloadOptions = {}): Promise<DownloadReport> {
  checkList(files);
  const settings = {
    retries: options.retries ?? 5,
    backoffMs: options.backoffMs ?? 500,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const progress = new ProgressCounter(files, options.onProgress);
  const outcomes: DownloadOutcome[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      outcomes[index] = await downloadOne(files[index]!, (bytes) => progress.set(index, bytes), settings);
      progress.finish(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { ok: outcomes.every((outcome) => outcome.ok), files: outcomes };
}

function checkList(files: readonly DownloadFile[]): void {
  const paths = new Set<string>();
  for (const file of files) {
    let protocol = '';
    try {
      protocol = new URL(file.url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidDownloadListError(`${file.url} is not an http(s) URL`);
    if (!SHA256.test(file.sha256)) throw new InvalidDownloadListError(`${file.url}: sha256 must be 64 lower-case hex digits`);
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new InvalidDownloadListError(`${file.url}: size must be a whole number of bytes`);
    if (paths.has(file.path)) throw new InvalidDownloadListError(`two files would be written to ${file.path}`);
    paths.add(file.path);
  }
}

class ProgressCounter {
  private readonly bytes: number[];
  private readonly total: number;
  private done = 0;
  private filesDone = 0;

  constructor(
    private readonly files: readonly DownloadFile[],
    private readonly listener?: (progress: DownloadProgress) => void,
  ) {
    this.bytes = files.map(() => 0);
    this.total = files.reduce((sum, file) => sum + file.size, 0);
  }

  set(index: number, bytes: number): void {
    this.done += bytes - this.bytes[index]!;
    this.bytes[index] = bytes;
    this.emit();
  }

  finish(index: number): void {
    this.filesDone++;
    // A failed file counts as done, with the bytes it had, so the total is still reached for the rest.
    this.set(index, this.files[index]!.size);
  }

  private emit(): void {
    this.listener?.({ bytesDone: this.done, bytesTotal: this.total, filesDone: this.filesDone, filesTotal: this.files.length });
  }
}

/** A failure worth another attempt: the network, a timeout, a 5xx. */
class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The `.part` file and the hash of what it holds. */
interface Part {
  path: string;
  have: number;
  hash: Hash;
}

interface Settings {
  retries: number;
  backoffMs: number;
  idleTimeoutMs: number;
}

async function downloadOne(file: DownloadFile, onBytes: (bytes: number) => void, settings: Settings): Promise<DownloadOutcome> {
  const base = { url: file.url, path: file.path };
  let attempts = 0;
  try {
    await mkdir(dirname(file.path), { recursive: true });
    const existing = await digestFile(file.path);
    if (existing && existing.bytes === file.size && existing.sha256 === file.sha256) {
      await rm(`${file.path}.part`, { force: true });
      onBytes(file.size);
      return { ...base, ok: true, status: 'present', sha256: file.sha256, bytes: file.size, resumedFrom: 0, attempts };
    }
    // Not the file the manifest describes: it must not stay where a reader would trust it.
    if (existing) await rm(file.path, { force: true });

    let part = await openPart(`${file.path}.part`, file.size);
    const resumedFrom = part.have;
    // Once a whole file fetched from byte 0 fails its hash, the node's bytes are wrong; before
    // that, the fault may be an old `.part` (another version of the file), so start over once.
    let fromScratch = part.have === 0;
    for (;;) {
      onBytes(part.have);
      if (part.have < file.size) {
        attempts++;
        try {
          await fetchInto(file, part, onBytes, settings.idleTimeoutMs);
        } catch (error) {
          if (!(error instanceof TransientError)) throw error;
          if (attempts > settings.retries) throw new DownloadFailedError(`${file.url}: ${error.message} (after ${attempts} attempts)`);
          await sleep(error.retryAfterMs ?? backoff(settings.backoffMs, attempts));
          // What reached the disk is what counts, not what this process believes it wrote.
          part = await openPart(part.path, file.size);
          fromScratch &&= part.have === 0;
          continue;
        }
      }
      const sha256 = part.hash.digest('hex');
      if (sha256 === file.sha256) {
        if (file.size === 0) await (await open(part.path, 'a')).close();
        await rename(part.path, file.path);
        await syncDirectory(dirname(file.path));
        return { ...base, ok: true, status: 'downloaded', sha256, bytes: file.size, resumedFrom, attempts };
      }
      await rm(part.path, { force: true });
      if (fromScratch) {
        throw new DownloadHashMismatchError(`${file.url}: sha256 is ${sha256}, the manifest says ${file.sha256}; the file was not kept`);
      }
      fromScratch = true;
      part = { path: part.path, have: 0, hash: createHash('sha256') };
    }
  } catch (error) {
    // Wrong bytes are thrown away; a `.part` cut short by the network or a refusal stays, so a
    // later run (with a token, or once the node is back) continues where this one stopped.
    if (error instanceof DownloadSizeMismatchError || error instanceof DownloadHashMismatchError) {
      await rm(`${file.path}.part`, { force: true }).catch(() => undefined);
    }
    if (error instanceof TributaryError) {
      const httpStatus = error.details?.httpStatus;
      return {
        ...base,
        ok: false,
        code: error.code,
        message: error.message,
        attempts,
        ...(typeof httpStatus === 'number' ? { httpStatus } : {}),
      };
    }
    // The local disk (ENOSPC, EACCES, …): reported with the file, so the others still finish.
    return { ...base, ok: false, code: DownloadFailedError.code, message: `${file.path}: ${(error as Error).message}`, attempts };
  }
}

/** Opens what an earlier run left in `.part`: hashed from disk; cut when longer than the file can be. */
async function openPart(path: string, size: number): Promise<Part> {
  const info = await stat(path).catch(() => null);
  if (info && info.size > size) await truncate(path, 0);
  const hash = createHash('sha256');
  const have = (await hashInto(hash, path)) ?? 0;
  return { path, have, hash };
}

/**
 * One request: asks for the rest of the file when `.part` holds a beginning, checks that the
 * node answered that range (else starts from byte 0), and appends the body to `.part`, hashing
 * it. Returns when the node has sent every byte; throws TransientError for what a retry may fix.
 */
async function fetchInto(file: DownloadFile, part: Part, onBytes: (bytes: number) => void, idleTimeoutMs: number): Promise<void> {
  const headers: Record<string, string> = {};
  if (file.token) headers.authorization = `Bearer ${file.token}`;
  const ranged = part.have > 0;
  if (ranged) headers.range = `bytes=${part.have}-`;

  const idle = new IdleTimer(idleTimeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(file.url, { headers, signal: idle.signal });
    } catch (error) {
      throw new TransientError(reason(error));
    }

    if (response.status === 206 && ranged) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== part.have || range.end !== file.size - 1 || range.total !== file.size) {
        // Not the rest of this file: start again from byte 0.
        await response.body?.cancel().catch(() => undefined);
        await restart(part);
        throw new TransientError(`the node answered the range request with ${response.headers.get('content-range') ?? 'no Content-Range'}`, 0);
      }
    } else if (response.status === 200) {
      const length = response.headers.get('content-length');
      if (length !== null && Number(length) !== file.size) {
        await response.body?.cancel().catch(() => undefined);
        throw new DownloadSizeMismatchError(`${file.url}: the node sends ${length} bytes, the manifest says ${file.size}`, {
          expected: file.size,
          announced: Number(length),
        });
      }
      // The whole file, whatever was asked for (a node may ignore Range): what `.part` held goes.
      if (ranged) await restart(part);
    } else if (response.status === 416 && ranged) {
      await response.body?.cancel().catch(() => undefined);
      await restart(part);
      throw new TransientError('the node cannot serve the rest of the file from where the .part ends', 0);
    } else if (RETRYABLE_STATUS.has(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      throw new TransientError(`HTTP ${response.status}`, retryAfter(response.headers.get('retry-after')));
    } else {
      throw await refusal(file, response);
    }

    const handle = await open(part.path, part.have === 0 ? 'w' : 'a');
    try {
      try {
        for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
          idle.reset();
          if (part.have + chunk.byteLength > file.size) {
            throw new DownloadSizeMismatchError(`${file.url}: the node sent more than the ${file.size} bytes the manifest says`, {
              expected: file.size,
            });
          }
          await writeFully(handle, chunk);
          part.hash.update(chunk);
          part.have += chunk.byteLength;
          onBytes(part.have);
        }
      } catch (error) {
        if (error instanceof TributaryError) throw error;
        throw new TransientError(reason(error));
      }
      if (part.have < file.size) throw new TransientError(`the connection closed after ${part.have} of ${file.size} bytes`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } finally {
    idle.stop();
  }
}

/** Empties `.part`: the next bytes are the file's first. */
async function restart(part: Part): Promise<void> {
  await truncate(part.path, 0).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  part.have = 0;
  part.hash = createHash('sha256');
}

/** A 4xx the node will answer again: reported with the node's own error code when it gave one. */
async function refusal(file: DownloadFile, response: Response): Promise<TributaryError> {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const text = await boundedText(response, MAX_ERROR_BODY);
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === 'string' && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(error.code)) code = error.code;
    if (typeof error?.message === 'string') message = error.message.slice(0, 500);
  } catch {
    // Not a Tributary error answer: the status says what there is to say.
  }
  const text = `${file.url}: HTTP ${response.status}${message ? `: ${message}` : ''}`;
  return code ? new TributaryError(code, text, { httpStatus: response.status }) : new DownloadRefusedError(text, { httpStatus: response.status });
}

async function boundedText(response: Response, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseContentRange(header: string | null): { start: number; end: number; total: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

/** Retry-After in seconds (the date form is rare from nodes and ignored), at most a minute. */
function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, 60_000);
}

function backoff(baseMs: number, attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

function reason(error: unknown): string {
  const cause = (error as Error).cause;
  return cause instanceof Error ? cause.message : (error as Error).message;
}

/** Aborts the request when no bytes arrive for a while; reset on every chunk. */
class IdleTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;

  constructor(private readonly ms: number) {
    this.timer = this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => this.controller.abort(new Error(`no data for ${Math.round(this.ms / 1000)} s`)), this.ms);
  }
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
