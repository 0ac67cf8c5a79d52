import { z } from 'zod';
import { PURPOSE_IDS } from '../domain/purposes.js';

export const noticeQuery = z.object({ lang: z.string().min(1).max(35).optional() });

export const noticeView = z.object({
  id: z.string(),
  sha256: z.string(),
  language: z.string(),
  version: z.string(),
  title: z.string(),
  text: z.string(),
  purposes: z.array(z.object({ id: z.string(), label: z.string(), dpv: z.string(), required: z.boolean() })),
  license: z.string(),
  controller: z.object({ name: z.string(), jurisdiction: z.string(), url: z.string().nullable() }),
});

export const giveConsentBody = z
  .object({
    noticeId: z.string().min(1).max(100),
    noticeSha256: z.string().regex(/^[0-9a-f]{64}$/),
    purposes: z.array(z.enum(PURPOSE_IDS)).min(1).max(PURPOSE_IDS.length),
  })
  .strict();

export const withdrawConsentBody = z
  .object({ reason: z.string().trim().max(500).optional() })
  .strict()
  .optional();

export const consentRecordView = z.object({
  schema: z.literal('tributary:consent-record/1'),
  recordId: z.string(),
  dataSubject: z.object({ id: z.string() }),
  controller: z.object({ name: z.string(), jurisdiction: z.string() }),
  notice: z.object({ id: z.string(), language: z.string(), version: z.string(), sha256: z.string() }),
  purposes: z.array(z.object({ id: z.string(), dpv: z.string() })),
  lawfulBasis: z.string(),
  jurisdiction: z.string(),
  license: z.string(),
  status: z.enum(['dpv:ConsentGiven', 'dpv:ConsentWithdrawn']),
  active: z.boolean(),
  events: z.array(z.object({ type: z.string(), at: z.string(), reason: z.string().optional() })),
});

export const withdrawalView = z.object({ record: consentRecordView, withdrawnSamples: z.number() });
