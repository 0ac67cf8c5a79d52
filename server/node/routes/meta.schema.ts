import { z } from 'zod';

/** Every status is counted, zero included, so a reader never has to guess what a missing key means. */
const sampleCounts = z.object({ pending: z.number(), validated: z.number(), rejected: z.number(), withdrawn: z.number() });
const promptCounts = z.object({ pending: z.number(), accepted: z.number(), rejected: z.number() });

export const statsView = z.object({
  languages: z.array(
    z.object({
      language: z.string(),
      samples: z.object({ text: sampleCounts, speech: sampleCounts }),
      contributors: z.number(),
      backlog: z.object({ text: z.number(), speech: z.number() }),
      prompts: promptCounts,
    }),
  ),
});

/**
 * What the node accepts, so the app can say so before sending: a recording shorter than
 * `audio.minSeconds` cannot hold the speech the node asks for (it would be refused as AudioTooShort).
 */
export const limitsView = z.object({
  audio: z.object({
    minSeconds: z.number().describe('Least speech a clip must hold, in seconds'),
    maxSeconds: z.number().describe('Longest clip accepted, in seconds'),
    maxBytes: z.number(),
  }),
  text: z.object({ maxChars: z.number() }),
});
