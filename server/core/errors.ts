/**
 * Every refusal the API makes is one of these classes. The `code` is stable: clients switch on
 * it and the contributor app looks up `errors:<code>` for the words it shows. Add a class here
 * (and a key in locales/<lng>/errors.json) rather than throwing ad-hoc errors from services.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = `${code}Error`;
  }
}

const define =
  (code: string, status: number, defaultMessage: string) =>
  class extends AppError {
    static readonly code = code;
    constructor(message = defaultMessage, details?: Record<string, unknown>) {
      super(code, status, message, details);
    }
  };

// 400: the request itself is malformed.
export const MalformedJsonError = define('MalformedJson', 400, 'The request body is not valid JSON.');
export const MalformedUrlError = define('MalformedUrl', 400, 'The URL is not valid percent-encoding.');
export const InvalidRequestError = define('InvalidRequest', 400, 'The request does not match the expected shape.');

// 401/403: who you are and what you may do.
export const UnauthenticatedError = define('Unauthenticated', 401, 'A valid bearer token is required.');
export const AdminRequiredError = define('AdminRequired', 403, 'This needs an admin token.');
export const ReviewerRequiredError = define('ReviewerRequired', 403, 'This needs a reviewer or admin token.');
export const ConsentRequiredError = define(
  'ConsentRequired',
  403,
  'An active consent record covering this node’s purposes is needed before contributing.',
);
export const OwnSampleError = define('OwnSample', 403, 'You cannot vote on your own contribution.');

// 404/409/410: the state of things.
export const NotFoundError = define('NotFound', 404, 'Not found.');
export const AlreadyVotedError = define('AlreadyVoted', 409, 'You have already voted on this.');
export const AlreadyReportedError = define('AlreadyReported', 409, 'You have already reported this.');
export const VotingClosedError = define('VotingClosed', 409, 'Voting on this is closed: it has already been decided.');
export const DuplicateTextError = define('DuplicateText', 409, 'This text has already been contributed.');
export const DuplicatePromptError = define('DuplicatePrompt', 409, 'This sentence is already on the node.');
export const ConsentWithdrawnError = define('ConsentWithdrawn', 409, 'This consent record has already been withdrawn.');
export const NoticeChangedError = define(
  'NoticeChanged',
  409,
  'The consent notice has changed since it was shown; show the current notice again.',
);
export const ReportResolvedError = define('ReportResolved', 409, 'This report has already been resolved.');
export const SampleOnHoldError = define('SampleOnHold', 409, 'This sample has been reported and waits for a moderator.');
export const LastAdminError = define('LastAdmin', 409, 'The node must keep at least one admin.');
export const SampleWithdrawnError = define('SampleWithdrawn', 410, 'This sample has been withdrawn by its contributor.');

// 413/415/422/429.
export const PromptNotFoundError = define('PromptNotFound', 422, 'That sentence is not available for recording.');
export const AudioTooLargeError = define('AudioTooLarge', 413, 'The recording file is too large.');
export const AudioMissingError = define('AudioMissing', 400, 'Send the recording in the multipart field "audio".');
export const NothingToReleaseError = define(
  'NothingToRelease',
  409,
  'No validated samples with matching consent are available for this release.',
);
export const ReleaseUnchangedError = define(
  'ReleaseUnchanged',
  409,
  'Nothing has changed since the current release; no new version was made.',
);
export const ReleaseSupersededError = define(
  'ReleaseSuperseded',
  410,
  'This release has been superseded; fetch the current manifest.',
);
export const AccessTokenRequiredError = define(
  'AccessTokenRequired',
  401,
  'This dataset is gated: request access and send the token you are given.',
);
export const AccessPendingError = define('AccessPending', 403, 'Your access request waits for the community’s decision.');
export const AccessRefusedError = define('AccessRefused', 403, 'Access to this dataset was refused or revoked.');
export const PayloadTooLargeError = define('PayloadTooLarge', 413, 'The request body is too large.');
export const UnsupportedMediaTypeError = define(
  'UnsupportedMediaType',
  415,
  'Send JSON with Content-Type: application/json.',
);
export const LanguageNotSupportedError = define(
  'LanguageNotSupported',
  422,
  'This node does not collect that language.',
);
export const PseudonymNotAllowedError = define('PseudonymNotAllowed', 422, 'That pseudonym cannot be used; choose another.');
export const InvalidLanguageTagError = define('InvalidLanguageTag', 422, 'That is not a valid BCP-47 language tag.');
export const PurposeNotOfferedError = define('PurposeNotOffered', 422, 'That purpose is not offered by this node.');
export const RequiredPurposeMissingError = define(
  'RequiredPurposeMissing',
  422,
  'Contributing to this node needs consent to all of its required purposes.',
);
export const RateLimitedError = define('RateLimited', 429, 'Too many requests; slow down and try again shortly.');
export const UploadQuotaExceededError = define(
  'UploadQuotaExceeded',
  429,
  'You have too many unfinished uploads; finish or wait for them before starting another.',
);
export const NodeStorageFullError = define(
  'NodeStorageFull',
  507,
  'The node has no room for more uploads right now; try again later.',
);

/**
 * A text or sentence the language rules refuse. The code is the rule's own problem code
 * (`TextTooLong`, `SentenceHasDigits`, …) so each gets its own translated explanation.
 */
export class TextProblemError extends AppError {
  constructor(problem: string, detail: string) {
    super(problem, 422, detail);
  }
}

/** Thrown only at start-up: the process prints it and exits without a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A clip the audio screening refuses; the code is the screening problem (`AudioSilent`, …). */
export class AudioProblemError extends AppError {
  constructor(problem: string, reason: string, details?: Record<string, unknown>) {
    super(problem, 422, reason, details);
  }
}
