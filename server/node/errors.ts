import { TributaryError, defineError } from '../../pipelines/errors.js';
import { AUDIO_PROBLEMS } from '../../pipelines/audio/screen.js';
import { TEXT_PROBLEMS } from '../../pipelines/text/check.js';
import { CORE_STATUSES, type StatusTable } from '../core/errors.js';

/**
 * What a node refuses, beyond what every service may (server/core/errors.ts). Services throw
 * these; `NODE_STATUSES` is the one place their HTTP statuses are decided.
 */
export const AdminRequiredError = defineError('AdminRequired', 'This needs an admin token.');
export const ReviewerRequiredError = defineError('ReviewerRequired', 'This needs a reviewer or admin token.');
export const ConsentRequiredError = defineError(
  'ConsentRequired',
  'An active consent record covering this node’s purposes is needed before contributing.',
);
export const OwnSampleError = defineError('OwnSample', 'You cannot vote on your own contribution.');
export const AlreadyVotedError = defineError('AlreadyVoted', 'You have already voted on this.');
export const AlreadyReportedError = defineError('AlreadyReported', 'You have already reported this.');
export const VotingClosedError = defineError('VotingClosed', 'Voting on this is closed: it has already been decided.');
export const DuplicateTextError = defineError('DuplicateText', 'This text has already been contributed.');
export const DuplicatePromptError = defineError('DuplicatePrompt', 'This sentence is already on the node.');
export const ConsentWithdrawnError = defineError('ConsentWithdrawn', 'This consent record has already been withdrawn.');
export const NoticeChangedError = defineError(
  'NoticeChanged',
  'The consent notice has changed since it was shown; show the current notice again.',
);
export const ReportResolvedError = defineError('ReportResolved', 'This report has already been resolved.');
export const SampleOnHoldError = defineError(
  'SampleOnHold',
  'This sample has been reported and waits for a moderator.',
);
export const LastAdminError = defineError('LastAdmin', 'The node must keep at least one admin.');
export const SampleWithdrawnError = defineError(
  'SampleWithdrawn',
  'This sample has been withdrawn by its contributor.',
);
export const PromptNotFoundError = defineError('PromptNotFound', 'That sentence is not available for recording.');
export const AudioTooLargeError = defineError('AudioTooLarge', 'The recording file is too large.');
export const AudioMissingError = defineError('AudioMissing', 'Send the recording in the multipart field "audio".');
export const NothingToReleaseError = defineError(
  'NothingToRelease',
  'No validated samples with matching consent are available for this release.',
);
export const ReleaseUnchangedError = defineError(
  'ReleaseUnchanged',
  'Nothing has changed since the current release; no new version was made.',
);
export const ReleaseSupersededError = defineError(
  'ReleaseSuperseded',
  'This release has been superseded; fetch the current manifest.',
);
export const AccessTokenRequiredError = defineError(
  'AccessTokenRequired',
  'This dataset is gated: request access and send the token you are given.',
);
export const AccessPendingError = defineError(
  'AccessPending',
  'Your access request waits for the community’s decision.',
);
export const AccessRefusedError = defineError('AccessRefused', 'Access to this dataset was refused or revoked.');
export const LanguageNotSupportedError = defineError(
  'LanguageNotSupported',
  'This node does not collect that language.',
);
export const PseudonymNotAllowedError = defineError(
  'PseudonymNotAllowed',
  'That pseudonym cannot be used; choose another.',
);
export const InvalidLanguageTagError = defineError('InvalidLanguageTag', 'That is not a valid BCP-47 language tag.');
export const PurposeNotOfferedError = defineError('PurposeNotOffered', 'That purpose is not offered by this node.');
export const RequiredPurposeMissingError = defineError(
  'RequiredPurposeMissing',
  'Contributing to this node needs consent to all of its required purposes.',
);
export const UploadQuotaExceededError = defineError(
  'UploadQuotaExceeded',
  'You have too many unfinished uploads; finish or wait for them before starting another.',
);
export const NodeStorageFullError = defineError(
  'NodeStorageFull',
  'The node has no room for more uploads right now; try again later.',
);
export const UnknownLicenseError = defineError(
  'UnknownLicense',
  'That is not an SPDX license id (such as CC-BY-4.0) nor a LicenseRef-… of the community’s own.',
);
export const ReleaseBuildConflictError = defineError(
  'ReleaseBuildConflict',
  'Another release of this dataset was published while this one was being built; build again.',
);
export const NodeUrlRequiredError = defineError(
  'NodeUrlRequired',
  'This node has no public URL, and what it signs must say where trainers reach it: set "url" in node.json to that address (e.g. https://sauti.example.org) and restart.',
);

export const ShardWithdrawnError = defineError(
  'ShardWithdrawn',
  'Records in this shard were withdrawn, so it is no longer served; the signed withdrawal notice names them, and the next version is built without them.',
);
export const DatasetRetractedError = defineError(
  'DatasetRetracted',
  'The community has retracted this dataset: it is no longer served, and copies should be deleted.',
);
export const UnretractRequiredError = defineError(
  'UnretractRequired',
  'The community retracted this dataset; publishing it again needs an explicit decision (release build --unretract, or "unretract": true).',
);

/**
 * A text or sentence the language rules refuse. The code is the rule's own problem code
 * (`TextTooLong`, `SentenceHasDigits`, …) so each gets its own translated explanation.
 */
export class TextProblemError extends TributaryError {
  constructor(problem: string, detail: string) {
    super(problem, detail);
  }
}

/** A clip the audio screening refuses; the code is the screening problem (`AudioSilent`, …). */
export class AudioProblemError extends TributaryError {
  constructor(problem: string, reason: string, details?: Record<string, unknown>) {
    super(problem, reason, details);
  }
}

/** An index the node publishes to refused what it was sent (its code and status are in details). */
export const IndexRefusedError = defineError('IndexRefused', 'The index refused what the node sent.');

export const NODE_STATUSES: StatusTable = {
  ...CORE_STATUSES,
  IndexRefused: 502,
  AdminRequired: 403,
  ReviewerRequired: 403,
  ConsentRequired: 403,
  OwnSample: 403,
  AlreadyVoted: 409,
  AlreadyReported: 409,
  VotingClosed: 409,
  DuplicateText: 409,
  DuplicatePrompt: 409,
  ConsentWithdrawn: 409,
  NoticeChanged: 409,
  ReportResolved: 409,
  SampleOnHold: 409,
  LastAdmin: 409,
  SampleWithdrawn: 410,
  PromptNotFound: 422,
  AudioTooLarge: 413,
  AudioMissing: 400,
  NothingToRelease: 409,
  ReleaseUnchanged: 409,
  ReleaseSuperseded: 410,
  AccessTokenRequired: 401,
  AccessPending: 403,
  AccessRefused: 403,
  LanguageNotSupported: 422,
  PseudonymNotAllowed: 422,
  InvalidLanguageTag: 422,
  PurposeNotOffered: 422,
  RequiredPurposeMissing: 422,
  UploadQuotaExceeded: 429,
  NodeStorageFull: 507,
  UnknownLicense: 422,
  NodeUrlRequired: 409,
  ReleaseBuildConflict: 409,
  ShardWithdrawn: 410,
  DatasetRetracted: 410,
  UnretractRequired: 409,
  ...Object.fromEntries(TEXT_PROBLEMS.map((code) => [code, 422])),
  ...Object.fromEntries(AUDIO_PROBLEMS.map((code) => [code, 422])),
};
