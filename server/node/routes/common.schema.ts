import { z } from 'zod';

/** Free-text fields from clients are bounded so a body limit is not the only guard. */
export const shortText = (max: number) => z.string().trim().min(1).max(max);
export const idParams = z.object({ id: z.string().min(1).max(64) });
export const languageQuery = z.string().min(1).max(64);
export const limitQuery = z.coerce.number().int().min(1).max(100).default(10);
export const voteBody = z.object({ value: z.enum(['up', 'down', 'skip']) }).strict();
export const reportBody = z
  .object({
    reason: z.enum(['offensive', 'wrong-language', 'personal-data', 'spam', 'poor-quality', 'copyright', 'other']),
    detail: z.string().trim().max(1000).optional(),
  })
  .strict();
export const reportView = z.object({
  id: z.string(),
  sampleId: z.string().nullable(),
  promptId: z.string().nullable(),
  reason: z.string(),
  detail: z.string().nullable(),
  status: z.enum(['open', 'dismissed', 'upheld']),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});

/** An open report as a moderator sees it: with what it is about. */
export const openReportView = reportView.extend({
  subject: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('prompt'), language: z.string(), text: z.string() }),
      z.object({
        kind: z.literal('sample'),
        modality: z.enum(['text', 'speech']),
        language: z.string(),
        text: z.string().nullable().describe('a text sample’s text, or the sentence a recording reads'),
        audio: z.boolean().describe('GET /samples/:id/audio plays the recording to a reviewer while the report holds it'),
      }),
    ])
    .nullable(),
});
