import { PURPOSE_IDS } from '../domain/purposes.js';
import { z } from 'zod';

export const datasetParams = z.object({ id: z.string().regex(/^[a-z0-9-]{1,80}$/) });
/** Express gives a splat parameter as its path segments. */
export const shardParams = datasetParams.extend({
  name: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v.join('/') : v))
    .pipe(z.string().min(1).max(200)),
});
export const versionQuery = z.object({ version: z.string().regex(/^\d+\.\d+\.\d+$/).optional() });

export const datasetView = z.object({
  id: z.string(),
  language: z.string(),
  modality: z.enum(['text', 'speech']),
  accessClass: z.enum(['open', 'gated', 'on-request']),
  version: z.string(),
  license: z.string(),
  purposes: z.array(z.string()),
  records: z.number(),
  published: z.string(),
  manifest: z.string(),
});

export const envelopeView = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
});

export const accessRequestBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    contact: z.string().trim().min(3).max(200),
    purpose: z.string().trim().min(3).max(2000),
    acceptTerms: z.literal(true, { error: 'the dataset’s terms must be accepted' }),
  })
  .strict();

export const grantView = z.object({
  id: z.string(),
  datasetId: z.string(),
  name: z.string(),
  contact: z.string(),
  purpose: z.string(),
  status: z.enum(['pending', 'approved', 'refused', 'revoked']),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});

export const withdrawalsQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const buildBody = z
  .object({
    language: z.string().min(1).max(35),
    modality: z.enum(['text', 'speech']),
    license: z.string().max(64).optional(),
    purposes: z.array(z.enum(PURPOSE_IDS)).min(1).optional(),
    format: z.enum(['parquet', 'webdataset']).optional(),
    seed: z.number().int().min(0).max(2 ** 31).optional(),
    accessClass: z.enum(['open', 'gated', 'on-request']).optional(),
  })
  .strict();
