import { z } from 'zod';
import { languageQuery, limitQuery } from './common.schema.js';

export const textSampleBody = z
  .object({
    language: z.string().min(1).max(35).describe('BCP-47 tag of the declared language'),
    // The real length rule lives in the text pipeline; this only bounds parsing work.
    text: z.string().max(200_000),
    consentRecordId: z.string().min(1).max(64).optional(),
  })
  .strict();

export const queueQuery = z.object({
  lang: languageQuery.optional(),
  modality: z.enum(['text', 'speech']).default('text'),
  limit: limitQuery,
});

export const lidView = z.object({
  code: z.string(),
  score: z.number(),
  script: z.string(),
  model: z.string(),
  mismatch: z.enum(['language', 'script']).nullable(),
  reason: z
    .string()
    .nullable()
    .describe('Why `code` is `und`: the text is too short or mixed, or the node has no speech model (NoSpeechModel) or none for this language; the declared language stands'),
});

/** What the audio pipeline measured (pipelines/audio/facts.ts). */
export const audioFactsView = z.object({
  format: z.string(),
  originalSampleRate: z.number(),
  originalChannels: z.number(),
  durationSeconds: z.number(),
  peakDbfs: z.number(),
  rmsDbfs: z.number(),
  clippingRatio: z.number(),
  speechRatio: z.number(),
  speechSeconds: z.number(),
  snrDb: z.number(),
  leadingSilenceSeconds: z.number(),
  trailingSilenceSeconds: z.number(),
});

/** What a validator sees: the content and why it might be doubtful, never who made it. */
export const sampleView = z.object({
  id: z.string(),
  modality: z.enum(['text', 'speech']),
  language: z.string(),
  iso639_3: z.string(),
  text: z.string().nullable(),
  promptId: z.string().nullable(),
  lid: lidView.nullable(),
  audio: z
    .object({
      url: z.string(),
      type: z.string(),
      facts: audioFactsView,
    })
    .nullable(),
  flags: z.array(z.string()),
  status: z.enum(['pending', 'validated', 'rejected', 'withdrawn']),
  createdAt: z.string(),
});

export const queueView = z.object({ samples: z.array(sampleView) });
