/**
 * A volunteer's phone, as a separate process: uploads a file with tus-js-client in small chunks,
 * slowly, printing its progress, so a test can kill it mid-way and start another that resumes.
 * Usage: tus-upload.ts [--die-after=<bytes>] <endpoint> <file> <token> <promptId> <chunkBytes> <delayMs> [resumeUrl]
 * With --die-after the phone dies (SIGKILL to itself) as soon as the node has acknowledged that
 * many bytes, after printing a `dying` event with the offset the node holds: a kill at a known
 * point, not one that races the upload.
 */
import { readFileSync } from 'node:fs';
import { Upload } from 'tus-js-client';

const dieFlag = process.argv.slice(2).find((arg) => arg.startsWith('--die-after='));
const dieAfter = dieFlag ? Number(dieFlag.slice('--die-after='.length)) : Infinity;
const [endpoint, file, token, promptId, chunkBytes, delayMs, resumeUrl] = process.argv.slice(2).filter((arg) => arg !== dieFlag) as string[];
const bytes = readFileSync(file!);
const say = (event: Record<string, unknown>) => process.stdout.write(JSON.stringify(event) + '\n');

const upload = new Upload(bytes, {
  endpoint,
  ...(resumeUrl ? { uploadUrl: resumeUrl } : {}),
  chunkSize: Number(chunkBytes),
  retryDelays: [200, 500, 1000, 2000, 4000],
  headers: { authorization: `Bearer ${token}` },
  metadata: { promptId: promptId!, filetype: 'audio/webm' },
  onAfterResponse: async () => {
    await new Promise((resolve) => setTimeout(resolve, Number(delayMs)));
  },
  onProgress: (sent, total) => say({ event: 'progress', sent, total, url: upload.url }),
  onChunkComplete: (_chunk, accepted) => {
    if (accepted < dieAfter) return;
    // Written synchronously (stdout is a pipe), so the event arrives before the process is gone.
    say({ event: 'dying', accepted, url: upload.url });
    process.kill(process.pid, 'SIGKILL');
  },
  onSuccess: (payload) => {
    say({ event: 'success', url: upload.url, status: payload.lastResponse.getStatus(), body: payload.lastResponse.getBody() });
    process.exit(0);
  },
  onError: (error) => {
    const response = (error as { originalResponse?: { getStatus(): number; getBody(): string } }).originalResponse;
    say({ event: 'error', message: error.message, status: response?.getStatus(), body: response?.getBody() });
    process.exit(1);
  },
});
if (resumeUrl) say({ event: 'resuming', url: resumeUrl });
upload.start();
