import { z } from 'zod';

export const speechFields = z
  .object({
    promptId: z.string().min(1).max(64),
    consentRecordId: z.string().min(1).max(64).optional(),
  })
  .strict();

/** Upload metadata a tus client sends (`Upload-Metadata`), besides `filename`/`filetype`, which are ignored. */
export const uploadMetadata = z.object({
  promptId: z.string().min(1).max(64),
  consentRecordId: z.string().min(1).max(64).optional(),
});
