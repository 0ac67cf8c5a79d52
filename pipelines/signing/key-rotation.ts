import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { publicKeyFromDidKey, publicKeyFromMultibase } from './did.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import { assertEd25519Private, keyId, publicKeyMultibase, rawPublicKey } from './keys.js';

/**
 * Key-rotation statements: how a node tells the world "my signing key is now this one" in a way a
 * peer that pinned its keys on first use can check (DESIGN "Global index": a key change is
 * accepted only when signed by the rotation key).
 *
 * A statement is a DSSE envelope signed by the node's ROTATION key over a small JSON payload that
 * names the node, the previous and the new signing key, a sequence number and the digest of the
 * statement before it. The statements form a hash chain from the key the node was created with
 * (the "genesis" key) to its current key, so a verifier can
 * - move its pinned signing key forward one statement at a time (`verifyKeyRotation`),
 * - catch a replayed, reordered or forked statement (sequence + chain digest), and
 * - map the keyid of anything signed before a rotation to the key that signed it
 *   (`followKeyRotations(...).signingKeys`).
 */
export const KEY_ROTATION_PAYLOAD_TYPE = 'application/vnd.tributary.key-rotation.v1+json';

/** A public key as statements and the well-known documents name it. */
export interface PublishedKey {
  id: string;
  publicKeyMultibase: string;
}

export interface KeyRotationStatement {
  type: 'tributary-key-rotation';
  did: string;
  /** 1 for the node's first rotation, +1 for each one after. */
  sequence: number;
  rotatedAt: string;
  previousKey: PublishedKey;
  newKey: PublishedKey;
  /** `sha256:<hex>` of the previous statement's payload bytes; null for the first rotation. */
  previousStatement: string | null;
}

/**
 * What a verifier trusts for one node: pinned on first use, then moved forward by each statement
 * it accepts. `sequence` counts the statements accepted so far (0 before any).
 */
export interface PinnedNodeKeys {
  did: string;
  rotationKey: KeyObject;
  signingKey: KeyObject;
  sequence: number;
  /** Digest of the last accepted statement (`statementDigest`), null before any. */
  lastStatement: string | null;
}

export type KeyRotationResult =
  | { ok: true; statement: KeyRotationStatement; digest: string; pinned: PinnedNodeKeys }
  | { ok: false; reason: string };

export type KeyRotationChainResult =
  | {
      ok: true;
      pinned: PinnedNodeKeys;
      statements: KeyRotationStatement[];
      /** Every signing key the chain names (and the pinned one), by key id: for envelopes signed before a rotation. */
      signingKeys: Map<string, KeyObject>;
    }
  | { ok: false; reason: string; index: number };

const publishedKey = z.strictObject({ id: z.string().min(1), publicKeyMultibase: z.string().min(1) });
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const statementSchema = z.strictObject({
  type: z.literal('tributary-key-rotation'),
  did: z.string().startsWith('did:'),
  sequence: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  rotatedAt: z.iso.datetime(),
  previousKey: publishedKey,
  newKey: publishedKey,
  previousStatement: z.string().regex(DIGEST).nullable(),
});

/**
 * The digest that chains statements: sha256 over the payload bytes, i.e. exactly what the
 * rotation key signed. Not over the envelope: its JSON spelling and base64 alphabet may change
 * as it is stored and re-served, the signed bytes cannot.
 */
export function statementDigest(payload: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(payload).digest('hex');
}

/** A verifier's starting point: the keys it pinned on first use, before any rotation. */
export function pinNodeKeys(did: string, rotationKey: KeyObject, signingKey: KeyObject): PinnedNodeKeys {
  return { did, rotationKey: publicOf(rotationKey), signingKey: publicOf(signingKey), sequence: 0, lastStatement: null };
}

export function publishKey(key: KeyObject): PublishedKey {
  return { id: keyId(key), publicKeyMultibase: publicKeyMultibase(key) };
}

/**
 * Signs the statement that moves the node from `previousKey` to `newKey`, following `previous`
 * (the node's last statement, or null for its first rotation). The caller keeps the chain; the
 * payload bytes signed here are the ones every verifier hashes, so they are never re-serialised.
 */
export function signKeyRotation(input: {
  did: string;
  rotationKey: KeyObject;
  previousKey: KeyObject;
  newKey: KeyObject;
  rotatedAt: Date;
  previous: DsseEnvelope | null;
}): DsseEnvelope {
  assertEd25519Private(input.rotationKey, 'rotation');
  let sequence = 1;
  let previousStatement: string | null = null;
  if (input.previous) {
    const payload = Buffer.from(input.previous.payload, 'base64');
    sequence = parseStatement(payload).sequence + 1;
    previousStatement = statementDigest(payload);
  }
  const statement: KeyRotationStatement = {
    type: 'tributary-key-rotation',
    did: input.did,
    sequence,
    rotatedAt: input.rotatedAt.toISOString(),
    previousKey: publishKey(input.previousKey),
    newKey: publishKey(input.newKey),
    previousStatement,
  };
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  return signEnvelope(payload, KEY_ROTATION_PAYLOAD_TYPE, input.rotationKey, keyId(input.rotationKey));
}

