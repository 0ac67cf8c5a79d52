import { defineError } from '../../pipelines/errors.js';
import { CORE_STATUSES, type StatusTable } from '../core/errors.js';

/**
 * What an index refuses, beyond what every service may (server/core/errors.ts). Services throw
 * these; `INDEX_STATUSES` is the one place their HTTP statuses are decided. Refusals of a signed
 * thing from a node are permanent for that thing (a 4xx): a publisher retrying it gets the same
 * answer, and the index's state is unchanged by it.
 *
 * The manifest codes are the ones `verifyRelease` gives (pipelines/release/verify/problems.ts):
 * an index refuses a pushed manifest for the same reasons a trainer would.
 */
export const EnvelopeMalformedError = defineError('EnvelopeMalformed', 'The body is not a DSSE envelope {payloadType, payload, signatures}.');
export const ManifestPayloadTypeError = defineError('ManifestPayloadType', 'This signed document is not a dataset manifest.');
export const ManifestSignerUnknownError = defineError(
  'ManifestSignerUnknown',
  'The manifest is not signed by any key the index holds for its node.',
);
export const ManifestSignatureInvalidError = defineError(
  'ManifestSignatureInvalid',
  'The manifest’s signature does not match its content.',
);
export const ManifestMalformedError = defineError('ManifestMalformed', 'The signed manifest is not a valid Tributary manifest.');
export const ManifestWrongNodeError = defineError('ManifestWrongNode', 'The manifest names another node than the one that signed it.');
export const ManifestExpiredError = defineError('ManifestExpired', 'The manifest has expired; sign it again.');

export const StatementPayloadTypeError = defineError(
  'StatementPayloadType',
  'This signed statement is not of a kind this route takes.',
);
export const StatementSignatureInvalidError = defineError(
  'StatementSignatureInvalid',
  'The statement is not signed by a key the index holds for its node.',
);
export const StatementMalformedError = defineError('StatementMalformed', 'The signed statement is not a valid Tributary statement.');
export const StatementExpiredError = defineError('StatementExpired', 'The statement has expired.');

export const DatabaseUnreachableError = defineError('DatabaseUnreachable', 'The index cannot reach its database just now.');

export const NodeNotRegisteredError = defineError('NodeNotRegistered', 'This index does not know the node; register it first (POST /nodes).');
export const NodeSuspendedError = defineError('NodeSuspended', 'The index’s operator has suspended this node.');
export const RegistrationDidMismatchError = defineError(
  'RegistrationDidMismatch',
  'The node’s DID does not match its keys or its URL.',
);
export const RegistrationInvalidError = defineError(
  'RegistrationInvalid',
  'The registration’s keys do not hold together (one signing and one rotation key, chained by the rotation statements).',
);
export const RegistrationStaleError = defineError(
  'RegistrationStale',
  'The index holds a newer registration of this node.',
);
export const NodeUnreachableError = defineError(
  'NodeUnreachable',
  'The index could not read the node’s /.well-known/tributary.json to confirm its keys.',
);
export const WellKnownMismatchError = defineError(
  'WellKnownMismatch',
  'The node’s /.well-known/tributary.json names another DID or other keys than the registration.',
);
export const KeyChangeRefusedError = defineError(
  'KeyChangeRefused',
  'The node’s keys differ from those the index pinned, and no rotation statement signed by its rotation key leads to them.',
);

export const RevNotIncreasingError = defineError(
  'RevNotIncreasing',
  'The index holds a newer manifest of this dataset (a higher tributary:rev).',
);
export const RevConflictError = defineError(
  'RevConflict',
  'The index holds another manifest of this dataset with the same tributary:rev.',
);
export const ContentUrlOffNodeError = defineError(
  'ContentUrlOffNode',
  'A shard’s contentUrl is not under the node’s registered URL.',
);
export const DatasetRetractedError = defineError('DatasetRetracted', 'The community has retracted this dataset.');
export const UnknownDatasetError = defineError('UnknownDataset', 'The index holds no manifest of this dataset.');
export const UnknownReleaseError = defineError('UnknownRelease', 'The index holds no manifest of this release version.');
export const UnknownShardError = defineError('UnknownShard', 'The notice names a shard that the release’s manifest does not list.');
export const NoticeConflictError = defineError('NoticeConflict', 'The index holds another notice with this id.');
export const NoticeOutOfOrderError = defineError(
  'NoticeOutOfOrder',
  'The index holds a newer access change of this dataset.',
);
export const HeartbeatReplayedError = defineError(
  'HeartbeatReplayed',
  'The index holds a heartbeat with this sequence number or a higher one.',
);
export const ManifestNotFoundError = defineError('ManifestNotFound', 'The index holds no manifest with this id.');
export const NodeNotFoundError = defineError('NodeNotFound', 'The index knows no node with this DID.');
export const IndexBusyError = defineError('IndexBusy', 'The index is busy writing; try again shortly.');
/** A harvest stopped by the index itself (it is closing); never an answer to a request. */
export const HarvestStoppedError = defineError('HarvestStopped', 'The index stopped the harvest (it is shutting down).');

export const INDEX_STATUSES: StatusTable = {
  ...CORE_STATUSES,
  EnvelopeMalformed: 400,
  ManifestPayloadType: 422,
  ManifestSignerUnknown: 422,
  ManifestSignatureInvalid: 422,
  ManifestMalformed: 422,
  ManifestWrongNode: 422,
  ManifestExpired: 422,
  StatementPayloadType: 422,
  StatementSignatureInvalid: 422,
  StatementMalformed: 422,
  StatementExpired: 422,
  NodeNotRegistered: 403,
  NodeSuspended: 403,
  RegistrationDidMismatch: 422,
  RegistrationInvalid: 422,
  RegistrationStale: 409,
  NodeUnreachable: 422,
  WellKnownMismatch: 422,
  KeyChangeRefused: 409,
  RevNotIncreasing: 409,
  RevConflict: 409,
  ContentUrlOffNode: 422,
  DatasetRetracted: 409,
  UnknownDataset: 422,
  UnknownRelease: 422,
  UnknownShard: 422,
  NoticeConflict: 409,
  NoticeOutOfOrder: 409,
  HeartbeatReplayed: 409,
  IndexBusy: 503,
  DatabaseUnreachable: 503,
  HarvestStopped: 503,
  ManifestNotFound: 404,
  NodeNotFound: 404,
  // A proof for a position or size the log does not have (pipelines/transparency).
  InvalidTreeRequest: 400,
};
