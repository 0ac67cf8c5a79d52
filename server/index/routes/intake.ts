import { envelopeBodySchema } from '../domain/envelope.js';
import type { Intake } from '../services/intake.js';
import { heartbeatAcceptedView, manifestAcceptedView, noticeAcceptedView } from './intake.schema.js';
import type { IndexRoute } from './route.js';

const SIGNED = ['InvalidRequest', 'MalformedJson', 'PayloadTooLarge', 'NodeNotRegistered', 'NodeSuspended'];

export function intakeRoutes(route: IndexRoute, intake: Intake): void {
  route({
    method: 'post',
    path: '/manifests',
    tag: 'intake',
    summary: 'Push a signed release manifest (the DSSE envelope as JSON); a newer rev supersedes the dataset’s current manifest',
    access: 'public',
    body: envelopeBodySchema,
    response: manifestAcceptedView,
    errors: [
      ...SIGNED,
      'ManifestPayloadType',
      'ManifestSignerUnknown',
      'ManifestSignatureInvalid',
      'ManifestMalformed',
      'ManifestWrongNode',
      'ManifestExpired',
      'ContentUrlOffNode',
      'RevNotIncreasing',
      'RevConflict',
      'DatasetRetracted',
    ],
    handler: ({ body }) => intake.manifest(body),
  });

  route({
    method: 'post',
    path: '/notices',
    tag: 'intake',
    summary: 'Push a signed withdrawal, retraction or access-change notice',
    access: 'public',
    body: envelopeBodySchema,
    response: noticeAcceptedView,
    errors: [
      ...SIGNED,
      'StatementPayloadType',
      'StatementSignatureInvalid',
      'StatementMalformed',
      'UnknownRelease',
      'UnknownShard',
      'UnknownDataset',
      'DatasetRetracted',
      'NoticeConflict',
      'NoticeOutOfOrder',
    ],
    handler: ({ body }) => intake.notice(body),
  });

  route({
    method: 'post',
    path: '/heartbeats',
    tag: 'intake',
    summary: 'Push a signed heartbeat; answers with the listed datasets whose manifest the index lacks',
    access: 'public',
    body: envelopeBodySchema,
    response: heartbeatAcceptedView,
    errors: [...SIGNED, 'StatementPayloadType', 'StatementSignatureInvalid', 'StatementMalformed', 'StatementExpired', 'HeartbeatReplayed'],
    handler: ({ body }) => intake.heartbeat(body),
  });
}
