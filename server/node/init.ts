import { join } from 'node:path';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { KeyFileError, NewIdentityRefusedError } from '../../pipelines/signing/errors.js';
import { readKeyFolder, replaceLostKeys, rotateSigningKey, type RotationOutcome } from '../../pipelines/signing/key-folder.js';
import { generateNodeKeys, writeNodeKeys } from '../../pipelines/signing/keys.js';
import { loadNodeConfig, writeNodeConfig, type NodeConfig, type NodeConfigInput } from './config.js';
import { nodeIdentity } from './identity.js';
import { KEYS_DIR, loadNodeSecrets, readNodeKeyFolder } from './secrets.js';

/**
 * Where a node's keys are made: `initNode` once, then `rotateNodeKey` (a new signing key the
 * world can follow) and `newNodeIdentity` (fresh keys when the old ones are lost). Starting a
 * node or running a command only reads them (secrets.ts).
 */

/** A new node: its config and its identity keys (signing and rotation). */
export function initNode(dir: string, input: NodeConfigInput): NodeConfig {
  const config = writeNodeConfig(dir, input);
  writeNodeKeys(join(dir, KEYS_DIR), generateNodeKeys());
  return config;
}

export interface KeyRotationReport {
  did: string;
  /** `finished`: an interrupted rotation was completed instead of making another one. */
  kind: RotationOutcome['kind'];
  sequence: number;
  previousKeyId: string;
  newKeyId: string;
  /** Where the replaced signing key is kept. */
  retiredKey: string;
  statement: DsseEnvelope;
}

/**
 * Replaces the node's signing key and records the statement, signed by the rotation key, that
 * announces it (pipelines/signing/key-folder.ts says how a crash is survived). A running node
 * keeps its old key until it restarts.
 */
export function rotateNodeKey(dir: string, now = new Date()): KeyRotationReport {
  const config = loadNodeConfig(dir);
  const folder = readNodeKeyFolder(dir);
  const { did } = nodeIdentity(config, { keys: folder.keys, keyRotations: folder.rotations, genesisKey: folder.genesisKey });
  const outcome = rotateSigningKey(join(dir, KEYS_DIR), { did, now });
  const payload = JSON.parse(Buffer.from(outcome.statement.payload, 'base64').toString('utf8')) as { sequence: number };
  return {
    did,
    kind: outcome.kind,
    sequence: payload.sequence,
    previousKeyId: outcome.previousKeyId,
    newKeyId: outcome.newKeyId,
    retiredKey: outcome.retiredPath,
    statement: outcome.statement,
  };
}

export interface NewIdentityReport {
  did: string;
  keyId: string;
  /** Why the old keys could not be used. */
  problem: string;
  /** Where the old, unusable key files were moved (null when keys/ was empty). */
  setAside: string | null;
}

/**
 * Fresh keys for a node whose keys are lost or unreadable: the escape hatch the start-up refusal
 * names. Refused while the keys still load (then `rotate-key` is the answer: it keeps the node's
 * identity) and unless the operator confirmed, since it cuts the node off from all it signed.
 */
export function newNodeIdentity(dir: string, options: { confirmed: boolean; now?: Date }): NewIdentityReport {
  const config = loadNodeConfig(dir);
  let problem: string;
  try {
    const folder = readKeyFolder(join(dir, KEYS_DIR));
    if (folder.pendingKey) {
      throw new NewIdentityRefusedError(
        `The keys in ${join(dir, KEYS_DIR)}/ are fine, only a key rotation was interrupted: ` +
          `run \`tributary node rotate-key --dir ${dir}\` to finish it.`,
      );
    }
    throw new NewIdentityRefusedError(
      `The keys in ${join(dir, KEYS_DIR)}/ load fine, so the node keeps its identity; ` +
        `to replace its signing key run \`tributary node rotate-key --dir ${dir}\`.`,
    );
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    problem = error.message;
  }
  if (!options.confirmed) {
    throw new NewIdentityRefusedError(
      `A new identity cuts the node off from everything it signed (${problem.replace(/\.$/, '')}); ` +
        `if ${join(dir, KEYS_DIR)}/ cannot be restored from backup, run \`tributary node new-identity --dir ${dir} --yes\`.`,
    );
  }
  const { setAside } = replaceLostKeys(join(dir, KEYS_DIR), options.now ?? new Date());
  const identity = nodeIdentity(config, loadNodeSecrets(dir));
  return { did: identity.did, keyId: identity.keyId, problem, setAside };
}
