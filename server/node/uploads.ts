import { join } from 'node:path';
import { Server, type Upload } from '@tus/server';
import type { RequestHandler } from 'express';
import { InvalidRequestError, NotFoundError } from '../core/errors.js';
import { contributorFrom } from './auth.js';
import { answerFor } from '../core/http.js';
import { NODE_STATUSES } from './errors.js';
import type { Logger } from '../core/log.js';
import type { ContributorService } from './services/contributors.js';
import type { SpeechIntake } from './services/speech-intake.js';
import type { UnfinishedUploads } from './services/unfinished-uploads.js';
import type { Contributor } from './stores/contributors.js';
import type { BlobStore } from '../core/blob-store.js';
import type { Sample } from './stores/samples.js';
import { uploadMetadata } from './routes/speech.schema.js';
import { sample } from './routes/views.js';

const REQUEST_ID = 'x-request-id';

export interface Uploads {
  handler: RequestHandler;
  /** Deletes unfinished uploads older than the node's expiry; returns how many went. */
  sweepExpired(): Promise<number>;
  close(): void;
}

/**
 * Resumable uploads (tus 1.0) for recordings made on slow, flaky links. An upload belongs to
 * the contributor who created it; its prompt, consent and disk claim (quotas) are checked
 * before any byte is stored, the size limit is enforced by the tus server, and the finished
 * upload becomes a speech sample in the final PATCH's response (or is refused there with its code).
 */
export function createUploads(options: {
  path: string;
  maxBytes: number;
  contributors: ContributorService;
  speechIntake: SpeechIntake;
  unfinished: UnfinishedUploads;
  /** The caller's sample from this upload; throws (NotFound) when there is none of theirs. */
  sampleOfUpload(contributor: Contributor, uploadId: string): Sample;
  blobs: BlobStore;
  log: Logger;
}): Uploads {
  const { unfinished } = options;
  const datastore = unfinished.files;

  /** tus wants thrown `{ status_code, body }`; errors become that, with the API's JSON body. */
  const tusError = (error: unknown, req: Request) => {
    const requestId = req.headers.get(REQUEST_ID) ?? undefined;
    const { status, body } = answerFor(error, { log: options.log, statuses: NODE_STATUSES }, { requestId, method: req.method, path: options.path });
    return { status_code: status, body: JSON.stringify(body) };
  };

  const contributorOf = (req: Request): Contributor => contributorFrom(options.contributors, req.headers.get('authorization'));

  const metadataOf = (upload: Upload) => {
    const parsed = uploadMetadata.safeParse(upload.metadata ?? {});
    if (!parsed.success) throw new InvalidRequestError('Upload-Metadata needs promptId (and may have consentRecordId).');
    return parsed.data;
  };

  const server = new Server({
    path: options.path,
    datastore,
    maxSize: options.maxBytes,
    relativeLocation: true,
    async onIncomingRequest(req, uploadId) {
      try {
        const contributor = contributorOf(req);
        if (req.method === 'POST') return;
        const upload = await datastore.getUpload(uploadId).catch(() => undefined);
        // Someone else's upload does not exist as far as this caller is concerned.
        if (!upload || upload.metadata?.contributor !== contributor.id) throw new NotFoundError('No such upload.');
      } catch (error) {
        throw tusError(error, req);
      }
    },
    async onUploadCreate(req, upload) {
      try {
        const contributor = contributorOf(req);
        const metadata = metadataOf(upload);
        const { consentRecord } = options.speechIntake.precheck(contributor, metadata);
        // A deferred length may grow to the node's maximum, so that is what it claims.
        await unfinished.claim({
          id: upload.id,
          contributorId: contributor.id,
          consentRecordId: consentRecord.id,
          bytes: upload.size ?? options.maxBytes,
        });
        // The consent record is pinned: withdrawing it discards this upload, and finishing checks it.
        return { metadata: { ...upload.metadata, consentRecordId: consentRecord.id, contributor: contributor.id } };
      } catch (error) {
        throw tusError(error, req);
      }
    },
    async onUploadFinish(req, upload) {
      try {
        const contributor = contributorOf(req);
        const metadata = metadataOf(upload);
        const path = upload.storage?.path ?? join(datastore.directory, upload.id);
        // The worker reads the file and the blob store moves it: the bytes are never copied here.
        const stored = await options.speechIntake.submit(contributor, { ...metadata, uploadId: upload.id }, { path });
        await datastore.configstore.delete(upload.id);
        return { status_code: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(sample(stored)) };
      } catch (error) {
        // A refused upload leaves nothing behind (the data file may already have moved to the blob store).
        await unfinished.discard([upload.id]);
        throw tusError(error, req);
      } finally {
        unfinished.release(upload.id);
      }
    },
  });

  /**
   * A finished upload has become a sample and its tus files are gone. A client whose last PATCH
   * answer was lost asks HEAD when it resumes; a 404 would make it create a new upload and send
   * the recording twice, so the owner is told the upload is complete (offset = length) and can
   * ask `GET /me/uploads/:id/sample` for the sample. Anyone else falls through to tus (404).
   */
  const answerFinished = async (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): Promise<boolean> => {
    const id = /^\/([^/?]+)\/?(?:\?.*)?$/.exec(req.url)?.[1];
    if (!id) return false;
    let stored: Sample;
    try {
      stored = options.sampleOfUpload(contributorFrom(options.contributors, req.headers.authorization), decodeURIComponent(id));
    } catch {
      return false;
    }
    if (!stored.audio) return false;
    const size = (await options.blobs.stat(stored.audio.originalKey))?.size ?? 0;
    res.status(200).set({
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': String(size),
      'Upload-Length': String(size),
      'Cache-Control': 'no-store',
    }).end();
    return true;
  };

  const sweepExpired = () => unfinished.sweepExpired();
  const sweep = setInterval(
    () => void sweepExpired().catch((error: unknown) => options.log.warn({ err: error }, 'sweeping expired uploads failed')),
    15 * 60_000,
  );
  sweep.unref();
  return {
    handler: (req, res) => {
      // tus hands its hooks a Fetch Request; the request id travels to them as a header.
      req.headers[REQUEST_ID] = res.locals.requestId as string;
      if (req.method !== 'HEAD') return void server.handle(req, res);
      void answerFinished(req, res).then(
        (answered) => (answered ? undefined : server.handle(req, res)),
        (error: unknown) => {
          options.log.warn({ err: error }, 'could not look up a finished upload');
          return server.handle(req, res);
        },
      );
    },
    sweepExpired,
    close: () => clearInterval(sweep),
  };
}
