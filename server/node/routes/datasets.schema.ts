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

/** What a withdrawal feed answers: signed notices after the cursor, and the cursor to ask from next. */
export const withdrawalFeedView = z.object({
  notices: z.array(z.object({ seq: z.number(), envelope: envelopeView })),
  next: z.number(),
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

/** The access token is shown once, here; the node keeps only its hash. */
export const accessGrantedView = z.object({ grant: grantView, token: z.string() });

export const receiptView = z.object({
  seq: z.number(),
  grantId: z.string(),
  grantName: z.string(),
  datasetId: z.string(),
  version: z.string(),
  shard: z.string(),
  range: z.string().nullable(),
  at: z.string(),
});

export const withdrawalsQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const noticeKind = z.enum(['withdrawal', 'retraction', 'access-change']);

export const noticesQuery = withdrawalsQuery.extend({
  dataset: datasetParams.shape.id.optional(),
  kind: noticeKind.optional(),
});

export const noticeParams = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/) });

/** A signed notice of any kind, with its place in the node's feed. */
export const noticeView = z.object({
  seq: z.number(),
  id: z.string(),
  kind: noticeKind,
  dataset: z.string(),
  envelope: envelopeView,
});

/** Every signed notice of the node (withdrawals, retractions, access changes) after the cursor. */
export const noticeFeedView = z.object({ notices: z.array(noticeView), next: z.number() });

/** A dataset as its operators see it. */
export const datasetStateView = z.object({
  id: z.string(),
  language: z.string(),
  modality: z.enum(['text', 'speech']),
  accessClass: z.enum(['open', 'gated', 'on-request']),
  status: z.enum(['current', 'retracted']),
  version: z.string(),
  records: z.number(),
  published: z.string(),
  retractedAt: z.string().nullable(),
  retractionReason: z.string().nullable(),
  pendingRedaction: z.object({ records: z.number(), since: z.string(), due: z.string() }).nullable(),
});

const noticeRefView = z.object({ id: z.string(), seq: z.number() });

export const retractionBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();
export const retractionView = z.object({ dataset: datasetStateView, notice: noticeRefView });

export const accessChangeBody = z.object({ accessClass: z.enum(['open', 'gated', 'on-request']) }).strict();
export const accessChangeView = z.object({ dataset: datasetStateView, changed: z.boolean(), notice: noticeRefView.nullable() });

export const buildBody = z
  .object({
    language: z.string().min(1).max(35),
    modality: z.enum(['text', 'speech']),
    license: z.string().max(64).optional(),
    purposes: z.array(z.enum(PURPOSE_IDS)).min(1).optional(),
    format: z.enum(['parquet', 'webdataset']).optional(),
    seed: z.number().int().min(0).max(2 ** 31).optional(),
    accessClass: z.enum(['open', 'gated', 'on-request']).optional(),
    /** Publish a dataset the community retracted: refused (UnretractRequired) without it. */
    unretract: z.boolean().optional(),
  })
  .strict();

/** Builds asked of this node process (POST /admin/releases) that are running now, and how far each has got. */
export const buildsInProgressView = z.object({
  builds: z.array(
    z.object({
      datasetId: z.string(),
      startedAt: z.string(),
      progress: z.discriminatedUnion('phase', [
        z.object({ phase: z.literal('selecting') }),
        z.object({
          phase: z.literal('writing'),
          split: z.string(),
          records: z.number().describe('records written so far, over every split'),
          totalRecords: z.number(),
          bytes: z.number(),
        }),
        z.object({ phase: z.literal('signing') }),
        z.object({ phase: z.literal('publishing') }),
      ]),
    }),
  ),
});

/**
 * A built release as an admin sees it: without the speaker salt, which would link the
 * pseudonyms back to people, nor the envelope, which is served at /manifest.
 */
export const releaseSummaryView = z.object({
  release: z.object({
    id: z.string(),
    datasetId: z.string(),
    version: z.string(),
    rev: z.number(),
    status: z.enum(['current', 'superseded']),
    dir: z.string().describe('the release folder, relative to the node’s releases folder'),
    license: z.string(),
    purposes: z.array(z.string()),
    format: z.enum(['parquet', 'webdataset']),
    seed: z.number(),
    manifestSha256: z.string(),
    records: z.number(),
    createdAt: z.string(),
    supersededAt: z.string().nullable(),
  }),
  shards: z.array(
    z.object({ releaseId: z.string(), name: z.string(), split: z.string(), sha256: z.string(), bytes: z.number(), records: z.number() }),
  ),
  change: z.enum(['initial', 'major', 'minor', 'none']),
  added: z.number(),
  removed: z.number(),
});
