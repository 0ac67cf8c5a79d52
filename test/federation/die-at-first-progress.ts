import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Preloaded (`--import`) into a `tributary pull --out DIR --progress json` process: SIGKILLs it
 * at the first progress report made while a shard is half-way to disk (a `.part` file with bytes
 * in it under DIR/.tributary/downloads), as a power cut or the OOM killer would. The downloader
 * reports after each chunk it writes and before it renames a finished file, so the kill comes
 * mid-download by construction, however fast the machine or the nodes are.
 */
const out = process.argv[process.argv.indexOf('--out') + 1]!;
const downloads = join(out, '.tributary', 'downloads');

function partialDownload(): boolean {
  try {
    return readdirSync(downloads, { recursive: true }).some((name) => String(name).endsWith('.part') && statSync(join(downloads, String(name))).size > 0);
  } catch {
    return false;
  }
}

const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (text.includes('{"type":"progress"') && partialDownload()) {
    process.kill(process.pid, 'SIGKILL');
    for (;;); // SIGKILL cannot be caught; nothing after it may run meanwhile.
  }
  return write(chunk as never, ...(rest as []));
}) as typeof process.stderr.write;
