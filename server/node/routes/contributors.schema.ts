import { z } from 'zod';

const demographic = z.string().trim().min(1).max(64).nullable().optional();

export const demographicsBody = z
  .object({
    ageBand: z.enum(['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75+']).nullable().optional(),
    gender: demographic,
    variant: demographic,
    accent: demographic,
  })
  .strict();

/** Bounded here; cleaned and checked against reserved names by the contributor service. */
const pseudonym = z.string().max(200);

export const registerBody = z
  .object({ pseudonym: pseudonym.optional(), demographics: demographicsBody.optional() })
  .strict()
  .default({});

export const profileBody = demographicsBody.extend({ pseudonym: pseudonym.optional() }).strict();

export const profileView = z.object({
  id: z.string(),
  pseudonym: z.string(),
  role: z.enum(['volunteer', 'reviewer', 'admin']),
  ageBand: z.string().nullable(),
  gender: z.string().nullable(),
  variant: z.string().nullable(),
  accent: z.string().nullable(),
  createdAt: z.string(),
});

export const registeredView = z.object({
  contributor: profileView,
  token: z.string().describe('Bearer token; shown once, stored only as a hash'),
});

export const erasureView = z.object({
  withdrawnConsentRecords: z.number(),
  withdrawnSamples: z.number(),
  erasedAt: z.string(),
});
