import type { NodeRoute } from '../auth.js';
import { consentRecordSchema } from '../domain/consent-record.js';
import type { ConsentService } from '../services/consent.js';
import {
  consentListView,
  giveConsentBody,
  noticeQuery,
  noticeView,
  withdrawalView,
  withdrawConsentBody,
} from './consent.schema.js';
import { idParams } from './common.schema.js';
import { notice } from './views.js';

export function consentRoutes(route: NodeRoute, consent: ConsentService): void {
  route({
    method: 'get',
    path: '/consent/notice',
    tag: 'consent',
    summary: 'The consent notice to show, in the requested UI locale (falls back to English)',
    access: 'public',
    query: noticeQuery,
    response: noticeView,
    handler: ({ query }) => notice(consent.notice(query.lang)),
  });

  route({
    method: 'post',
    path: '/consents',
    tag: 'consent',
    summary: 'Record consent to the notice shown (id + sha256) for the chosen purposes',
    access: 'contributor',
    body: giveConsentBody,
    status: 201,
    response: consentRecordSchema,
    errors: ['NoticeChanged', 'PurposeNotOffered', 'RequiredPurposeMissing'],
    handler: ({ principal, body }) => consent.give(principal, body),
  });

  route({
    method: 'get',
    path: '/consents',
    tag: 'consent',
    summary: 'My consent records with their events',
    access: 'contributor',
    response: consentListView,
    handler: ({ principal }) => ({ records: consent.recordsOf(principal) }),
  });

  route({
    method: 'delete',
    path: '/consents/:id',
    tag: 'consent',
    summary: 'Withdraw a consent record; every sample given under it is withdrawn at once',
    access: 'contributor',
    params: idParams,
    body: withdrawConsentBody,
    response: withdrawalView,
    errors: ['NotFound', 'ConsentWithdrawn'],
    handler: ({ principal, params, body }) => consent.withdraw(principal, params.id, body?.reason ?? null),
  });
}
