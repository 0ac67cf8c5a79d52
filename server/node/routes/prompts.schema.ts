import { z } from 'zod';
import { languageQuery, limitQuery } from './common.schema.js';

export const promptQuery = z.object({ lang: languageQuery, limit: limitQuery });

const promptItem = z.object({
  text: z.string().max(2000),
  source: z.string().trim().max(200).optional(),
  license: z.string().max(64).optional(),
});

export const proposeBody = promptItem.extend({ language: z.string().min(1).max(35) }).strict();

export const importBody = z
  .object({
    language: z.string().min(1).max(35),
    prompts: z.array(promptItem.strict()).min(1).max(10_000),
    /** Import sentences whose language ID disagrees with `language` too (they are still listed). */
    force: z.boolean().optional(),
  })
  .strict();

export const promptView = z.object({
  id: z.string(),
  language: z.string(),
  text: z.string(),
  source: z.string().nullable(),
  license: z.string(),
  status: z.enum(['pending', 'accepted', 'rejected']),
  createdAt: z.string(),
});

export const promptListView = z.object({ prompts: z.array(promptView) });

export const importView = z.object({
  imported: z.number(),
  duplicates: z.number(),
  refused: z.array(z.object({ line: z.number(), text: z.string(), problem: z.string(), detail: z.string() })),
  flagged: z.array(
    z.object({
      line: z.number(),
      text: z.string(),
      mismatch: z.enum(['language', 'script']),
      detected: z.string(),
      score: z.number(),
      imported: z.boolean(),
    }),
  ),
});
