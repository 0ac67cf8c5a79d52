import type { KeyObject } from 'node:crypto';
import { openStatement, PAYLOAD_TYPES, peekPayload, type Registration } from '../../../pipelines/federation/statements.js';
import { nodeDid, publicKeyFromDidKey, publicKeyFromMultibase } from '../../../pipelines/signing/did.js';
import type { DsseEnvelope } from '../../../pipelines/signing/dsse.js';
import {
  followFromGenesis,
  followKeyRotations,
  pinFromWellKnown,
  pinNodeKeys,
  publishKey,
  statementDigest,
} from '../../../pipelines/signing/key-rotation.js';
import { keyId, rawPublicKey } from '../../../pipelines/signing/keys.js';
import type { IndexConfig } from '../config.js';
import { storedEnvelope, type EnvelopeBody } from '../domain/envelope.js';
import type { FeedEvent } from '../domain/feed-events.js';
import {
  KeyChangeRefusedError,
  NodeNotRegisteredError,
  NodeSuspendedError,
  RegistrationDidMismatchError,
  RegistrationInvalidError,
  RegistrationStaleError,
  StatementMalformedError,
  StatementPayloadTypeError,
  StatementSignatureInvalidError,
  WellKnownMismatchError,
} from '../errors.js';
import type { IndexStore, IndexTransaction, NodeRecord, PublishedKey } from '../store/index-store.js';
import type { FeedLog } from './feed-log.js';
import { fetchNodeDocument, type NodeFetchLimits } from './node-document.js';

export type RegistrationStatus = 'registered' | 'updated' | 'key-rotated' | 'unchanged';

export interface RegistrationOutcome {
  node: string;
  status: RegistrationStatus;
  /** Log indices of the events this registration appended (none when unchanged). */
  logIndices: number[];
}

export interface NodeRegistryDeps {
  store: IndexStore;
  feed: FeedLog;
  settings: IndexConfig['nodes'];
  now?: () => Date;
}

/** A registration's key material, checked against itself before the index compares it with anything. */
interface RegistrationKeys {
  signing: KeyObject;
  rotation: KeyObject;
  /** Every signing key the registration's rotation chain names, from the genesis key (sequence 0). */
  chain: Array<{ key: KeyObject; sequence: number }>;
  sequence: number;
  lastStatement: string | null;
}

/**
 * Who the index knows: nodes register with a signed statement, their keys are pinned on first
 * use, and a later signing key is taken only through rotation statements signed by the pinned
 * rotation key. Operators suspend nodes; nodes not heard from for a while are marked stale.
 * Every change appends its feed event in the transaction that makes it.
 */
export class NodeRegistry {
  private readonly store: IndexStore;
  private readonly feed: FeedLog;
  private readonly settings: IndexConfig['nodes'];
  private readonly now: () => Date;

  constructor(deps: NodeRegistryDeps) {
    this.store = deps.store;
    this.feed = deps.feed;
    this.settings = deps.settings;
    this.now = deps.now ?? (() => new Date());
  }

