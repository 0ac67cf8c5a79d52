import { hash } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import { TributaryError } from '../../../pipelines/errors.js';
import type { NodeRoute } from '../auth.js';
import { canPresign, type BlobStore } from '../../core/blob-store.js';
import { sendBlob } from '../../core/send-blob.js';
import { bearerToken } from '../../core/tokens.js';
import type { DatasetAuthority } from '../services/dataset-authority.js';
import type { DatasetService, NoticeLink } from '../services/datasets.js';
import { buildSummary, type ReleaseBuilder } from '../services/release-builder.js';
import { idParams, limitQuery } from './common.schema.js';
import {
  accessChangeBody,
  accessChangeView,
  accessGrantedView,
  accessRequestBody,
  buildBody,
  buildsInProgressView,
  datasetParams,
  datasetStateView,
  datasetView,
  envelopeView,
  grantView,
  noticeFeedView,
  noticeParams,
  noticesQuery,
  noticeView,
  receiptView,
  releaseSummaryView,
  retractionBody,
  retractionView,
  shardParams,
  versionQuery,
  withdrawalFeedView,
  withdrawalsQuery,
} from './datasets.schema.js';
import type { StoredNotice } from '../stores/notices.js';
import { grant } from './views.js';

const SHARD_TYPES: Record<string, string> = { parquet: 'application/vnd.apache.parquet', tar: 'application/x-tar' };

