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
/** A source id that the lock does not list. */
export const UnknownSourceError = defineError('UnknownSource', 'The folder has no such source.');
