import cliProgress from 'cli-progress';
import type { DownloadProgress } from './download.js';

export interface ProgressBar {
  /** Give to `downloadFiles` as `onProgress`. */
  update: (progress: DownloadProgress) => void;
  stop: () => void;
}

/**
 * A download bar on a terminal (stderr, so stdout stays for results); nothing at all when the
 * output goes to a file or a pipe, or with --json, where a script reads stdout.
 */
export function downloadProgressBar(options: { json: boolean; stream?: NodeJS.WriteStream }): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (options.json || !stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'downloading [{bar}] {percentage}% | {mb}/{totalMb} MB | {filesDone}/{filesTotal} files | {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  return {
    update(progress) {
      const payload = { mb: mb(progress.bytesDone), totalMb: mb(progress.bytesTotal), filesDone: progress.filesDone, filesTotal: progress.filesTotal };
      if (!started) {
        bar.start(progress.bytesTotal, progress.bytesDone, payload);
        started = true;
      } else {
        bar.update(progress.bytesDone, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