  async register(body: EnvelopeBody): Promise<RegistrationOutcome> {
    if (body.payloadType !== PAYLOAD_TYPES.registration) {
      throw new StatementPayloadTypeError(`POST /nodes takes ${PAYLOAD_TYPES.registration}, not ${body.payloadType}.`);
    }
    const named = namedSigningKey(peekPayload(body));
    if (!named) {
      // Unreadable: a registration of a known node whose bytes were changed is a bad signature.
      const known = await this.signerOf(undefined, body);
      const verdict = known && openStatement(body, PAYLOAD_TYPES.registration, known.keys);
      if (verdict && !verdict.ok && verdict.problem === 'Signature') {
        throw new StatementSignatureInvalidError(`The registration is not signed by a key of ${known!.node.did}: ${verdict.reason}.`);
      }
      throw new StatementMalformedError('A registration names exactly one signing key (publicKeys, use "signing").');
    }
    const opened = openStatement(body, PAYLOAD_TYPES.registration, new Map([[named.id, named.key]]));
    if (!opened.ok) {
      if (opened.problem === 'Signature') {
        throw new StatementSignatureInvalidError(`The registration is not signed by the signing key it names: ${opened.reason}.`);
      }
      throw new StatementMalformedError(`The registration is not valid: ${opened.reason}.`);
    }
    const registration = opened.statement;
    const keys = registrationKeys(registration);
    if (this.settings.confirmWellKnown) await this.confirmWellKnown(registration, keys);
    const stored = storedEnvelope(body);

    return this.store.transaction(async (tx) => {
      const at = this.now().toISOString();
      const existing = await tx.node(registration.node);
      const envelopeRecord = { ...stored, payloadType: body.payloadType, nodeDid: registration.node, receivedAt: at };
      if (!existing) {
        await tx.putEnvelope(envelopeRecord);
        const record: NodeRecord = {
          did: registration.node,
          name: registration.name,
          url: registration.url,
          languages: registration.languages,
          rotationKey: publishKey(keys.rotation),
          signingKey: publishKey(keys.signing),
          rotationSequence: keys.sequence,
          lastRotation: keys.lastStatement,
          registration: stored.sha256,
          registrationIssued: registration.issued,
          registeredAt: at,
          lastHeardAt: at,
          heartbeat: { sequence: 0, at: null, datasets: [] },
          stale: false,
          suspended: null,
        };
        await tx.putNode(record);
        for (const { key, sequence } of keys.chain) await tx.addSigningKey(record.did, { ...publishKey(key), sequence });
        const logIndices = await this.feed.append(tx, [registeredEvent(record, at)]);
        return { node: record.did, status: 'registered', logIndices };
      }

      if (existing.suspended) throw new NodeSuspendedError();
      if (!sameKey(keys.rotation, existing.rotationKey)) {
        throw new KeyChangeRefusedError(
          `The registration names rotation key ${keyId(keys.rotation)}, but the index pinned ${existing.rotationKey.id}; ` +
            'a rotation key cannot be changed (a node that lost it is a new node).',
        );
      }
      const described = { name: registration.name, url: registration.url, languages: registration.languages };
      const changed = JSON.stringify(described) !== JSON.stringify({ name: existing.name, url: existing.url, languages: existing.languages });

      if (sameKey(keys.signing, existing.signingKey)) {
        // The registration the index holds, replayed (by anyone): nothing new from the node.
        if (stored.sha256 === existing.registration) return { node: existing.did, status: 'unchanged', logIndices: [] };
        if (registration.issued <= existing.registrationIssued) {
          throw new RegistrationStaleError(
            `The index holds a registration of ${existing.did} issued ${existing.registrationIssued}; this one was issued ${registration.issued}.`,
          );
        }
        if (!changed) return this.unchanged(tx, existing, at);
        await tx.putEnvelope(envelopeRecord);
        const record: NodeRecord = {
          ...existing,
          ...described,
          registration: stored.sha256,
          registrationIssued: registration.issued,
          lastHeardAt: at,
          stale: false,
        };
        await tx.putNode(record);
        const logIndices = await this.feed.append(tx, [registeredEvent(record, at)]);
        return { node: record.did, status: 'updated', logIndices };
      }

      // A new signing key: only a chain of statements from the pinned keys, signed by the pinned
      // rotation key, leads to it.
      const followed = rotationsTo(existing, registration.keyRotations, keys.signing);
      await tx.putEnvelope(envelopeRecord);
      const record: NodeRecord = {
        ...existing,
        ...described,
        signingKey: publishKey(keys.signing),
        rotationSequence: followed.pinned.sequence,
        lastRotation: followed.pinned.lastStatement,
        registration: stored.sha256,
        registrationIssued: registration.issued > existing.registrationIssued ? registration.issued : existing.registrationIssued,
        lastHeardAt: at,
        stale: false,
      };
      await tx.putNode(record);
      const events = await takeRotations(tx, existing, followed, registration.keyRotations, () => stored.sha256, at);
      if (changed) events.push(registeredEvent(record, at));
      const logIndices = await this.feed.append(tx, events);
      return { node: record.did, status: 'key-rotated', logIndices };
    });
  }

