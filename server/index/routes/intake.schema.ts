import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestAcceptedView = z.object({
  manifest: sha256.describe('sha256 of the signed manifest bytes: the manifest’s id'),
  node: z.string(),
  dataset: z.string(),
  version: z.string(),
  rev: z.number().int(),
  status: z.enum(['published', 'unchanged']),
  logIndex: z.number().int().describe('log index of the manifest.published event'),
});

export const noticeAcceptedView = z.object({
  notice: z.string(),
  kind: z.enum(['withdrawal', 'retraction', 'access-change']),
  node: z.string(),
  dataset: z.string(),
  status: z.enum(['accepted', 'unchanged']),
  logIndex: z.number().int().nullable(),
});

export const heartbeatAcceptedView = z.object({
  node: z.string(),
  sequence: z.number().int(),
  missing: z
    .array(z.object({ id: z.string(), version: z.string(), manifestSha256: sha256 }))
    .describe('datasets the heartbeat lists whose manifest the index does not hold'),
});
