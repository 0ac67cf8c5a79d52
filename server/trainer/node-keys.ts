import type { KeyObject } from 'node:crypto';
import { openStatement, PAYLOAD_TYPES, type Registration } from '../../pipelines/federation/statements.js';
import { nodeDid, publicKeyFromDidKey, publicKeyFromMultibase } from '../../pipelines/signing/did.js';
import { followFromGenesis, followKeyRotations, pinFromWellKnown, pinNodeKeys, statementDigest } from '../../pipelines/signing/key-rotation.js';
import { keyId, publicKeyMultibase, rawPublicKey } from '../../pipelines/signing/keys.js';
import { askPeer, PeerUnreachableError } from '../core/http-client.js';
import { NodeKeysInvalidError } from './errors.js';
import type { IndexClient, NodeRecord } from './index-client.js';
import type { NodePin } from './lock.js';

/**
 * The keys a trainer checks a node's envelopes against. Nothing is taken on the index's word:
 * - the node's registration (the envelope `GET /nodes/:did` names, fetched by sha256) must be
 *   signed by the signing key it names, for this DID, and name the rotation key; its rotation
 *   statements must lead from the first signing key to that key, each signed by the rotation key;
 *   a did:key must name the first key, a did:web must be the registered URL's;
 * - the index's record must say the same (first key, rotation key, current key, URL);
 * - the first time a folder meets a did:web node, the node's own `/.well-known/tributary.json`
 *   must name the same DID, rotation key and keys;
 * - the folder then pins the first key, the rotation key and the rotation statements accepted
 *   (`NodePin`, in the lock), and later runs refuse any other first or rotation key and any
 *   history that does not extend the pinned one (a new rotation must still be signed by the
 *   pinned rotation key).
 * Anything signed by any key of the chain verifies (a release signed before a rotation still does).
 */
export interface TrustedNode {
  did: string;
  name: string;
  /** The URL the node signed in its registration. */
  url: string;
  status: NodeRecord['status'];
  /** Why and when the index suspended the node; null when it did not (or did not say). */
  suspended: { at: string; reason: string } | null;
  lastHeardAt: string | null;
  /** By key id. */
  keys: Map<string, KeyObject>;
  pin: NodePin;
}

export interface NodeKeyCheck {
  /** The registration envelope the record names (its bytes already checked against the sha256). */
  registration: string;
  /** What the folder pinned for this node, if it met it before. */
  pinned?: NodePin;
  /** The registration's sha256 the proven log names last for this node, when the caller read it. */
  loggedRegistration?: string;
}

export function trustedNodeKeys(record: NodeRecord, did: string, check: NodeKeyCheck): TrustedNode {
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
  const same = (a: KeyObject, b: KeyObject) => rawPublicKey(a).equals(rawPublicKey(b));
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
    if (!same(named, genesis)) throw refuse('the did:key does not name the first signing key');
  }
  const chain = followKeyRotations(record.keyRotations, pinNodeKeys(did, rotation, genesis));
  if (!chain.ok) throw refuse(chain.reason);
  if (keyId(chain.pinned.signingKey) !== current[0]!.keyId) throw refuse('the rotation statements do not end at the current signing key');

  // The node's own word: its registration, as signed.
  const registration = openRegistration(check.registration, did, refuse);
  if (check.loggedRegistration && check.loggedRegistration !== record.registration) {
    throw refuse(`the index serves registration ${record.registration}, but its log last names ${check.loggedRegistration}`);
  }
  const namedKey = (use: 'signing' | 'rotation') => publicKeyFromMultibase(registration.publicKeys.find((key) => key.use === use)!.publicKeyMultibase);
  if (!same(namedKey('rotation'), rotation)) throw refuse('the registration the node signed names another rotation key');
  const fromGenesis = followFromGenesis(registration.keyRotations, rotation, { did, current: namedKey('signing') });
  if (!fromGenesis.ok) throw refuse(`the registration's rotation statements: ${fromGenesis.reason}`);
  if (!same(fromGenesis.genesis, genesis)) throw refuse('the registration the node signed starts from another first signing key');
  if (!same(fromGenesis.pinned.signingKey, chain.pinned.signingKey)) throw refuse('the registration the node signed names another current signing key');
  if (registration.url !== record.url) throw refuse(`the index gives URL ${record.url}, the node registered ${registration.url}`);
  if (did.startsWith('did:web:') && nodeDid({ url: registration.url, signingKey: genesis }) !== did) {
    throw refuse(`the registered URL ${registration.url} is not the host ${did} names`);
  }

  const rotations = (record.keyRotations as Array<{ payload: string }>).map((envelope) => statementDigest(Buffer.from(envelope.payload, 'base64')));
  const pin: NodePin = {
    did,
    firstKey: { keyId: keyId(genesis), publicKey: publicKeyMultibase(genesis) },
    rotationKey: { keyId: keyId(rotation), publicKey: publicKeyMultibase(rotation) },
    rotations,
  };
  const pinned = check.pinned;
  if (pinned) {
    if (pinned.firstKey.publicKey !== pin.firstKey.publicKey || pinned.rotationKey.publicKey !== pin.rotationKey.publicKey) {
      throw refuse(`this folder pinned first key ${pinned.firstKey.keyId} and rotation key ${pinned.rotationKey.keyId}; the index now gives ${pin.firstKey.keyId} and ${pin.rotationKey.keyId}`);
    }
    if (pinned.rotations.length > rotations.length || pinned.rotations.some((digest, i) => rotations[i] !== digest)) {
      throw refuse('the key rotations the index gives do not extend the ones this folder accepted (a forked or rewritten history)');
    }
  }
  return {
    did,
    name: record.name,
    url: registration.url,
    status: record.status,
    suspended: record.suspended ? { at: record.suspended.at, reason: record.suspended.reason } : null,
    lastHeardAt: record.lastHeardAt ?? null,
    keys: chain.signingKeys,
    pin,
  };
}

