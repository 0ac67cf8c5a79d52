import { API_BASE } from './paths.js';
import type { KeyObject } from 'node:crypto';
import { nodeDid } from '../../pipelines/signing/did.js';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import type { NodeConfig } from './config.js';
import type { NodeSecrets } from './secrets.js';

/** Who the node is to the world: its DID, its signing key and the public keys it publishes. */
export interface NodeIdentity {
  did: string;
  keyId: string;
  signingKey: KeyObject;
  /** Base of the node's API as trainers reach it: the public URL, or a path when it has none. */
  apiBase: string;
  /** The current signing key and the rotation key; older signing keys are named by `keyRotations`. */
  publicKeys: Array<{ id: string; type: 'Ed25519VerificationKey2020'; use: 'signing' | 'rotation'; publicKeyMultibase: string }>;
  /** Key-rotation statements, oldest first, as published (pipelines/signing/key-rotation.ts). */
  keyRotations: DsseEnvelope[];
}

export function nodeIdentity(config: NodeConfig, secrets: NodeSecrets): NodeIdentity {
  const { keys } = secrets;
  // A did:key is named after the key the node started with, so a rotation keeps the node's DID;
  // the rotation statements say which key signs for it now.
  const did = nodeDid({ url: config.url, signingKey: secrets.genesisKey });
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
    keyRotations: secrets.keyRotations,
  };
}
