import { API_BASE } from '../core/paths.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { nodeDid } from '../../pipelines/signing/did.js';
import { generateNodeKeys, keyId, publicKeyMultibase, readNodeKeys, writeNodeKeys } from '../../pipelines/signing/keys.js';
import type { NodeConfig } from './config.js';

export const KEYS_DIR = 'keys';

/** Who the node is to the world: its DID, its signing key and the public keys it publishes. */
export interface NodeIdentity {
  did: string;
  keyId: string;
  signingKey: KeyObject;
  /** Base of the node's API as trainers reach it: the public URL, or a path when it has none. */
  apiBase: string;
  publicKeys: Array<{ id: string; type: 'Ed25519VerificationKey2020'; use: 'signing' | 'rotation'; publicKeyMultibase: string }>;
}

/** Creates the node's keys unless they exist; `node init` calls it, and start-up for older nodes. */
export function ensureNodeKeys(dir: string): void {
  if (!existsSync(join(dir, KEYS_DIR, 'signing.key'))) writeNodeKeys(join(dir, KEYS_DIR), generateNodeKeys());
}

export function loadIdentity(dir: string, config: NodeConfig): NodeIdentity {
  const keys = readNodeKeys(join(dir, KEYS_DIR));
  const did = nodeDid({ url: config.url, signingKey: keys.signing });
  const publicKey = (key: KeyObject, use: 'signing' | 'rotation') => ({
    id: keyId(key),
    type: 'Ed25519VerificationKey2020' as const,
    use,
    publicKeyMultibase: publicKeyMultibase(key),
  });
  return {
    did,
    keyId: keyId(keys.signing),
    signingKey: keys.signing,
    apiBase: (config.url ?? '') + API_BASE,
    publicKeys: [publicKey(keys.signing, 'signing'), publicKey(keys.rotation, 'rotation')],
  };
}