/**
 * Checks one statement against what the verifier has pinned and, when it holds, returns the
 * pinned keys moved forward to the new signing key. Accepted only if all of these hold:
 * signed by the pinned rotation key (a signature by the old signing key, or any other key, is
 * not enough), of the key-rotation payload type, for the pinned DID, the next sequence number,
 * chained to the last accepted statement, naming the pinned signing key as the previous key, and
 * introducing a new key that is neither the previous key nor the rotation key.
 */
export function verifyKeyRotation(envelope: unknown, pinned: PinnedNodeKeys): KeyRotationResult {
  const opened = openStatement(envelope, pinned.rotationKey);
  if (!opened.ok) return opened;
  const { statement, digest } = opened;

  if (statement.did !== pinned.did) return fail(`the statement is for ${statement.did}, not ${pinned.did}`);
  if (statement.sequence <= pinned.sequence) {
    return fail(`statement ${statement.sequence} is a replay: ${pinned.sequence} rotation(s) were already accepted`);
  }
  if (statement.sequence !== pinned.sequence + 1) {
    return fail(`statement ${statement.sequence} skips ahead: the next expected is ${pinned.sequence + 1}`);
  }
  if (statement.previousStatement !== pinned.lastStatement) {
    return fail(`statement ${statement.sequence} does not follow the last accepted statement (broken chain)`);
  }

  const previous = readKey(statement.previousKey, 'previousKey');
  if (!previous.ok) return previous;
  if (!rawPublicKey(previous.key).equals(rawPublicKey(pinned.signingKey))) {
    return fail(`the statement replaces ${statement.previousKey.id}, but the pinned signing key is ${keyId(pinned.signingKey)}`);
  }
  const next = readKey(statement.newKey, 'newKey');
  if (!next.ok) return next;
  const nextRaw = rawPublicKey(next.key);
  if (nextRaw.equals(rawPublicKey(pinned.signingKey))) return fail('the new key is the previous key');
  if (nextRaw.equals(rawPublicKey(pinned.rotationKey))) return fail('the new signing key is the rotation key');

  return {
    ok: true,
    statement,
    digest,
    pinned: { ...pinned, signingKey: next.key, sequence: statement.sequence, lastStatement: digest },
  };
}

/**
 * Applies a node's published statements, in order, to what a verifier pinned. Statements the
 * verifier has already accepted are skipped, but the one at its pinned sequence must be the very
 * statement it accepted (same digest): a node that shows a different history than before has
 * forked, and nothing after the fork is trusted. Every statement must carry the pinned rotation
 * key's signature, skipped ones included.
 */
export function followKeyRotations(envelopes: readonly unknown[], pinned: PinnedNodeKeys): KeyRotationChainResult {
  let current = pinned;
  const statements: KeyRotationStatement[] = [];
  const signingKeys = new Map<string, KeyObject>([[keyId(pinned.signingKey), pinned.signingKey]]);
  let listed = 0;
  for (const [index, envelope] of envelopes.entries()) {
    const opened = openStatement(envelope, current.rotationKey);
    if (!opened.ok) return { ok: false, reason: `statement #${index + 1}: ${opened.reason}`, index };
    if (opened.statement.sequence <= listed) {
      return { ok: false, reason: `statement #${index + 1}: sequence ${opened.statement.sequence} is out of order (replay)`, index };
    }
    listed = opened.statement.sequence;
    if (opened.statement.sequence <= pinned.sequence) {
      if (opened.statement.sequence === pinned.sequence && opened.digest !== pinned.lastStatement) {
        return { ok: false, reason: `statement ${pinned.sequence} differs from the one accepted before (forked history)`, index };
      }
      for (const named of [opened.statement.previousKey, opened.statement.newKey]) {
        const read = readKey(named, 'key');
        if (read.ok) signingKeys.set(keyId(read.key), read.key);
      }
      statements.push(opened.statement);
      continue;
    }
    const result = verifyKeyRotation(envelope, current);
    if (!result.ok) return { ok: false, reason: `statement #${index + 1}: ${result.reason}`, index };
    current = result.pinned;
    statements.push(result.statement);
    signingKeys.set(keyId(current.signingKey), current.signingKey);
  }
  return { ok: true, pinned: current, statements, signingKeys };
}

/**
 * Follows a chain from its own beginning: the key the node started with (its "genesis" key) is
 * the first statement's previous key, or `current` when there is no statement. Used by a node on
 * its own keys/ folder and by `pinFromWellKnown`; the caller decides what the end must be.
 */
