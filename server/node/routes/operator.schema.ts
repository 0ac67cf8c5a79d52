import { z } from 'zod';
import { profileView } from './contributors.schema.js';
import { importView } from './prompts.schema.js';

export const overviewQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });

/** Samples made on a day, by the status they hold now, zero included. */
const dailyView = z.object({
  day: z.string().describe('YYYY-MM-DD, UTC'),
  language: z.string(),
  modality: z.enum(['text', 'speech']),
  pending: z.number(),
  validated: z.number(),
  rejected: z.number(),
  withdrawn: z.number(),
});

export const overviewView = z.object({
  settings: z.object({
    name: z.string(),
    url: z.string().nullable(),
    languages: z.array(z.string()),
    jurisdiction: z.string(),
    license: z.string(),
    purposes: z.array(z.string()),
    requiredPurposes: z.array(z.string()),
    quorum: z.object({ validateAt: z.number(), rejectAt: z.number() }),
    audio: z.object({ minSeconds: z.number(), maxSeconds: z.number(), maxBytes: z.number() }),
    redactAfterSeconds: z.number(),
    indexes: z.array(z.string()),
  }),
  contributors: z.object({ volunteer: z.number(), reviewer: z.number(), admin: z.number() }),
  days: z.number(),
  daily: z.array(dailyView),
});

export const publishingView = z.object({
  indexes: z.array(
    z.object({
      index: z.string(),
      /** In node.json now; an index removed from it keeps its delivery history here. */
      configured: z.boolean(),
      registered: z.boolean(),
      failures: z.number(),
      nextAttemptAt: z.string().nullable(),
      lastError: z.string().nullable(),
      lastDeliveredAt: z.string().nullable(),
      refused: z.number(),
      lastRefusal: z.string().nullable(),
      /** Null until the node first tries the index (its outbox is counted from its cursors). */
      backlog: z.object({ manifests: z.number(), notices: z.number() }).nullable(),
    }),
  ),
});

export const promptFileBody = z
  .object({
    language: z.string().min(1).max(35),
    /** The file's name: a .tsv holds columns (sentence, source, license, or as its header line names them). */
    fileName: z.string().min(1).max(255),
    text: z.string().min(1).max(2_000_000),
    source: z.string().trim().max(200).optional(),
    license: z.string().max(64).optional(),
    force: z.boolean().optional(),
  })
  .strict();

export const promptFileView = importView.extend({
  lines: z.number().describe('sentences read from the file'),
  headerSkipped: z.boolean(),
});

/** A contributor as an admin sees them when giving roles: no profile details beyond the pseudonym. */
export const staffMemberView = profileView.pick({ id: true, pseudonym: true, role: true, createdAt: true });
export const staffView = z.object({ contributors: z.array(staffMemberView) });