  /**
   * Signing keys a registered node took since it last registered, read from its own
   * `/.well-known/tributary.json` (what harvest does before reading a node, so envelopes signed
   * with a new key are not refused for want of it). The document's rotation chain is checked as
   * a registration's is, from the keys the index pinned; each new statement is kept as an
   * envelope and is the `envelopeSha256` of its `node.key-rotated` event. The node's name, URL
   * and languages change only through a signed registration.
   */
  async followPublishedKeys(did: string, limits: NodeFetchLimits): Promise<RegistrationOutcome> {
    const node = await this.store.node(did);
    if (!node) throw new NodeNotRegisteredError(`This index has no node ${did}.`);
    if (node.suspended) throw new NodeSuspendedError();
    const document = await fetchNodeDocument(node.url, limits);
    if ((document as { did?: unknown } | null)?.did !== did) {
      throw new WellKnownMismatchError(`${node.url}/.well-known/tributary.json names ${JSON.stringify((document as { did?: unknown } | null)?.did)}, not ${did}.`);
    }
    const published = pinFromWellKnown(document);
    if (!published.ok) throw new WellKnownMismatchError(`${node.url}/.well-known/tributary.json: ${published.reason}.`);
    const keyRotations = ((document as { keyRotations?: unknown[] }).keyRotations ?? []) as unknown[];
    return this.store.transaction(async (tx) => {
      const existing = await tx.node(did);
      if (!existing) throw new NodeNotRegisteredError(`This index has no node ${did}.`);
      if (existing.suspended) throw new NodeSuspendedError();
      if (!sameKey(published.pinned.rotationKey, existing.rotationKey)) {
        throw new KeyChangeRefusedError(`${existing.url}/.well-known/tributary.json names another rotation key than the index pinned (${existing.rotationKey.id}).`);
      }
      if (sameKey(published.pinned.signingKey, existing.signingKey)) return { node: did, status: 'unchanged', logIndices: [] };
      const followed = rotationsTo(existing, keyRotations, published.pinned.signingKey);
      const at = this.now().toISOString();
      await tx.putNode({
        ...existing,
        signingKey: publishKey(published.pinned.signingKey),
        rotationSequence: followed.pinned.sequence,
        lastRotation: followed.pinned.lastStatement,
      });
      const carriers = new Map<number, ReturnType<typeof storedEnvelope>>();
      const events = await takeRotations(tx, existing, followed, keyRotations, (i) => {
        const stored = storedEnvelope(keyRotations[i] as EnvelopeBody);
        carriers.set(i, stored);
        return stored.sha256;
      }, at);
      for (const stored of carriers.values()) await tx.putEnvelope({ ...stored, payloadType: stored.envelope.payloadType, nodeDid: did, receivedAt: at });
      const logIndices = await this.feed.append(tx, events);
      return { node: did, status: 'key-rotated', logIndices };
    });
  }

  /** The operator's decision: the node's intake is refused from now on. */
  async suspend(did: string, reason: string): Promise<{ node: string; status: 'suspended' | 'unchanged'; logIndices: number[] }> {
    return this.store.transaction(async (tx) => {
      const node = await tx.node(did);
      if (!node) throw new NodeNotRegisteredError(`This index has no node ${did}.`);
      if (node.suspended) return { node: did, status: 'unchanged', logIndices: [] };
      const at = this.now().toISOString();
      await tx.putNode({ ...node, suspended: { at, reason } });
      const logIndices = await this.feed.append(tx, [{ type: 'node.suspended', v: 1, at, node: did, reason }]);
      return { node: did, status: 'suspended', logIndices };
    });
  }

  /**
   * Marks every node not heard from within the configured window as stale, with one
   * `node.stale` event each; a node stays stale (and gets no second event) until it is heard
   * from again. The running index calls this periodically.
   */
  async markStale(now: Date = this.now()): Promise<string[]> {
    const before = new Date(now.getTime() - this.settings.staleAfterMinutes * 60_000).toISOString();
    if ((await this.store.quietNodes(before)).length === 0) return [];
    return this.store.transaction(async (tx) => {
      const marked: string[] = [];
      const events: FeedEvent[] = [];
      for (const did of await tx.quietNodes(before)) {
        const node = await tx.node(did);
        if (!node) continue;
        await tx.putNode({ ...node, stale: true });
        events.push({ type: 'node.stale', v: 1, at: now.toISOString(), node: did, lastHeardAt: node.lastHeardAt });
        marked.push(did);
      }
      await this.feed.append(tx, events);
      return marked;
    });
  }

  /** A registered, unsuspended node and every signing key it has had, for checking what it sends. */
  async trustedKeys(did: string): Promise<{ node: NodeRecord; keys: Map<string, KeyObject> }> {
    const node = await this.store.node(did);
    if (!node) throw new NodeNotRegisteredError(`This index has no node ${did}; register it first (POST /nodes).`);
    if (node.suspended) throw new NodeSuspendedError();
    const keys = new Map<string, KeyObject>();
    for (const key of await this.store.signingKeys(did)) keys.set(key.id, keyOf(key));
    return { node, keys };
  }

