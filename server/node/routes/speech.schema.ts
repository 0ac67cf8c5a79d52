import { z } from 'zod';

export const speechFields = z
  .object({
    promptId: z.string().min(1).max(64),
    consentRecordId: z.string().min(1).max(64).optional(),
    language: z.string().min(1).max(35).optional(),
  })
  .strict();

/**
 * Upload metadata a tus client sends (`Upload-Metadata`). `filetype`/`filename` may come too and
 * are ignored: the node recognises the format from the bytes.
 */
export const uploadMetadata = z.object({
  promptId: z.string().min(1).max(64),
  consentRecordId: z.string().min(1).max(64).optional(),
  language: z.string().min(1).max(35).optional(),
});
