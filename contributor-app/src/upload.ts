import { DetailedError, Upload, type PreviousUpload, type UrlStorage } from 'tus-js-client';
import { API_BASE, ApiError, errorFromBody } from './api.js';
import { recordingQueue, type QueuedRecording } from './recording-queue.js';
import type { Sample } from './types.js';

/**
 * Sends a kept recording with tus, in chunks that survive a flaky mobile link: a failed chunk is
 * retried and the upload resumes from what the node already has, also after a reload, because
 * the upload URL is kept in IndexedDB beside the take (tus-js-client's URL storage, backed by the
 * queue). The node answers the last chunk with the new sample (201) or refuses the recording
 * with a stable code.
 */
export type SendOutcome =
  | { kind: 'sample'; sample: Sample }
  /** The node will never take it (a stable code such as AudioSilent): it leaves the device. */
  | { kind: 'refused'; error: ApiError }
  /** No answer (offline, the node down or busy): it stays on the device and is tried again. */
  | { kind: 'waiting'; error: ApiError };

const DEFAULT_CHUNK_BYTES = 256 * 1024;
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000];
/** Statuses that say "not now" rather than "never": tus conflicts and locks, rate limits, server trouble. */
const TRY_AGAIN = new Set([408, 409, 423, 425, 429]);

/**
 * Chunk size: 256 KB, or smaller where a link is so poor that a chunk rarely gets through
 * (`localStorage['tributary.uploadChunkBytes']`, also how tests make an upload take several chunks).
 */
function chunkBytes(): number {
  try {
    const wanted = Number(localStorage.getItem('tributary.uploadChunkBytes'));
    if (Number.isInteger(wanted) && wanted >= 1024) return wanted;
  } catch {
    // no localStorage: the default
  }
  return DEFAULT_CHUNK_BYTES;
}

/** tus-js-client's URL storage for one kept recording: its upload URL lives in its queue entry. */
function queueUrlStorage(item: QueuedRecording): UrlStorage {
  let uploadUrl = item.uploadUrl;
  const previous = (): PreviousUpload[] =>
    uploadUrl ? [{ uploadUrl, urlStorageKey: item.id, size: item.blob.size, metadata: {}, creationTime: item.createdAt, parallelUploadUrls: null }] : [];
  return {
    findAllUploads: async () => previous(),
    findUploadsByFingerprint: async () => previous(),
    removeUpload: async () => {
      uploadUrl = null;
      await recordingQueue.setUploadUrl(item.id, null);
    },
    addUpload: async (_fingerprint, upload) => {
      uploadUrl = upload.uploadUrl;
      await recordingQueue.setUploadUrl(item.id, uploadUrl);
      return item.id;
    },
  };
}

function classify(error: ApiError): SendOutcome {
  const later = error.status === 0 || error.status >= 500 || TRY_AGAIN.has(error.status);
  return later ? { kind: 'waiting', error } : { kind: 'refused', error };
}

/**
 * The sample a finished upload became, when its 201 was lost (the node answers a resumed HEAD
 * with "complete"): asked of the node, never guessed, so a recording is not sent twice.
 */
async function sampleOfUpload(uploadUrl: string, token: string): Promise<SendOutcome> {
  const uploadId = new URL(uploadUrl, location.href).pathname.split('/').pop() ?? '';
  let response: Response;
  try {
    response = await fetch(`${API_BASE}/me/uploads/${encodeURIComponent(uploadId)}/sample`, {
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    return { kind: 'waiting', error: new ApiError('Network', (error as Error).message, 0) };
  }
  if (response.ok) return { kind: 'sample', sample: (await response.json()) as Sample };
  // Not (yet) a sample: the node may still be checking the last chunk. Asked again later.
  const error = errorFromBody(response.status, await response.text().catch(() => ''));
  return { kind: 'waiting', error: response.status === 404 ? new ApiError('Network', error.message, 0) : error };
}

export interface Sending {
  outcome: Promise<SendOutcome>;
  /** Stops sending (the take stays kept); the upload resumes from the node's offset next time. */
  stop(): void;
}

export function sendRecording(item: QueuedRecording, onProgress: (fraction: number) => void): Sending {
  let upload: Upload | null = null;
  const outcome = new Promise<SendOutcome>((resolve) => {
    const tus: Upload = new Upload(item.blob, {
      endpoint: new URL(`${API_BASE}/uploads`, location.href).href,
      chunkSize: chunkBytes(),
      retryDelays: RETRY_DELAYS_MS,
      headers: { Authorization: `Bearer ${item.token}` },
      metadata: { promptId: item.promptId, filetype: item.blob.type },
      // Resume through the queue entry, after a dropped link, a reload or a closed tab.
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: false,
      fingerprint: async () => `tributary-recording:${item.id}`,
      urlStorage: queueUrlStorage(item),
      onProgress: (sent, total) => onProgress(total > 0 ? sent / total : 0),
      onSuccess: ({ lastResponse }) => {
        const status = lastResponse.getStatus();
        if (status === 201) {
          try {
            resolve({ kind: 'sample', sample: JSON.parse(lastResponse.getBody() ?? '') as Sample });
            return;
          } catch {
            // fall through: ask the node
          }
        }
        // A resumed upload the node reports complete: its sample was made, the answer lost.
        if (tus.url) void sampleOfUpload(tus.url, item.token).then(resolve);
        else resolve(classify(errorFromBody(status, lastResponse.getBody() ?? '')));
      },
      onError: (error) => {
        const response = error instanceof DetailedError ? error.originalResponse : null;
        if (response && response.getStatus() > 0) resolve(classify(errorFromBody(response.getStatus(), response.getBody() ?? '')));
        else resolve({ kind: 'waiting', error: new ApiError('Network', error.message, 0) });
      },
    });
    upload = tus;
    void tus.findPreviousUploads().then(
      (previous) => {
        if (previous[0]) tus.resumeFromPreviousUpload(previous[0]);
        tus.start();
      },
      () => tus.start(),
    );
  });
  return {
    outcome,
    stop: () => {
      void (upload as Upload | null)?.abort(false).catch(() => {});
    },
  };
}