  /**
   * The node whose keys an envelope is to be checked against: the one its payload names, or,
   * when the payload cannot be read (a changed byte, say), the one holding a key its signatures
   * name, so that a tampered envelope from a known node is reported as a bad signature. Undefined
   * when neither says.
   */
  async signerOf(claimed: unknown, envelope: EnvelopeBody): Promise<{ node: NodeRecord; keys: Map<string, KeyObject> } | undefined> {
    if (typeof claimed === 'string') return this.trustedKeys(claimed);
    for (const { keyid } of envelope.signatures) {
      const [holder] = await this.store.keyHolders(keyid);
      if (holder) return this.trustedKeys(holder);
    }
    return undefined;
  }

  private async unchanged(tx: IndexTransaction, node: NodeRecord, at: string): Promise<RegistrationOutcome> {
    await tx.putNode({ ...node, lastHeardAt: at, stale: false });
    return { node: node.did, status: 'unchanged', logIndices: [] };
  }

  /** The node's own document must name the DID and the keys it signed the registration with. */
  private async confirmWellKnown(registration: Registration, keys: RegistrationKeys): Promise<void> {
    const document = await fetchNodeDocument(registration.url, {
      timeoutMs: this.settings.wellKnownTimeoutMs,
      maxBytes: this.settings.wellKnownMaxBytes,
    });
    const did = (document as { did?: unknown } | null)?.did;
    if (did !== registration.node) {
      throw new WellKnownMismatchError(`${registration.url}/.well-known/tributary.json names ${JSON.stringify(did)}, not ${registration.node}.`);
    }
    const published = pinFromWellKnown(document);
    if (!published.ok) throw new WellKnownMismatchError(`${registration.url}/.well-known/tributary.json: ${published.reason}.`);
    if (!rawPublicKey(published.pinned.signingKey).equals(rawPublicKey(keys.signing)) || !rawPublicKey(published.pinned.rotationKey).equals(rawPublicKey(keys.rotation))) {
      throw new WellKnownMismatchError(`${registration.url}/.well-known/tributary.json publishes other keys than the registration names.`);
    }
  }
}

/** The signing key a registration names for itself, what its signature is checked with; undefined when it names none. */
function namedSigningKey(payload: unknown): { id: string; key: KeyObject } | undefined {
  const keys = (payload as { publicKeys?: unknown } | null)?.publicKeys;
  const signing = Array.isArray(keys) ? keys.filter((k) => (k as { use?: unknown } | null)?.use === 'signing') : [];
  if (signing.length !== 1) return undefined;
  const { id, publicKeyMultibase } = signing[0] as { id?: unknown; publicKeyMultibase?: unknown };
  if (typeof id !== 'string' || typeof publicKeyMultibase !== 'string') return undefined;
  let key: KeyObject;
  try {
    key = publicKeyFromMultibase(publicKeyMultibase);
  } catch (error) {
    throw new RegistrationInvalidError(`The signing key is not an Ed25519 key: ${(error as Error).message}`);
  }
  if (keyId(key) !== id) throw new RegistrationInvalidError(`The signing key's id ${id} is not the id of its key (${keyId(key)}).`);
  return { id, key };
}

/**
 * Checks a registration's keys against themselves and its DID: one signing and one rotation key,
 * a rotation chain from the node's first signing key to the one it names, a did:key that names
 * that first key, a did:web that is the registered URL's.
 */
