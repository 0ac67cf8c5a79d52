import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import {
  followKeyRotations,
  KEY_ROTATION_PAYLOAD_TYPE,
  pinFromWellKnown,
  pinNodeKeys,
  publishKey,
  signKeyRotation,
  statementDigest,
  verifyKeyRotation,
  type KeyRotationStatement,
  type PinnedNodeKeys,
} from './key-rotation.js';
import { keyId, publicKeyMultibase } from './keys.js';

const DID = 'did:web:jumuiya.example';
const newKey = () => generateKeyPairSync('ed25519').privateKey;
const when = new Date('2027-01-05T10:00:00.000Z');

/** A node that started with `genesis` and rotated to each of `next` in turn. */
function node(rotations: number) {
  const rotation = newKey();
  const signing = [newKey()];
  const statements: DsseEnvelope[] = [];
  for (let i = 0; i < rotations; i++) {
    signing.push(newKey());
    statements.push(
      signKeyRotation({
        did: DID,
        rotationKey: rotation,
        previousKey: signing[i]!,
        newKey: signing[i + 1]!,
        rotatedAt: when,
        previous: statements[i - 1] ?? null,
      }),
    );
  }
  const pinned = pinNodeKeys(DID, rotation, signing[0]!);
  return { rotation, signing, statements, pinned };
}

const payloadOf = (envelope: DsseEnvelope) => JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as KeyRotationStatement;

/** A statement with any fields changed, signed by `key` (the rotation key unless said otherwise). */
function forge(fields: Partial<KeyRotationStatement>, key: KeyObject, base: KeyRotationStatement): DsseEnvelope {
  const payload = Buffer.from(JSON.stringify({ ...base, ...fields }));
  return signEnvelope(payload, KEY_ROTATION_PAYLOAD_TYPE, key, keyId(key));
}

function accept(envelope: DsseEnvelope, pinned: PinnedNodeKeys): PinnedNodeKeys {
  const result = verifyKeyRotation(envelope, pinned);
  if (!result.ok) throw new Error(result.reason);
  return result.pinned;
}