function openRegistration(text: string, did: string, refuse: (reason: string) => Error): Registration {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw refuse('the registration envelope is not JSON');
  }
  let payload: { publicKeys?: Array<{ use?: string; publicKeyMultibase?: string }> };
  try {
    payload = JSON.parse(Buffer.from((envelope as { payload: string }).payload, 'base64').toString('utf8')) as typeof payload;
  } catch {
    throw refuse('the registration payload is not JSON');
  }
  const signing = (payload.publicKeys ?? []).filter((key) => key.use === 'signing');
  if (signing.length !== 1 || typeof signing[0]!.publicKeyMultibase !== 'string') throw refuse('the registration does not name one signing key');
  let key: KeyObject;
  try {
    key = publicKeyFromMultibase(signing[0]!.publicKeyMultibase);
  } catch (error) {
    throw refuse(`the registration's signing key: ${(error as Error).message}`);
  }
  const opened = openStatement(envelope, PAYLOAD_TYPES.registration, new Map([[keyId(key), key]]));
  if (!opened.ok) throw refuse(`the registration is not signed by the key it names: ${opened.reason}`);
  if (opened.statement.node !== did) throw refuse(`the registration is for ${opened.statement.node}`);
  if (opened.statement.publicKeys.filter((k) => k.use === 'rotation').length !== 1) throw refuse('the registration does not name one rotation key');
  return opened.statement;
}

/** Fetches and checks each node's keys once per run, against what the folder pinned; `pins()` is what the lock keeps next. */
export class NodeKeyCache {
  private readonly known = new Map<string, Promise<TrustedNode>>();
  private readonly pinned: Map<string, NodePin>;
  private readonly logged = new Map<string, string>();

  constructor(
    private readonly client: IndexClient,
    pinned: readonly NodePin[] = [],
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.pinned = new Map(pinned.map((pin) => [pin.did, pin]));
  }

  /** The registration sha256 the proven log names last for a node (node.registered / node.key-rotated). */
  logRegistration(did: string, envelopeSha256: string): void {
    this.logged.set(did, envelopeSha256);
  }

  get(did: string): Promise<TrustedNode> {
    let found = this.known.get(did);
    if (!found) {
      found = this.check(did);
      this.known.set(did, found);
    }
    return found;
  }

  /** Every pin: those the folder had, updated with the nodes checked in this run. */
  async pins(): Promise<NodePin[]> {
    const pins = new Map(this.pinned);
    for (const [did, node] of this.known) {
      const checked = await node.catch(() => null);
      if (checked) pins.set(did, checked.pin);
    }
    return [...pins.values()].sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0));
  }

  private async check(did: string): Promise<TrustedNode> {
    const record = await this.client.node(did);
    const registration = await this.client.envelope(record.registration);
    const pinned = this.pinned.get(did);
    const node = trustedNodeKeys(record, did, { registration, pinned, loggedRegistration: this.logged.get(did) });
    if (!pinned && did.startsWith('did:web:')) await this.confirmWellKnown(node);
    return node;
  }

  /** A did:web node met for the first time: its own document must name the same DID and keys. */
  private async confirmWellKnown(node: TrustedNode): Promise<void> {
    const refuse = (reason: string) => new NodeKeysInvalidError(`${node.did}'s own /.well-known/tributary.json ${reason}`, { did: node.did });
    let document: unknown;
    try {
      const answer = await askPeer(`${node.url.replace(/\/+$/, '')}/.well-known/tributary.json`, { timeoutMs: this.options.timeoutMs ?? 30_000, maxBytes: 1024 * 1024 });
      if (answer.status !== 200) throw refuse(`answered ${answer.status}`);
      document = JSON.parse(answer.text);
    } catch (error) {
      if (error instanceof PeerUnreachableError) throw refuse(`could not be read: ${error.message}`);
      if (error instanceof SyntaxError) throw refuse('is not JSON');
      throw error;
    }
    if ((document as { did?: unknown }).did !== node.did) throw refuse(`names ${String((document as { did?: unknown }).did)}`);
    const chain = pinFromWellKnown(document);
    if (!chain.ok) throw refuse(`does not hold together: ${chain.reason}`);
    if (keyId(chain.pinned.rotationKey) !== node.pin.rotationKey.keyId) throw refuse(`names rotation key ${keyId(chain.pinned.rotationKey)}, not ${node.pin.rotationKey.keyId}`);
    if (!chain.signingKeys.has(node.pin.firstKey.keyId)) throw refuse(`does not start from first key ${node.pin.firstKey.keyId}`);
  }
}