function registrationKeys(registration: Registration): RegistrationKeys {
  const pick = (use: 'signing' | 'rotation'): KeyObject => {
    const found = registration.publicKeys.filter((k) => k.use === use);
    if (found.length !== 1) throw new RegistrationInvalidError(`A registration names exactly one ${use} key.`);
    try {
      const key = publicKeyFromMultibase(found[0]!.publicKeyMultibase);
      if (keyId(key) !== found[0]!.id) throw new Error(`id ${found[0]!.id} is not the id of its key`);
      return key;
    } catch (error) {
      throw new RegistrationInvalidError(`The ${use} key: ${(error as Error).message}.`);
    }
  };
  const signing = pick('signing');
  const rotation = pick('rotation');
  if (rawPublicKey(signing).equals(rawPublicKey(rotation))) throw new RegistrationInvalidError('The signing and rotation keys are the same key.');

  const followed = followFromGenesis(registration.keyRotations, rotation, { did: registration.node, current: signing });
  if (!followed.ok) throw new RegistrationInvalidError(`The key-rotation statements do not verify: ${followed.reason}.`);
  if (!rawPublicKey(followed.pinned.signingKey).equals(rawPublicKey(signing))) {
    throw new RegistrationInvalidError('The key-rotation statements do not end at the signing key the registration names.');
  }

  if (registration.node.startsWith('did:key:')) {
    let named: KeyObject;
    try {
      named = publicKeyFromDidKey(registration.node);
    } catch (error) {
      throw new RegistrationDidMismatchError(`${registration.node} is not a usable did:key: ${(error as Error).message}`);
    }
    if (!rawPublicKey(named).equals(rawPublicKey(followed.genesis))) {
      throw new RegistrationDidMismatchError(`${registration.node} does not name the signing key the node started with.`);
    }
  } else {
    let expected: string;
    try {
      expected = nodeDid({ url: registration.url, signingKey: signing });
    } catch (error) {
      throw new RegistrationDidMismatchError(`${registration.url} gives no did:web: ${(error as Error).message}`);
    }
    if (expected !== registration.node) {
      throw new RegistrationDidMismatchError(`${registration.node} is not the did:web of ${registration.url} (${expected}).`);
    }
  }

  const chain = [{ key: followed.genesis, sequence: 0 }];
  for (const statement of followed.statements) chain.push({ key: publicKeyFromMultibase(statement.newKey.publicKeyMultibase), sequence: statement.sequence });
  return {
    signing,
    rotation,
    chain,
    sequence: followed.pinned.sequence,
    lastStatement: followed.pinned.lastStatement,
  };
}

/**
 * The chain of rotation statements from the keys the index pinned for a node to `signing`, or
 * `KeyChangeRefused`: each statement must be signed by the pinned rotation key.
 */
function rotationsTo(existing: NodeRecord, keyRotations: readonly unknown[], signing: KeyObject): Extract<ReturnType<typeof followKeyRotations>, { ok: true }> {
  const pinned = {
    ...pinNodeKeys(existing.did, keyOf(existing.rotationKey), keyOf(existing.signingKey)),
    sequence: existing.rotationSequence,
    lastStatement: existing.lastRotation,
  };
  const followed = followKeyRotations(keyRotations, pinned);
  if (!followed.ok) {
    throw new KeyChangeRefusedError(`The new signing key ${keyId(signing)} is not reached from the pinned keys: ${followed.reason}.`);
  }
  if (!rawPublicKey(followed.pinned.signingKey).equals(rawPublicKey(signing))) {
    throw new KeyChangeRefusedError(
      `The rotation statements lead from the pinned key ${existing.signingKey.id} to ${keyId(followed.pinned.signingKey)}, ` +
        `not to the signing key ${keyId(signing)}.`,
    );
  }
  return followed;
}

/** One `node.key-rotated` event per statement the index had not taken, each new key added to the node's keys. */
async function takeRotations(
  tx: IndexTransaction,
  existing: NodeRecord,
  followed: Extract<ReturnType<typeof followKeyRotations>, { ok: true }>,
  keyRotations: readonly unknown[],
  carrier: (index: number) => string,
  at: string,
): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  followed.statements.forEach((statement, i) => {
    if (statement.sequence <= existing.rotationSequence) return;
    events.push({
      type: 'node.key-rotated',
      v: 1,
      at,
      node: existing.did,
      sequence: statement.sequence,
      previousKey: statement.previousKey,
      newKey: statement.newKey,
      statement: digestOf(keyRotations[i]),
      envelopeSha256: carrier(i),
    });
  });
  for (const event of events) {
    if (event.type === 'node.key-rotated') await tx.addSigningKey(existing.did, { ...event.newKey, sequence: event.sequence });
  }
  return events;
}

function registeredEvent(node: NodeRecord, at: string): FeedEvent {
  return {
    type: 'node.registered',
    v: 1,
    at,
    node: node.did,
    name: node.name,
    url: node.url,
    languages: node.languages,
    signingKey: node.signingKey,
    rotationKey: node.rotationKey,
    envelopeSha256: node.registration,
  };
}

/** The chain digest of a statement that has been verified (so its payload is canonical base64). */
function digestOf(envelope: unknown): string {
  return statementDigest(Buffer.from((envelope as DsseEnvelope).payload, 'base64'));
}

function keyOf(published: PublishedKey): KeyObject {
  return publicKeyFromMultibase(published.publicKeyMultibase);
}

function sameKey(key: KeyObject, published: PublishedKey): boolean {
  return rawPublicKey(key).equals(rawPublicKey(keyOf(published)));
}
