import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pae, signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import { keyId } from './keys.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/signing/${name}`, import.meta.url), 'utf8');

function trusted(...keys: KeyObject[]): Map<string, KeyObject> {
  return new Map(keys.map((key) => [keyId(key), createPublicKey(key)]));
}

describe('pae', () => {
  it('matches the DSSE spec example', () => {
    const encoded = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    expect(Buffer.from(encoded).toString('latin1')).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('reproduces the bytes the DSSE reference implementation signed', () => {
    // protocol.md "Test Vectors": ECDSA P-256/SHA-256 key and its signature (r‖s) over the PAE of
    // the example above. Verifying that signature proves our PAE bytes are exactly theirs.
    const coordinate = (decimal: string) => Buffer.from(BigInt(decimal).toString(16).padStart(64, '0'), 'hex');
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: coordinate('46950820868899156662930047687818585632848591499744589407958293238635476079160').toString('base64url'),
        y: coordinate('5640078356564379163099075877009565129882514886557779369047442380624545832820').toString('base64url'),
      },
      format: 'jwk',
    });
    const sig = Buffer.from(
      'A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==',
      'base64',
    );
    const message = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });

  it('counts bytes, not characters', () => {
    const encoded = Buffer.from(pae('t/ü', Buffer.from('ñ', 'utf8'))).toString('utf8');
    expect(encoded).toBe('DSSEv1 4 t/ü 2 ñ');
  });

  it('handles an empty payload', () => {
    expect(Buffer.from(pae('x', new Uint8Array())).toString()).toBe('DSSEv1 1 x 0 ');
  });
});

