import { DetailedError, Upload } from 'tus-js-client';
import { API_BASE, ApiError, errorFromBody } from './api.js';
import type { Sample } from './types.js';

/**
 * Sends a recording with tus, in chunks that survive a flaky mobile link: a failed chunk is
 * retried and the upload resumes from what the node already has. The node answers the last
 * chunk with the new sample (201) or refuses the recording with a stable code.
 */
export interface RecordingUpload {
  done: Promise<Sample>;
  abort(): void;
}

const CHUNK_BYTES = 256 * 1024;
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000];

export function uploadRecording(options: {
  blob: Blob;
  promptId: string;
  token: string;
  onProgress: (fraction: number) => void;
}): RecordingUpload {
  const { blob, promptId, token } = options;
  let upload: Upload | null = null;
  const done = new Promise<Sample>((resolve, reject) => {
    upload = new Upload(blob, {
      endpoint: new URL(`${API_BASE}/uploads`, location.href).href,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS_MS,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { promptId, filetype: blob.type },
      // A take lives only in this page; resuming after a reload has nothing to resume with.
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => options.onProgress(total > 0 ? sent / total : 0),
      onSuccess: ({ lastResponse }) => {
        const status = lastResponse.getStatus();
        const body = lastResponse.getBody() ?? '';
        if (status === 201) {
          try {
            resolve(JSON.parse(body) as Sample);
            return;
          } catch {
            // fall through
          }
        }
        reject(errorFromBody(status, body));
      },
      onError: (error) => {
        const response = error instanceof DetailedError ? error.originalResponse : null;
        if (response && response.getStatus() > 0) reject(errorFromBody(response.getStatus(), response.getBody() ?? ''));
        else reject(new ApiError('Network', error.message, 0));
      },
    });
    upload.start();
  });
  return {
    done,
    abort: () => {
      void (upload as Upload | null)?.abort(true).catch(() => {});
    },
  };
}
