import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBase58 } from './base58.js';
import { KeyFileError, UnsupportedKeyError } from './errors.js';

/**
 * A node's two Ed25519 keys. `signing` signs manifests, withdrawal notices and heartbeats; the
 * separate `rotation` key is used only to sign a change of signing key, so that an index which
 * pinned the node's keys on first use can accept a new signing key without trusting the old one
 * blindly (DESIGN "Node identity", "Global index").
 */
export interface NodeKeys {
  signing: KeyObject;
  rotation: KeyObject;
}

export const SIGNING_KEY_FILE = 'signing.key';
export const ROTATION_KEY_FILE = 'rotation.key';

/** multicodec `ed25519-pub` (0xed) as an unsigned varint: the prefix did:key puts before the key. */
export const ED25519_PUB_MULTICODEC = Uint8Array.of(0xed, 0x01);

export function generateNodeKeys(): NodeKeys {
  return {
    signing: generateKeyPairSync('ed25519').privateKey,
    rotation: generateKeyPairSync('ed25519').privateKey,
  };
}

/**
 * Writes `signing.key` and `rotation.key` into `dir` as PKCS#8 PEM, mode 0600. Refuses to replace
 * either file: losing a node's key means losing its identity at every index that pinned it.
 */
export function writeNodeKeys(dir: string, keys: NodeKeys): void {
  assertEd25519Private(keys.signing, 'signing');
  assertEd25519Private(keys.rotation, 'rotation');
  if (rawPublicKey(keys.signing).equals(rawPublicKey(keys.rotation))) {
    throw new UnsupportedKeyError('The rotation key must be a different key from the signing key.');
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const files: Array<[string, KeyObject]> = [
    [join(dir, SIGNING_KEY_FILE), keys.signing],
    [join(dir, ROTATION_KEY_FILE), keys.rotation],
  ];
  // Claim both paths before writing either, so a second `node init` fails without leaving one new
  // key beside one old key. 'wx' is O_CREAT|O_EXCL: the check and the create are one step. Files
  // this call created are removed again if anything fails, so a retry starts clean.
  const handles: Array<{ path: string; fd: number }> = [];
  let written = false;
  try {
    for (const [path] of files) {
      try {
        handles.push({ path, fd: openSync(path, 'wx', 0o600) });
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists' : String(error);
        throw new KeyFileError(path, `Refusing to write key file ${path}: ${reason}.`);
      }
    }
    for (const [index, [path, key]] of files.entries()) {
      const handle = handles[index];
      if (!handle) throw new KeyFileError(path, `Key file ${path} was not opened.`);
      writeSync(handle.fd, key.export({ type: 'pkcs8', format: 'pem' }) as string);
      fsyncSync(handle.fd);
    }
    written = true;
  } finally {
    for (const { path, fd } of handles) {
      closeSync(fd);
      if (!written) rmSync(path, { force: true });
    }
  }
}

/** Reads both keys back; the error names the file that is missing or unusable. */
export function readNodeKeys(dir: string): NodeKeys {
  return {
    signing: readPrivateKeyFile(join(dir, SIGNING_KEY_FILE)),
    rotation: readPrivateKeyFile(join(dir, ROTATION_KEY_FILE)),
  };
}

/**
 * Writes one private key as PKCS#8 PEM, mode 0600, and makes it durable before returning. Like
 * `writeNodeKeys` it never replaces a file: callers that replace a key write it beside the old one
 * and rename it into place.
 */
export function writePrivateKeyFile(path: string, key: KeyObject): void {
  assertEd25519Private(key, 'private');
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists' : String(error);
    throw new KeyFileError(path, `Refusing to write key file ${path}: ${reason}.`);
  }
  let written = false;
  try {
    writeSync(fd, key.export({ type: 'pkcs8', format: 'pem' }) as string);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(path, { force: true });
  }
}

/** Reads one PKCS#8 PEM Ed25519 private key; the error names the file and what is wrong with it. */
export function readPrivateKeyFile(path: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new KeyFileError(path, `Cannot read key file ${path}: ${reason}.`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyFileError(path, `Key file ${path} is not a PEM private key.`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyFileError(path, `Key file ${path} holds a ${key.asymmetricKeyType ?? 'unknown'} key; Ed25519 is required.`);
  }
  return key;
}

/** The 32 raw public key bytes of an Ed25519 key (private or public KeyObject). */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new UnsupportedKeyError(`Expected an Ed25519 key, got ${publicKey.asymmetricKeyType ?? publicKey.type}.`);
  }
  // From the SPKI DER, not the JWK: Node 20 exports an Ed25519 JWK holding the key's mutex while
  // it allocates, and a garbage collection that then frees the job that generated the key locks
  // the same mutex: the process hangs for good (seen in the test suite, pid stuck in
  // ExportJWKEdKey → GC → ~KeyGenJob → pthread_mutex_lock). The DER export takes no lock.
  const der = publicKey.export({ format: 'der', type: 'spki' });
  if (der.length !== ED25519_SPKI_PREFIX.length + 32 || !der.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)) {
    throw new UnsupportedKeyError('The Ed25519 key has no public component.');
  }
  return der.subarray(ED25519_SPKI_PREFIX.length);
}

/** DER of SubjectPublicKeyInfo up to the key: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33 bytes) }. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 public KeyObject from its 32 raw bytes. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new UnsupportedKeyError(`An Ed25519 public key is 32 bytes, got ${raw.length}.`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** `z` + base58btc(0xed 0x01 ‖ raw public key): the key's multibase form, as in did:key. */
export function publicKeyMultibase(key: KeyObject): string {
  return 'z' + encodeBase58(Buffer.concat([ED25519_PUB_MULTICODEC, rawPublicKey(key)]));
}

/**
 * A short, stable key id: `ed25519:` + the first 16 characters (96 bits) of
 * base64url(sha256(raw public key)).
 *
 * Why this shape: DSSE treats `keyid` as an unauthenticated hint for choosing among the keys a
 * verifier already trusts, so it needs to be stable and collision-free among one node's keys and
 * the keys an index pins, not secret or unforgeable; 96 bits is far beyond that. Hashing the raw
 * key (not its PEM or SPKI bytes) makes the id independent of how the key is serialised, the
 * prefix names the algorithm so another key type can be added later, and base64url keeps it safe
 * in URLs, file names and JSON without escaping.
 */
export function keyId(key: KeyObject): string {
  const digest = createHash('sha256').update(rawPublicKey(key)).digest('base64url');
  return `ed25519:${digest.slice(0, 16)}`;
}

export function assertEd25519Private(key: KeyObject, role: string): void {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new UnsupportedKeyError(`The ${role} key must be an Ed25519 private key.`);
  }
}