export function datasetRoutes(
  route: NodeRoute,
  services: {
    datasets: DatasetService;
    authority: DatasetAuthority;
    releaseBuilder: ReleaseBuilder;
    releaseFiles: BlobStore;
    storage: { shardRedirectSeconds?: number };
  },
): void {
  const { datasets, authority } = services;

  route({
    method: 'get',
    path: '/datasets',
    tag: 'datasets',
    summary: 'Current releases of this node’s datasets',
    access: 'public',
    response: z.object({ datasets: z.array(datasetView) }),
    handler: () => ({ datasets: datasets.list() }),
  });

  route({
    method: 'get',
    path: '/datasets/:id/manifest',
    tag: 'datasets',
    summary: 'The signed Croissant manifest (a DSSE envelope) of the current or a given version; a retracted dataset answers 410',
    access: 'public',
    params: datasetParams,
    query: versionQuery,
    response: envelopeView,
    errors: ['NotFound', 'DatasetRetracted'],
    handler: ({ params, query, res }) => {
      // Sent as stored: the same bytes every time, so copies stay verifiable.
      const envelope = linkingNotices(res, () => datasets.envelope(params.id, query.version));
      res.setHeader('ETag', strongTag(envelope));
      res.type('application/json').send(envelope);
    },
  });

  route({
    method: 'get',
    path: '/datasets/:id/card',
    tag: 'datasets',
    summary: 'The dataset card (Hugging Face README.md) of the current release',
    access: 'public',
    params: datasetParams,
    response: z.string(),
    errors: ['NotFound', 'DatasetRetracted'],
    handler: async ({ params, res }) => {
      const card = await linkingNotices(res, () => datasets.card(params.id));
      res.setHeader('ETag', strongTag(card));
      res.type('text/markdown; charset=utf-8').send(card);
    },
  });

  route({
    method: 'get',
    path: '/datasets/:id/shards/*name',
    tag: 'datasets',
    summary:
      'Download a shard (Range supported); gated datasets need the access token; superseded releases, shards holding ' +
      'withdrawn records and retracted datasets answer 410, with a Link to the signed notices',
    access: 'public',
    params: shardParams,
    query: versionQuery,
    response: z.string().describe('shard bytes'),
    errors: [
      'NotFound',
      'AccessTokenRequired',
      'AccessPending',
      'AccessRefused',
      'ReleaseSuperseded',
      'ShardWithdrawn',
      'DatasetRetracted',
      'RangeNotSatisfiable',
    ],
    handler: async ({ params, query, req, res }) => {
      const download = linkingNotices(res, () => datasets.shard(params.id, params.name, query.version, bearerToken(req.headers.authorization)));
      const extension = download.shard.name.split('.').pop() ?? '';
      res.setHeader('ETag', `"sha256-${download.shard.sha256}"`);
      datasets.recordDownload(download, req.headers.range ?? null);
      const type = SHARD_TYPES[extension] ?? 'application/octet-stream';
      const redirectSeconds = services.storage.shardRedirectSeconds;
      if (redirectSeconds !== undefined && canPresign(services.releaseFiles)) {
        // Checked and recorded here; the bytes come from the store. The URL expires, so the
        // redirect itself is never cached.
        const url = await services.releaseFiles.presignedUrl(download.key, { expiresInSeconds: redirectSeconds, fileName: download.shard.name, contentType: type });
        res.setHeader('Cache-Control', 'no-store');
        res.redirect(302, url);
        return;
      }
      await sendBlob(req, res, services.releaseFiles, {
        key: download.key,
        type,
        // Shards are immutable: a version's shard never changes.
        cacheControl: download.grant ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable',
      });
    },
  });

  route({
    method: 'post',
    path: '/datasets/:id/access',
    tag: 'datasets',
    summary: 'Ask for access to a gated or on-request dataset, accepting its terms; returns a token once',
    access: 'public',
    params: datasetParams,
    body: accessRequestBody,
    status: 201,
    response: accessGrantedView,
    errors: ['NotFound', 'DatasetRetracted'],
    handler: ({ params, body, res }) => {
      const granted = linkingNotices(res, () => datasets.requestAccess(params.id, body));
      return { grant: grant(granted.grant), token: granted.token };
    },
  });

  route({
    method: 'get',
    path: '/withdrawals',
    tag: 'datasets',
    summary: 'Signed withdrawal notices after a cursor (append-only); trainers must drop the records named',
    access: 'public',
    query: withdrawalsQuery,
    response: withdrawalFeedView,
    handler: ({ query }) => {
      const notices = datasets.noticeFeed(query.since, query.limit, { kind: 'withdrawal' });
      return {
        // Stored as the signed JSON text; parsed only to nest it in the answer.
        notices: notices.map((n) => ({ seq: n.seq, envelope: JSON.parse(n.envelope) as z.input<typeof envelopeView> })),
        next: notices.at(-1)?.seq ?? query.since,
      };
    },
  });

  route({
    method: 'get',
    path: '/notices',
    tag: 'datasets',
    summary: 'Every signed notice (withdrawals, retractions, access changes) after a cursor, append-only; of one dataset or kind if asked',
    access: 'public',
    query: noticesQuery,
    response: noticeFeedView,
    handler: ({ query }) => {
      const notices = datasets.noticeFeed(query.since, query.limit, { kind: query.kind, datasetId: query.dataset });
      return { notices: notices.map(noticeOf), next: notices.at(-1)?.seq ?? query.since };
    },
  });

  route({
    method: 'get',
    path: '/notices/:id',
    tag: 'datasets',
    summary: 'One signed notice, as a refusal (410) links to it',
    access: 'public',
    params: noticeParams,
    response: noticeView,
    errors: ['NotFound'],
    handler: ({ params }) => noticeOf(datasets.notice(params.id)),
  });

  route({
    method: 'post',
    path: '/admin/releases',
    tag: 'admin',
    summary: 'Build, sign and publish a release of a language and modality',
    access: 'admin',
    body: buildBody,
    status: 201,
    response: releaseSummaryView,
    errors: ['NothingToRelease', 'ReleaseUnchanged', 'LanguageNotSupported', 'UnretractRequired', 'ReleaseBuildConflict'],
    handler: async ({ body }) => buildSummary(await services.releaseBuilder.build(body)),
  });

  route({
    method: 'get',
    path: '/admin/releases/building',
    tag: 'admin',
    summary: 'Builds asked of this node process (POST /admin/releases) that are running now, and how far each has got (selecting, writing with records done of all, signing, publishing); automatic redactions show as pendingRedaction in /admin/datasets',
    access: 'admin',
    response: buildsInProgressView,
    handler: () => ({ builds: services.releaseBuilder.inProgress() }),
  });

  route({
    method: 'get',
    path: '/admin/datasets',
    tag: 'admin',
    summary: 'Every dataset: its version, status (current or retracted), access class, records, and any rebuild due after withdrawals',
    access: 'admin',
    response: z.object({ datasets: z.array(datasetStateView) }),
    handler: () => ({ datasets: authority.list() }),
  });

  route({
    method: 'post',
    path: '/admin/datasets/:id/retraction',
    tag: 'admin',
    summary: 'Retract a dataset (the community takes it back): 410 everywhere at once, its files removed, a signed notice for the index',
    access: 'admin',
    params: datasetParams,
    body: retractionBody,
    status: 201,
    response: retractionView,
    errors: ['NotFound', 'DatasetRetracted'],
    handler: ({ params, body }) => authority.retract(params.id, body.reason),
  });

  route({
    method: 'put',
    path: '/admin/datasets/:id/access',
    tag: 'admin',
    summary: 'Change who may download a dataset (open, gated, on-request), at once, with a signed notice for the index',
    access: 'admin',
    params: datasetParams,
    body: accessChangeBody,
    response: accessChangeView,
    errors: ['NotFound', 'DatasetRetracted'],
    handler: ({ params, body }) => authority.setAccess(params.id, body.accessClass),
  });

  route({
    method: 'get',
    path: '/admin/access-requests',
    tag: 'admin',
    summary: 'Access requests and grants, optionally by status',
    access: 'admin',
    query: z.object({ status: z.enum(['pending', 'approved', 'refused', 'revoked']).optional(), limit: limitQuery }),
    response: z.object({ grants: z.array(grantView) }),
    handler: ({ query }) => ({ grants: datasets.grants(query.status ?? '').slice(0, query.limit).map(grant) }),
  });

  route({
    method: 'post',
    path: '/admin/access-requests/:id/decision',
    tag: 'admin',
    summary: 'Approve, refuse or revoke access',
    access: 'admin',
    params: idParams,
    body: z.object({ decision: z.enum(['approved', 'refused', 'revoked']) }).strict(),
    response: grantView,
    handler: ({ principal, params, body }) => grant(datasets.decide(principal.id, params.id, body.decision)),
  });

  route({
    method: 'get',
    path: '/admin/receipts',
    tag: 'admin',
    summary: 'Download receipts of gated and on-request datasets: who downloaded which shard, when',
    access: 'admin',
    query: z.object({ dataset: z.string().max(80).optional() }),
    response: z.object({ receipts: z.array(receiptView) }),
    handler: ({ query }) => ({ receipts: datasets.receipts(query.dataset) }),
  });
}

