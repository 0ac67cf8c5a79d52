/**
 * Run as a child process by download.test.ts: downloads the files given (one at a time) and
 * SIGKILLs itself as soon as `killAfter` bytes have been written to a `.part` file, as a power
 * cut or an OOM kill would. The progress callback runs after each chunk is written, so the kill
 * comes at that point by construction, however fast or slow the machine is.
 */
import { downloadFiles, type DownloadFile } from '../../server/trainer/download.js';

const { files, killAfter } = JSON.parse(process.argv[2]!) as { files: DownloadFile[]; killAfter: number };
await downloadFiles(files, {
  concurrency: 1,
  onProgress: (progress) => {
    if (progress.bytesDone >= killAfter) process.kill(process.pid, 'SIGKILL');
  },
});
// Reached only if the file was smaller than killAfter: the test reports that.
process.exit(3);
