import { TributaryError } from '../../errors.js';

/**
 * Why a shard could not be written. The `code` is stable, so the release command can report it
 * and tests can match on it; the message names the record or option at fault.
 */
export class ShardError extends TributaryError {
  constructor(code: 'InvalidShardOptions' | 'InvalidShardKey' | 'InvalidShardRecord' | 'ShardsExist', message: string) {
    super(code, message);
  }
}

export class InvalidShardOptionsError extends ShardError {
  static readonly code = 'InvalidShardOptions';
  constructor(message: string) {
    super('InvalidShardOptions', message);
  }
}

/** Keys name files inside shards (`<key>.wav`), and WebDataset splits names on the first dot. */
export class InvalidShardKeyError extends ShardError {
  static readonly code = 'InvalidShardKey';
  constructor(readonly key: string) {
    super('InvalidShardKey', `record key ${JSON.stringify(key)} is not a ULID (26 Crockford base-32 characters)`);
  }
}

export class InvalidShardRecordError extends ShardError {
  static readonly code = 'InvalidShardRecord';
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super('InvalidShardRecord', `record ${key}: ${problem}`);
  }
}

/** Shards are immutable: a second run for the same split must not overwrite the first. */
export class ShardsExistError extends ShardError {
  static readonly code = 'ShardsExist';
  constructor(readonly names: string[]) {
    super('ShardsExist', `shards already exist for this split: ${names.join(', ')}`);
  }
}
