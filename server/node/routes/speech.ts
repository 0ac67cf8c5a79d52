import multer from 'multer';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { NodeRoute } from '../auth.js';
import { InvalidRequestError } from '../../core/errors.js';
import { AudioMissingError, AudioTooLargeError } from '../errors.js';
import type { BlobStore } from '../../core/blob-store.js';
import { sendBlob } from '../../core/send-blob.js';
import type { SpeechIntake } from '../services/speech-intake.js';
import type { ValidationService } from '../services/validation.js';
import { idParams } from './common.schema.js';
import { sampleView } from './samples.schema.js';
import { speechFields } from './speech.schema.js';
import { sample } from './views.js';

/** One file in memory, bounded; multer's refusals become our codes. */
function singleClip(maxBytes: number): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
  }).single('audio');
  return (req, res, next) =>
    upload(req, res, (error: unknown) => {
      if (!error) return next();
      if (error instanceof multer.MulterError) {
        return next(error.code === 'LIMIT_FILE_SIZE' ? new AudioTooLargeError() : new InvalidRequestError(error.message));
      }
      next(new InvalidRequestError('The multipart body could not be read.'));
    });
}

export function speechRoutes(
  route: NodeRoute,
  services: { speechIntake: SpeechIntake; validation: ValidationService; blobs: BlobStore },
  maxBytes: number,
): void {
  route({
    method: 'post',
    path: '/samples/speech',
    tag: 'samples',
    summary: 'Contribute a recording of a prompt in one request (multipart field "audio"); for small clips',
    access: 'contributor',
    middleware: [singleClip(maxBytes)],
    bodyType: 'multipart/form-data',
    body: speechFields.extend({ audio: z.string().describe('the recording (binary)').optional() }),
    status: 201,
    response: sampleView,
    errors: ['AudioUndecodable', 'AudioTooShort', 'AudioTooLong', 'AudioSilent', 'AudioClipped', 'AudioTooLarge',
      'AudioMissing', 'PromptNotFound', 'ConsentRequired'],
    handler: async ({ principal, body, req }) => {
      if (!req.file) throw new AudioMissingError();
      const stored = await services.speechIntake.submit(principal, body, { bytes: req.file.buffer });
      return sample(stored);
    },
  });

  route({
    method: 'get',
    path: '/samples/:id/audio',
    tag: 'validation',
    summary: 'Stream a clip (16 kHz mono WAV) while it awaits validation, or one of my own; supports Range requests',
    access: 'contributor',
    params: idParams,
    response: z.string().describe('audio/wav bytes'),
    errors: ['NotFound', 'SampleWithdrawn', 'RangeNotSatisfiable'],
    handler: ({ principal, params, req, res }) =>
      // Recordings are personal data: no shared caches.
      sendBlob(req, res, services.blobs, { ...services.validation.clipOf(principal, params.id), cacheControl: 'private, no-store' }),
  });
}