describe('signEnvelope / verifyEnvelope', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const payload = Buffer.from('{"@type":"sc:Dataset","name":"Sauti"}');
  const type = 'application/vnd.tributary.manifest.v1+json';

  it('round-trips and returns the exact payload bytes and the keyid', () => {
    const envelope = signEnvelope(payload, type, privateKey, keyId(privateKey));
    expect(envelope.payloadType).toBe(type);
    expect(Buffer.from(envelope.payload, 'base64')).toEqual(payload);

    const result = verifyEnvelope(envelope, trusted(privateKey));
    expect(result).toEqual({ ok: true, payload, keyid: keyId(privateKey) });
  });

  it('survives a JSON round trip (what the index stores and re-serves)', () => {
    const envelope = JSON.parse(JSON.stringify(signEnvelope(payload, type, privateKey, keyId(privateKey))));
    expect(verifyEnvelope(envelope as DsseEnvelope, trusted(privateKey)).ok).toBe(true);
  });

  it('accepts URL-safe and unpadded base64, as DSSE requires of verifiers', () => {
    const envelope = signEnvelope(payload, type, privateKey, keyId(privateKey));
    const urlSafe = (text: string) => Buffer.from(text, 'base64').toString('base64url');
    const signature = envelope.signatures[0]!;
    const variant = { ...envelope, payload: urlSafe(envelope.payload), signatures: [{ ...signature, sig: urlSafe(signature.sig) }] };
    expect(verifyEnvelope(variant, trusted(privateKey)).ok).toBe(true);
  });

  it('fails when any payload byte is flipped', () => {
    const envelope = signEnvelope(payload, type, privateKey, keyId(privateKey));
    for (let i = 0; i < payload.length; i++) {
      const tampered = Buffer.from(payload);
      tampered[i] = tampered[i]! ^ 0x01;
      const result = verifyEnvelope({ ...envelope, payload: tampered.toString('base64') }, trusted(privateKey));
      expect(result).toEqual({ ok: false, reason: 'signature does not verify' });
    }
  });

  it('fails when any signature byte is flipped', () => {
    const envelope = signEnvelope(payload, type, privateKey, keyId(privateKey));
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    for (let i = 0; i < sig.length; i++) {
      const tampered = Buffer.from(sig);
      tampered[i] = tampered[i]! ^ 0x80;
      const signatures = [{ keyid: keyId(privateKey), sig: tampered.toString('base64') }];
      expect(verifyEnvelope({ ...envelope, signatures }, trusted(privateKey)).ok).toBe(false);
    }
  });

  it('fails when the payload type is changed (it is signed too)', () => {
    const envelope = signEnvelope(payload, type, privateKey, keyId(privateKey));
    expect(verifyEnvelope({ ...envelope, payloadType: 'application/json' }, trusted(privateKey)).ok).toBe(false);
  });

  it('fails for an unknown keyid, even when the signature is by a trusted key', () => {
    const envelope = signEnvelope(payload, type, privateKey, 'ed25519:somebody-else');
    expect(verifyEnvelope(envelope, trusted(privateKey))).toEqual({ ok: false, reason: 'no signature by a known key' });
    expect(verifyEnvelope(signEnvelope(payload, type, privateKey, keyId(privateKey)), new Map()).ok).toBe(false);
  });

  it('fails when the keyid is trusted but maps to another key', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const envelope = signEnvelope(payload, type, other, keyId(privateKey));
    expect(verifyEnvelope(envelope, trusted(privateKey))).toEqual({ ok: false, reason: 'signature does not verify' });
  });

  it('accepts one good signature among several', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const mine = signEnvelope(payload, type, privateKey, keyId(privateKey));
    const theirs = signEnvelope(payload, type, other, keyId(other));
    const both = { ...mine, signatures: [...theirs.signatures, ...mine.signatures] };
    expect(verifyEnvelope(both, trusted(privateKey))).toMatchObject({ ok: true, keyid: keyId(privateKey) });
  });

  it.each([
    ['not an object', null],
    ['no signatures', { payloadType: type, payload: '', signatures: [] }],
    ['a bad signature entry', { payloadType: type, payload: '', signatures: [{ keyid: 1 }] }],
    ['non-base64 payload', { payloadType: type, payload: '!!!', signatures: [{ keyid: 'k', sig: 'AA==' }] }],
  ])('rejects a malformed envelope: %s', (_, envelope) => {
    expect(verifyEnvelope(envelope as unknown as DsseEnvelope, trusted(privateKey)).ok).toBe(false);
  });

  it('rejects non-canonical base64 that decodes to the same bytes', () => {
    const envelope = signEnvelope(payload, type, privateKey, keyId(privateKey));
    // The last base64 character of a 64-byte signature carries 4 unused bits; setting them must not
    // give a second valid spelling of the same signature.
    const sig = envelope.signatures[0]!.sig;
    const last = sig.at(-3)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const twisted = sig.slice(0, -3) + alphabet[alphabet.indexOf(last) ^ 0x01] + '==';
    expect(Buffer.from(twisted, 'base64')).toEqual(Buffer.from(sig, 'base64'));
    expect(verifyEnvelope({ ...envelope, signatures: [{ keyid: keyId(privateKey), sig: twisted }] }, trusted(privateKey)).ok).toBe(false);
  });

  it('refuses to sign with a public key or a non-Ed25519 key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => signEnvelope(payload, type, publicKey, 'k')).toThrow(/Ed25519 private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => signEnvelope(payload, type, rsa, 'k')).toThrow(/Ed25519 private key/);
  });
});

describe('committed regression vector', () => {
  const key = createPrivateKey(fixture('test-signing.key'));
  const envelope = JSON.parse(fixture('test-envelope.json')) as DsseEnvelope;

  it('keeps the key id of the fixture key', () => {
    expect(keyId(key)).toBe('ed25519:hA9JGzai_fT10JlE');
  });

  it('verifies the committed envelope', () => {
    const result = verifyEnvelope(envelope, trusted(key));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Buffer.from(result.payload).toString('utf8')).toBe('{"name":"Sauti ya Kiswahili – jaribio","version":"1.0.0"}');
    }
  });

  it('signs the same payload to the identical envelope (Ed25519 is deterministic)', () => {
    const payload = Buffer.from(envelope.payload, 'base64');
    expect(signEnvelope(payload, envelope.payloadType, key, keyId(key))).toEqual(envelope);
  });
});