export function followFromGenesis(
  envelopes: readonly unknown[],
  rotationKey: KeyObject,
  options: { did?: string; current: KeyObject },
): (KeyRotationChainResult & { ok: true; genesis: KeyObject }) | (KeyRotationChainResult & { ok: false }) {
  const first = envelopes[0];
  if (first === undefined) {
    const pinned = pinNodeKeys(options.did ?? '', rotationKey, options.current);
    return { ok: true, pinned, statements: [], signingKeys: new Map([[keyId(pinned.signingKey), pinned.signingKey]]), genesis: pinned.signingKey };
  }
  const opened = openStatement(first, publicOf(rotationKey));
  if (!opened.ok) return { ok: false, reason: `statement #1: ${opened.reason}`, index: 0 };
  const genesis = readKey(opened.statement.previousKey, 'previousKey');
  if (!genesis.ok) return { ...genesis, index: 0 };
  const result = followKeyRotations(envelopes, pinNodeKeys(options.did ?? opened.statement.did, rotationKey, genesis.key));
  return result.ok ? { ...result, genesis: genesis.key } : result;
}

/**
 * Trust on first use of a node's `/.well-known/tributary.json`: what an index does when it first
 * registers a node, and what a verifier with nothing pinned does. It pins the published rotation
 * key and the key the node started with (the first statement's previous key, or the published
 * signing key when the node never rotated), follows the chain, and requires it to end at the
 * published signing key. For a did:key node the DID itself names the key it started with, so that
 * is checked too.
 */
export function pinFromWellKnown(document: unknown): KeyRotationChainResult {
  const parsed = wellKnownSchema.safeParse(document);
  if (!parsed.success) return { ok: false, reason: `not a node document: ${z.prettifyError(parsed.error)}`, index: -1 };
  const { did, publicKeys, keyRotations = [] } = parsed.data;
  const signing = publicKeys.filter((k) => k.use === 'signing');
  const rotation = publicKeys.filter((k) => k.use === 'rotation');
  if (signing.length !== 1 || rotation.length !== 1) {
    return { ok: false, reason: 'the document must publish exactly one signing and one rotation key', index: -1 };
  }
  const rotationKey = readKey(rotation[0]!, 'rotation key');
  const current = readKey(signing[0]!, 'signing key');
  if (!rotationKey.ok) return { ...rotationKey, index: -1 };
  if (!current.ok) return { ...current, index: -1 };

  const result = followFromGenesis(keyRotations, rotationKey.key, { did, current: current.key });
  if (!result.ok) return result;
  if (did.startsWith('did:key:')) {
    let named: KeyObject;
    try {
      named = publicKeyFromDidKey(did);
    } catch (error) {
      return { ok: false, reason: (error as Error).message, index: -1 };
    }
    if (!rawPublicKey(named).equals(rawPublicKey(result.genesis))) {
      return { ok: false, reason: 'the did:key does not name the key the node started with', index: -1 };
    }
  }
  if (!rawPublicKey(result.pinned.signingKey).equals(rawPublicKey(current.key))) {
    return { ok: false, reason: 'the key-rotation statements do not end at the published signing key', index: keyRotations.length - 1 };
  }
  return result;
}

const wellKnownSchema = z.looseObject({
  did: z.string().startsWith('did:'),
  publicKeys: z.array(z.looseObject({ id: z.string(), use: z.string(), publicKeyMultibase: z.string() })),
  keyRotations: z.array(z.unknown()).optional(),
});

/** Reads a statement the node itself signed and keeps (no verification: `followKeyRotations` does that). */
export function parseStatement(payload: Uint8Array): KeyRotationStatement {
  return statementSchema.parse(JSON.parse(Buffer.from(payload).toString('utf8')));
}

type Opened = { ok: true; statement: KeyRotationStatement; digest: string } | { ok: false; reason: string };

/** Signature first, then type, then the payload's shape: nothing unsigned is parsed. */
function openStatement(envelope: unknown, rotationKey: KeyObject): Opened {
  const verified = verifyEnvelope(envelope as DsseEnvelope, new Map([[keyId(rotationKey), rotationKey]]));
  if (!verified.ok) return fail(`not signed by the rotation key ${keyId(rotationKey)}: ${verified.reason}`);
  if ((envelope as DsseEnvelope).payloadType !== KEY_ROTATION_PAYLOAD_TYPE) {
    return fail(`payload type ${(envelope as DsseEnvelope).payloadType} is not ${KEY_ROTATION_PAYLOAD_TYPE}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(verified.payload).toString('utf8'));
  } catch {
    return fail('the payload is not JSON');
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success) return fail(`the payload is not a key-rotation statement: ${z.prettifyError(parsed.error)}`);
  return { ok: true, statement: parsed.data, digest: statementDigest(verified.payload) };
}

/** A published key whose id must be the id of the key it carries (ids are only hints elsewhere, but here they are signed). */
function readKey(published: PublishedKey, role: string): { ok: true; key: KeyObject } | { ok: false; reason: string } {
  let key: KeyObject;
  try {
    key = publicKeyFromMultibase(published.publicKeyMultibase);
  } catch (error) {
    return fail(`${role}: ${(error as Error).message}`);
  }
  if (keyId(key) !== published.id) return fail(`${role}: id ${published.id} is not the id of its key (${keyId(key)})`);
  return { ok: true, key };
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
