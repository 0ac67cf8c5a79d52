import { z } from 'zod';
import { consentRecordSchema } from '../domain/consent-record.js';
import { limitQuery } from './common.schema.js';
import { audioFactsView, lidView, sampleView } from './samples.schema.js';

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

const storedSample = z.object({
  id: z.string(),
  contributorId: z.string(),
  consentRecordId: z.string(),
  modality: z.enum(['text', 'speech']),
  language: z.string(),
  iso639_3: z.string(),
  text: z.string().nullable(),
  promptId: z.string().nullable(),
  lid: lidView.nullable(),
  audio: z
    .object({
      originalKey: z.string(),
      originalType: z.string(),
      sha256: z.string(),
      normalizedKey: z.string(),
      facts: audioFactsView,
      flags: z.array(z.string()),
    })
    .nullable(),
  license: z.string(),
  status: z.enum(['pending', 'validated', 'rejected', 'withdrawn']),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  withdrawnAt: z.string().nullable(),
});

const storedVote = z.object({ targetId: z.string(), contributorId: z.string(), value: z.enum(['up', 'down', 'skip']), createdAt: z.string() });

/** Everything the node holds about the caller (`GET /me/export`), as stored. */
export const dataExportView = z.object({
  format: z.literal('tributary:export/1'),
  exportedAt: z.string(),
  node: z.object({ name: z.string(), url: z.string().nullable() }),
  contributor: profileView.extend({ erasedAt: z.string().nullable() }),
  tokens: z.array(z.object({ createdAt: z.string(), revokedAt: z.string().nullable() })),
  consentRecords: z.array(consentRecordSchema),
  samples: z.array(storedSample),
  votes: z.object({ samples: z.array(storedVote), prompts: z.array(storedVote) }),
  reports: z.array(
    z.object({
      id: z.string(),
      sampleId: z.string().nullable(),
      promptId: z.string().nullable(),
      reporterId: z.string(),
      reason: z.string(),
      detail: z.string().nullable(),
      status: z.enum(['open', 'dismissed', 'upheld']),
      createdAt: z.string(),
      resolvedAt: z.string().nullable(),
      resolvedBy: z.string().nullable(),
    }),
  ),
  proposedPrompts: z.array(
    z.object({
      id: z.string(),
      language: z.string(),
      text: z.string(),
      source: z.string().nullable(),
      license: z.string(),
      status: z.enum(['pending', 'accepted', 'rejected']),
      proposedBy: z.string().nullable(),
      createdAt: z.string(),
      decidedAt: z.string().nullable(),
    }),
  ),
});

/** `GET /me/samples`: a cursor from the previous page's `nextCursor`. */
export const mySamplesQuery = z.object({
  cursor: z.string().min(1).max(64).optional(),
  limit: limitQuery,
});

const statusCounts = z.object({ pending: z.number(), validated: z.number(), rejected: z.number(), withdrawn: z.number() });

/** The caller's own samples, newest first, with counts over all of them (not only this page). */
export const mySamplesView = z.object({
  samples: z.array(sampleView),
  counts: statusCounts,
  nextCursor: z.string().nullable(),
});
