import type { KeyObject } from 'node:crypto';
import { publicKeyFromDidKey, publicKeyFromMultibase } from '../../pipelines/signing/did.js';
import { followKeyRotations, pinNodeKeys } from '../../pipelines/signing/key-rotation.js';
import { keyId, rawPublicKey } from '../../pipelines/signing/keys.js';
import { NodeKeysInvalidError } from './errors.js';
import type { IndexClient, NodeRecord } from './index-client.js';

/**
 * The keys a trainer checks a node's envelopes against: those the index pinned for the node
 * (GET /api/v1/nodes/:did), not taken on the index's word but rebuilt the way the index itself
 * took them: the node's first signing key and its rotation key, then each rotation statement in
 * turn (pipelines/signing/key-rotation.ts), which must end at the key the index calls current.
 * A did:key node's DID must name its first key. Anything signed by any key of that chain verifies
 * (a release signed before a rotation still does).
 */
export interface TrustedNode {
  did: string;
  name: string;
  url: string;
  status: NodeRecord['status'];
  lastHeardAt: string | null;
  /** By key id. */
  keys: Map<string, KeyObject>;
}

export function trustedNodeKeys(record: NodeRecord, did: string): TrustedNode {
  const refuse = (reason: string) => new NodeKeysInvalidError(`the keys the index holds for ${did} do not hold together: ${reason}`, { did });
  if (record.did !== did) throw refuse(`the index answered for ${record.did}`);
  const read = (multibase: string, id: string, role: string): KeyObject => {
    let key: KeyObject;
    try {
      key = publicKeyFromMultibase(multibase);
    } catch (error) {
      throw refuse(`${role}: ${(error as Error).message}`);
    }
    if (keyId(key) !== id) throw refuse(`${role}: key id ${id} is not the id of its key`);
    return key;
  };
  const first = record.signingKeys.filter((key) => key.since === 0);
  const current = record.signingKeys.filter((key) => key.current);
  if (first.length !== 1 || current.length !== 1) throw refuse('it must list exactly one first and one current signing key');
  const genesis = read(first[0]!.publicKey, first[0]!.keyId, 'first signing key');
  const rotation = read(record.rotationKey.publicKey, record.rotationKey.keyId, 'rotation key');
  if (did.startsWith('did:key:')) {
    let named: KeyObject;
    try {
      named = publicKeyFromDidKey(did);
    } catch (error) {
      throw refuse((error as Error).message);
    }
    if (!rawPublicKey(named).equals(rawPublicKey(genesis))) throw refuse('the did:key does not name the first signing key');
  }
  const chain = followKeyRotations(record.keyRotations, pinNodeKeys(did, rotation, genesis));
  if (!chain.ok) throw refuse(chain.reason);
  if (keyId(chain.pinned.signingKey) !== current[0]!.keyId) throw refuse('the rotation statements do not end at the current signing key');
  return { did, name: record.name, url: record.url, status: record.status, lastHeardAt: record.lastHeardAt ?? null, keys: chain.signingKeys };
}

/** Fetches and checks a node's keys once per run. */
export class NodeKeyCache {
  private readonly known = new Map<string, Promise<TrustedNode>>();
  constructor(private readonly client: IndexClient) {}

  get(did: string): Promise<TrustedNode> {
    let found = this.known.get(did);
    if (!found) {
      found = this.client.node(did).then((record) => trustedNodeKeys(record, did));
      this.known.set(did, found);
    }
    return found;
  }
}
