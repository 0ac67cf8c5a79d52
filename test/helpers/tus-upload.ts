/**
 * A volunteer's phone, as a separate process: uploads a file with tus-js-client in small chunks,
 * slowly, printing its progress, so a test can kill it mid-way and start another that resumes.
 * Usage: tus-upload.ts <endpoint> <file> <token> <promptId> <chunkBytes> <delayMs> [resumeUrl]
 */
import { readFileSync } from 'node:fs';
import { Upload } from 'tus-js-client';

const [endpoint, file, token, promptId, chunkBytes, delayMs, resumeUrl] = process.argv.slice(2) as string[];
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
