import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { KeyFileError } from '../../pipelines/signing/errors.js';
import { readKeyFolder, type KeyFolder } from '../../pipelines/signing/key-folder.js';
import { SIGNING_KEY_FILE, type NodeKeys } from '../../pipelines/signing/keys.js';

export const KEYS_DIR = 'keys';

/** What a node must have and never publishes: its signing and rotation keys. */
export interface NodeSecrets {
  keys: NodeKeys;
  /**
   * Public, but read with the keys because they must agree with them: the statements, signed by
   * the rotation key, that lead from the node's first signing key to the current one.
   */
  keyRotations: DsseEnvelope[];
  /** The signing key the node started with (public); a did:key node is named after it. */
  genesisKey: KeyObject;
}

/**
 * Reads the node's keys, made once by `node init`. Nothing else makes keys: a node whose keys
 * are missing or unreadable refuses to start rather than quietly becoming someone else, since
 * everything it signed would stop verifying against a new key.
 */
export function loadNodeSecrets(dir: string): NodeSecrets {
  const folder = readNodeKeyFolder(dir);
  if (folder.pendingKey) {
    throw new KeyFileError(
      join(dir, KEYS_DIR, SIGNING_KEY_FILE),
      `A key rotation in ${join(dir, KEYS_DIR)}/ was interrupted before ${SIGNING_KEY_FILE} was replaced: ` +
        `run \`tributary node rotate-key --dir ${dir}\` to finish it.`,
    );
  }
  return { keys: folder.keys, keyRotations: folder.rotations, genesisKey: folder.genesisKey };
}

/** The keys/ folder as it is (an interrupted rotation included), or one line saying what to do. */
export function readNodeKeyFolder(dir: string): KeyFolder {
  try {
    return readKeyFolder(join(dir, KEYS_DIR));
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    throw new KeyFileError(
      error.path,
      `${error.message} A node's keys are its identity: restore ${join(dir, KEYS_DIR)}/ from your backup. ` +
        `If they are lost for good, \`tributary node new-identity --dir ${dir}\` gives the node new keys; ` +
        `what it signed before will no longer verify.`,
    );
  }
}
