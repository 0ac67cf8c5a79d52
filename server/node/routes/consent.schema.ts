import { z } from 'zod';
import { consentRecordSchema } from '../domain/consent-record.js';
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

/** My consent records, oldest first; a record's shape is the domain's (consent-record.ts). */
export const consentListView = z.object({ records: z.array(consentRecordSchema) });

export const withdrawalView = z.object({ record: consentRecordSchema, withdrawnSamples: z.number() });