describe('key-rotation statements', () => {
  it('names the node, both keys, the time, a sequence and the previous statement', () => {
    const { signing, statements } = node(2);
    const first = payloadOf(statements[0]!);
    expect(statements[0]!.payloadType).toBe('application/vnd.tributary.key-rotation.v1+json');
    expect(first).toEqual({
      type: 'tributary-key-rotation',
      did: DID,
      sequence: 1,
      rotatedAt: '2027-01-05T10:00:00.000Z',
      previousKey: { id: keyId(signing[0]!), publicKeyMultibase: publicKeyMultibase(signing[0]!) },
      newKey: { id: keyId(signing[1]!), publicKeyMultibase: publicKeyMultibase(signing[1]!) },
      previousStatement: null,
    });
    const second = payloadOf(statements[1]!);
    expect(second.sequence).toBe(2);
    expect(second.previousStatement).toBe(statementDigest(Buffer.from(statements[0]!.payload, 'base64')));
    expect(second.previousStatement).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('accepts a good chain one statement at a time, moving the pinned signing key forward', () => {
    const { signing, statements, pinned } = node(3);
    let current = pinned;
    for (const [i, statement] of statements.entries()) {
      current = accept(statement, current);
      expect(keyId(current.signingKey)).toBe(keyId(signing[i + 1]!));
      expect(current.sequence).toBe(i + 1);
    }
    // The rotation key stays what was pinned; only the signing key moves.
    expect(keyId(current.rotationKey)).toBe(keyId(pinned.rotationKey));
  });

  it('refuses a statement signed by the old signing key instead of the rotation key', () => {
    const { signing, statements, pinned } = node(1);
    const base = payloadOf(statements[0]!);
    // Under the old signing key's own keyid, and under the rotation key's keyid: both refused.
    const byOldKey = forge({}, signing[0]!, base);
    expect(verifyKeyRotation(byOldKey, pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed by the rotation key/) });
    const disguised = { ...byOldKey, signatures: [{ keyid: keyId(pinned.rotationKey), sig: byOldKey.signatures[0]!.sig }] };
    expect(verifyKeyRotation(disguised, pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not verify/) });
    // A thief of the signing key announcing a key of their own gets nowhere either.
    const thief = newKey();
    expect(verifyKeyRotation(forge({ newKey: publishKey(thief) }, signing[0]!, base), pinned).ok).toBe(false);
  });

  it('refuses a statement that does not replace the pinned signing key', () => {
    const { rotation, statements, pinned } = node(1);
    const base = payloadOf(statements[0]!);
    const elsewhere = newKey();
    const result = verifyKeyRotation(forge({ previousKey: publishKey(elsewhere) }, rotation, base), pinned);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/the pinned signing key is/) });
  });

  it('refuses a broken chain: statement 2 that does not follow the accepted statement 1', () => {
    const { rotation, signing, statements, pinned } = node(2);
    const afterFirst = accept(statements[0]!, pinned);
    const base = payloadOf(statements[1]!);
    const unlinked = forge({ previousStatement: statementDigest(Buffer.from('another statement')) }, rotation, base);
    expect(verifyKeyRotation(unlinked, afterFirst)).toMatchObject({ ok: false, reason: expect.stringMatching(/broken chain/) });
    const noLink = forge({ previousStatement: null }, rotation, base);
    expect(verifyKeyRotation(noLink, afterFirst).ok).toBe(false);
    // The genuine statement 2 still goes through.
    expect(keyId(accept(statements[1]!, afterFirst).signingKey)).toBe(keyId(signing[2]!));
  });

  it('refuses a replay, a statement that skips ahead, and one for another node', () => {
    const { rotation, statements, pinned } = node(2);
    const afterFirst = accept(statements[0]!, pinned);
    expect(verifyKeyRotation(statements[0]!, afterFirst)).toMatchObject({ ok: false, reason: expect.stringMatching(/replay/) });
    expect(verifyKeyRotation(statements[1]!, pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/skips ahead/) });
    const other = forge({ did: 'did:web:other.example' }, rotation, payloadOf(statements[0]!));
    expect(verifyKeyRotation(other, pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/other\.example/) });
  });

  it('refuses a wrong payload type, a changed payload, a key whose id lies, and a new key that is no change', () => {
    const { rotation, signing, statements, pinned } = node(1);
    const base = payloadOf(statements[0]!);
    const payload = Buffer.from(statements[0]!.payload, 'base64');
    const retyped = signEnvelope(payload, 'application/vnd.tributary.manifest.v1+json', rotation, keyId(rotation));
    expect(verifyKeyRotation(retyped, pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/payload type/) });

    const tampered = { ...statements[0]!, payload: Buffer.from(JSON.stringify({ ...base, sequence: 1, rotatedAt: '2030-01-01T00:00:00.000Z' })).toString('base64') };
    expect(verifyKeyRotation(tampered, pinned).ok).toBe(false);

    const lyingId = forge({ newKey: { id: keyId(newKey()), publicKeyMultibase: base.newKey.publicKeyMultibase } }, rotation, base);
    expect(verifyKeyRotation(lyingId, pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not the id of its key/) });

    expect(verifyKeyRotation(forge({ newKey: publishKey(signing[0]!) }, rotation, base), pinned).ok).toBe(false);
    expect(verifyKeyRotation(forge({ newKey: publishKey(rotation) }, rotation, base), pinned)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/rotation key/),
    });
    expect(verifyKeyRotation({ not: 'an envelope' }, pinned).ok).toBe(false);
    expect(verifyKeyRotation(forge({ extra: 1 } as Partial<KeyRotationStatement>, rotation, base), pinned).ok).toBe(false);
  });
});

