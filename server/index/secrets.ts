import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { KeyFileError } from '../../pipelines/signing/errors.js';
import { readPrivateKeyFile } from '../../pipelines/signing/keys.js';

export const KEYS_DIR = 'keys';
export const LOG_KEY_FILE = 'log.key';

/** What an index must have and never publishes: the key that signs its log's checkpoints. */
export interface IndexSecrets {
  logKey: KeyObject;
}

/**
 * Reads the index's log key, made once by `index init`. Nothing else makes it: an index that
 * quietly got a new key would sign checkpoints no trainer's pinned key opens, and could no longer
 * show that its history is the one they saw.
 */
export function loadIndexSecrets(dir: string): IndexSecrets {
  try {
    return { logKey: readPrivateKeyFile(join(dir, KEYS_DIR, LOG_KEY_FILE)) };
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    throw new KeyFileError(
      error.path,
      `${error.message} The log key is the index's identity to trainers: restore ${join(dir, KEYS_DIR)}/ from your backup.`,
    );
  }
}
