import { defineError } from '../../pipelines/errors.js';

/**
 * What the trainer side (`tributary pull` / `verify`) can refuse. The codes are stable: the CLI
 * prints them, `--json` carries them, scripts switch on them.
 */

/** A download list that cannot be right: a bad sha256 or size, two files to one path. */
export const InvalidDownloadListError = defineError('InvalidDownloadList', 'The list of files to download is not valid.');
/** The bytes a node sent do not have the sha256 the signed manifest gives. Nothing is kept. */
export const DownloadHashMismatchError = defineError(
  'DownloadHashMismatch',
  'The downloaded file does not have the sha256 the manifest gives; it was not kept.',
);
/** The node sent more or fewer bytes than the manifest's size, or announced another size. */
export const DownloadSizeMismatchError = defineError(
  'DownloadSizeMismatch',
  'The node sent a file of another size than the manifest gives; it was not kept.',
);
/** The node refused (401, 403, 404, 410 and other 4xx) without giving a code of its own. */
export const DownloadRefusedError = defineError('DownloadRefused', 'The node refused the download.');
/** Network errors or 5xx answers on every attempt. */
export const DownloadFailedError = defineError('DownloadFailed', 'The download failed after every retry.');

/** A source handed to the folder writer whose parts do not belong together. */
export const SourceMismatchError = defineError('SourceMismatch', 'The parts of a pulled source do not belong together.');
/** A shard file the folder needs is neither in the folder nor among the downloads, with its sha256. */
export const ShardFileMissingError = defineError(
  'ShardFileMissing',
  'A shard the folder needs is neither in the folder nor among the downloads with the expected sha256.',
);
/** A shard the folder writer cannot handle: not Parquet, or a layout it does not know. */
export const ShardFormatUnsupportedError = defineError('ShardFormatUnsupported', 'This shard format cannot be combined into a folder.');
/** Two sources give one column different types; one config cannot hold both. */
export const ShardFeaturesConflictError = defineError(
  'ShardFeaturesConflict',
  'Two sources give the same column different types, so they cannot be loaded as one dataset.',
);
/** `tributary.lock.json` is missing, not JSON or not a lock this version reads. */
export const LockInvalidError = defineError('LockInvalid', 'tributary.lock.json is missing or not valid.');
/** The disk where a pull writes cannot hold what it would download (and the room it is to leave). */
export const NotEnoughSpaceError = defineError('NotEnoughSpace', 'There is not enough free disk space for this pull.');
/** Another `pull` or `verify` is working on the folder (its `.tributary/busy` names it). */
export const FolderBusyError = defineError('FolderBusy', 'Another tributary pull or verify is working on this folder.');
/** A source id that the lock does not list. */
export const UnknownSourceError = defineError('UnknownSource', 'The folder has no such source.');

/** The index could not be reached, took too long, or sent more than the client reads. */
export const IndexUnreachableError = defineError('IndexUnreachable', 'The index could not be reached.');
/** The index refused a request (4xx/5xx); the message carries its own code. */
export const IndexRequestRefusedError = defineError('IndexRequestRefused', 'The index refused the request.');
/** The index answered something that is not what its API promises. */
export const IndexAnswerInvalidError = defineError('IndexAnswerInvalid', 'The index sent an answer that is not what its API promises.');
/** The index signs its log with another key than the one this folder pinned on its first pull. */
export const LogKeyChangedError = defineError(
  'LogKeyChanged',
  'The index signs its log with another key than the one this folder pinned; its history cannot be trusted.',
);
/** A checkpoint that does not open under the pinned log key, or an inclusion proof that fails. */
export const LogProofFailedError = defineError('LogProofFailed', 'The index could not prove that an entry is in its signed log.');
/** The index's log is not an extension of the one the folder last saw: an entry was dropped or rewritten. */
export const LogInconsistentError = defineError(
  'LogInconsistent',
  'The index’s log does not extend the one this folder last checked: entries it served were dropped or rewritten.',
);
/** The keys the index pinned for a node do not hold together (rotation chain, did:key). */
export const NodeKeysInvalidError = defineError('NodeKeysInvalid', 'The keys the index holds for a node do not hold together.');
/** An envelope the index served is not signed by the node's pinned keys, or is not what the log names. */
export const EnvelopeUntrustedError = defineError('EnvelopeUntrusted', 'A signed document the index served does not verify against the node’s pinned keys.');
/** A trainer config file that is not JSON or not the expected shape. */
export const TrainerConfigInvalidError = defineError('TrainerConfigInvalid', 'The trainer config file is not valid.');
/** Gated datasets need a name, contact and purpose to ask the node for access. */
export const AccessDetailsMissingError = defineError(
  'AccessDetailsMissing',
  'Asking a node for access needs your name, a contact and a purpose (--name, --contact, --purpose or the trainer config file).',
);
/** A dataset whose signed terms do not permit the action the trainer asked for (`--permits`); it is skipped, not fetched. */
export const NotPermittedError = defineError('NotPermitted', 'The dataset’s terms do not permit the action asked for, so it was skipped.');
/** A node did not take an access request (not reachable, or an answer without a token). */
export const AccessRequestFailedError = defineError('AccessRequestFailed', 'The node did not take the access request.');