describe('followKeyRotations', () => {
  it('follows the whole chain and maps every old keyid, so envelopes signed before a rotation still verify', () => {
    const { signing, statements, pinned } = node(2);
    const oldManifest = signEnvelope(Buffer.from('{"name":"sw speech 1.0.0"}'), 'application/vnd.tributary.manifest.v1+json', signing[0]!, keyId(signing[0]!));
    const result = followKeyRotations(statements, pinned);
    if (!result.ok) throw new Error(result.reason);
    expect(keyId(result.pinned.signingKey)).toBe(keyId(signing[2]!));
    expect([...result.signingKeys.keys()].sort()).toEqual(signing.map((k) => keyId(k)).sort());
    expect(verifyEnvelope(oldManifest, result.signingKeys)).toMatchObject({ ok: true, keyid: keyId(signing[0]!) });
  });

  it('lets a verifier that pinned later skip what it has, but refuses a different history (a fork)', () => {
    const { rotation, signing, statements, pinned } = node(3);
    const afterTwo = accept(statements[1]!, accept(statements[0]!, pinned));
    const result = followKeyRotations(statements, afterTwo);
    if (!result.ok) throw new Error(result.reason);
    expect(keyId(result.pinned.signingKey)).toBe(keyId(signing[3]!));

    // Same sequence 2, another key: signed by the real rotation key, but not what was accepted.
    const forked = forge({ newKey: publishKey(newKey()) }, rotation, payloadOf(statements[1]!));
    const fork = followKeyRotations([statements[0]!, forked, statements[2]!], afterTwo);
    expect(fork).toMatchObject({ ok: false, index: 1, reason: expect.stringMatching(/forked/) });
  });

  it('refuses statements listed out of order or twice', () => {
    const { statements, pinned } = node(2);
    expect(followKeyRotations([statements[1]!, statements[0]!], pinned).ok).toBe(false);
    expect(followKeyRotations([statements[0]!, statements[0]!, statements[1]!], pinned)).toMatchObject({ ok: false, reason: expect.stringMatching(/replay/) });
  });
});

describe('pinFromWellKnown', () => {
  const document = (did: string, current: KeyObject, rotation: KeyObject, keyRotations?: DsseEnvelope[]) => ({
    did,
    publicKeys: [
      { id: keyId(current), use: 'signing', publicKeyMultibase: publicKeyMultibase(current) },
      { id: keyId(rotation), use: 'rotation', publicKeyMultibase: publicKeyMultibase(rotation) },
    ],
    ...(keyRotations ? { keyRotations } : {}),
  });

  it('pins a node that never rotated, and one whose chain ends at its published key', () => {
    const fresh = node(0);
    const none = pinFromWellKnown(document(DID, fresh.signing[0]!, fresh.rotation));
    expect(none).toMatchObject({ ok: true, statements: [] });

    const { rotation, signing, statements } = node(2);
    const result = pinFromWellKnown(document(DID, signing[2]!, rotation, statements));
    if (!result.ok) throw new Error(result.reason);
    expect(result.signingKeys.size).toBe(3);
    expect(result.pinned.sequence).toBe(2);
  });

  it('refuses a chain that does not end at the published signing key', () => {
    const { rotation, signing, statements } = node(2);
    expect(pinFromWellKnown(document(DID, signing[1]!, rotation, statements))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/do not end at the published signing key/),
    });
  });

  it('holds a did:key node to the key its DID names', () => {
    const rotation = newKey();
    const genesis = newKey();
    const did = `did:key:${publicKeyMultibase(genesis)}`;
    const next = newKey();
    const statement = signKeyRotation({ did, rotationKey: rotation, previousKey: genesis, newKey: next, rotatedAt: when, previous: null });
    expect(pinFromWellKnown(document(did, next, rotation, [statement])).ok).toBe(true);

    // Someone else's chain presented under this did:key.
    const impostor = newKey();
    const theirs = signKeyRotation({ did, rotationKey: rotation, previousKey: impostor, newKey: next, rotatedAt: when, previous: null });
    expect(pinFromWellKnown(document(did, next, rotation, [theirs]))).toMatchObject({ ok: false, reason: expect.stringMatching(/did:key/) });
  });

  it('takes public keys as well as private ones when pinning', () => {
    const { rotation, signing, statements } = node(1);
    const pinned = pinNodeKeys(DID, createPublicKey(rotation), createPublicKey(signing[0]!));
    expect(verifyKeyRotation(statements[0]!, pinned).ok).toBe(true);
  });
});