function noticeOf(notice: StoredNotice): z.input<typeof noticeView> {
  // Stored as the signed JSON text; parsed only to nest it in the answer.
  return { seq: notice.seq, id: notice.id, kind: notice.kind, dataset: notice.datasetId, envelope: JSON.parse(notice.envelope) as z.input<typeof envelopeView> };
}

/**
 * Runs `serve`; when it refuses because of what a notice says (a withdrawn shard, a retracted
 * dataset), the answer links to the signed notices (RFC 8288) besides naming them in its details,
 * so a client that only reads headers (a download manager, a HEAD) finds why.
 */
function linkingNotices<T>(res: Response, serve: () => T): T {
  const link = (error: unknown) => {
    if (!(error instanceof TributaryError) || !['ShardWithdrawn', 'DatasetRetracted'].includes(error.code)) return;
    const details = error.details as { notices: NoticeLink[]; feed: string };
    res.setHeader('Link', [
      ...details.notices.map((notice) => `<${notice.url}>; rel="describedby"; type="application/json"`),
      `<${details.feed}>; rel="related"; type="application/json"`,
    ]);
  };
  try {
    const served = serve();
    if (served instanceof Promise) return served.catch((error: unknown) => {
      link(error);
      throw error;
    }) as T;
    return served;
  } catch (error) {
    link(error);
    throw error;
  }
}

/** A validator for a small text answer, so index crawlers and trainers can ask "changed?" (304). */
function strongTag(body: string): string {
  return `"sha256-${hash('sha256', body, 'base64url')}"`;
}
