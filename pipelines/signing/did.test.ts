import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase58 } from './base58.js';
import { nodeDid, publicKeyFromDidKey } from './did.js';
import { InvalidDidError } from './errors.js';
import { publicKeyMultibase, rawPublicKey } from './keys.js';

/** An Ed25519 private key from its 32-byte seed (RFC 8410 PKCS#8 wrapping). */
function keyFromSeed(seedHex: string) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

describe('did:key', () => {
  // w3c-ccg/did-method-key test-vectors/ed25519-x25519.json: seed → DID and publicKeyBase58.
  const vectors = [
    {
      seed: '0000000000000000000000000000000000000000000000000000000000000000',
      did: 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp',
      publicKeyBase58: '4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS',
    },
    {
      seed: '0000000000000000000000000000000000000000000000000000000000000001',
      did: 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG',
      publicKeyBase58: '6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt',
    },
  ];

  it.each(vectors)('derives $did from its seed', ({ seed, did, publicKeyBase58 }) => {
    const key = keyFromSeed(seed);
    expect(nodeDid({ signingKey: key })).toBe(did);
    expect(publicKeyMultibase(key)).toBe(did.slice('did:key:'.length));
    expect(rawPublicKey(key)).toEqual(Buffer.from(decodeBase58(publicKeyBase58)));
  });

  it.each(vectors)('reads the public key back from $did', ({ did, publicKeyBase58 }) => {
    const key = publicKeyFromDidKey(did);
    expect(key.type).toBe('public');
    expect(rawPublicKey(key)).toEqual(Buffer.from(decodeBase58(publicKeyBase58)));
    expect(rawPublicKey(publicKeyFromDidKey(`${did}#${did.slice(8)}`))).toEqual(rawPublicKey(key));
  });

  it('round-trips a fresh key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const did = nodeDid({ signingKey: privateKey });
    expect(did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect(rawPublicKey(publicKeyFromDidKey(did))).toEqual(rawPublicKey(publicKey));
  });

  it.each([
    ['another method', 'did:web:example.org'],
    ['a non-base58btc multibase', 'did:key:f00ed01'],
    ['bad base58', 'did:key:z0OIl'],
    // secp256k1 (0xe7 0x01) from the did:key test vectors: right format, wrong key type.
    ['a non-Ed25519 key', 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'],
    ['a truncated key', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDoo'],
  ])('rejects %s', (_, did) => {
    expect(() => publicKeyFromDidKey(did)).toThrow(InvalidDidError);
  });
});

describe('did:web', () => {
  const signingKey = generateKeyPairSync('ed25519').privateKey;

  it.each([
    ['https://sauti.example.org', 'did:web:sauti.example.org'],
    ['https://sauti.example.org/', 'did:web:sauti.example.org'],
    ['https://Sauti.Example.ORG:443/', 'did:web:sauti.example.org'],
    ['http://127.0.0.1:8080/nodes/a', 'did:web:127.0.0.1%3A8080:nodes:a'],
    ['https://example.org:8443/a/b/', 'did:web:example.org%3A8443:a:b'],
    ['https://example.org/x:y', 'did:web:example.org:x%3Ay'],
  ])('%s → %s', (url, did) => {
    expect(nodeDid({ url, signingKey })).toBe(did);
  });

  it.each(['not a url', 'ftp://example.org', 'https://u:p@example.org', 'https://example.org/?q=1', 'https://[::1]/'])(
    'refuses %j',
    (url) => {
      expect(() => nodeDid({ url, signingKey })).toThrow(InvalidDidError);
    },
  );
});
