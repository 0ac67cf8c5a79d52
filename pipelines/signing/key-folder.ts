import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DsseEnvelope } from './dsse.js';
import { KeyFileError, KeyRotationError } from './errors.js';
import { followFromGenesis, signKeyRotation, type KeyRotationStatement } from './key-rotation.js';
import {
  generateNodeKeys,
  keyId,
  rawPublicKey,
  readNodeKeys,
  readPrivateKeyFile,
  ROTATION_KEY_FILE,
  SIGNING_KEY_FILE,
  writeNodeKeys,
  writePrivateKeyFile,
  type NodeKeys,
} from './keys.js';

/**
 * A node's keys/ folder as a whole: the two keys (keys.ts), the key-rotation statements that
 * connect the current signing key to the one the node started with, and the retired signing
 * keys. Every change to the folder is made so that a crash at any point leaves a folder that
 * either reads as before, reads as after, or is recognised as an interrupted rotation that
 * `rotateSigningKey` finishes; nothing is ever deleted.
 *
 *   keys/signing.key          the current signing key
 *   keys/rotation.key         the rotation key (signs rotation statements only)
 *   keys/rotations.json       the rotation statements, oldest first (public: the node serves them)
 *   keys/retired/<id>.key     signing keys replaced by a rotation
 *   keys/signing.key.next     only during a rotation: the new key before it is renamed into place
 *   keys/lost-<time>/         what `replaceLostKeys` set aside
 */
export const ROTATIONS_FILE = 'rotations.json';
export const RETIRED_DIR = 'retired';
export const PENDING_SIGNING_KEY_FILE = 'signing.key.next';

export interface KeyFolder {
  keys: NodeKeys;
  /** The rotation statements as stored and served, oldest first. */
  rotations: DsseEnvelope[];
  statements: KeyRotationStatement[];
  /** The signing key the node started with (public); its did:key, when it has one, names this key. */
  genesisKey: KeyObject;
  /**
   * Set when the last statement announces a key that is still waiting in signing.key.next: a
   * rotation stopped between recording the statement and renaming the key into place.
   */
  pendingKey: KeyObject | null;
}

/**
 * Reads and checks the folder: both keys readable, every statement signed by this rotation key
 * and chained to the one before, and the chain ending at signing.key (or at signing.key.next,
 * reported as `pendingKey`). Errors name the file at fault.
 */
export function readKeyFolder(dir: string): KeyFolder {
  const keys = readNodeKeys(dir);
  const rotations = readRotations(dir);
  const rotationsPath = join(dir, ROTATIONS_FILE);
  const chain = followFromGenesis(rotations, keys.rotation, { current: keys.signing });
  if (!chain.ok) {
    throw new KeyFileError(rotationsPath, `${rotationsPath} does not verify with ${ROTATION_KEY_FILE}: ${chain.reason}.`);
  }
  const announced = chain.pinned.signingKey;
  if (sameKey(announced, keys.signing)) {
    return { keys, rotations, statements: chain.statements, genesisKey: chain.genesis, pendingKey: null };
  }
  const last = chain.statements.at(-1);
  const pendingPath = join(dir, PENDING_SIGNING_KEY_FILE);
  if (last && last.previousKey.id === keyId(keys.signing) && existsSync(pendingPath)) {
    const pending = readPrivateKeyFile(pendingPath);
    if (sameKey(pending, announced)) {
      return { keys, rotations, statements: chain.statements, genesisKey: chain.genesis, pendingKey: pending };
    }
  }
  const signingPath = join(dir, SIGNING_KEY_FILE);
  throw new KeyFileError(
    signingPath,
    `Key file ${signingPath} (${keyId(keys.signing)}) is not the signing key ${rotationsPath} announced last (${keyId(announced)}).`,
  );
}

export type RotationOutcome =
  | { kind: 'rotated'; statement: DsseEnvelope; previousKeyId: string; newKeyId: string; retiredPath: string }
  | { kind: 'finished'; statement: DsseEnvelope; previousKeyId: string; newKeyId: string; retiredPath: string };

/**
 * Replaces the signing key, announcing the change in a statement signed by the rotation key.
 * Order, and what a crash at each step leaves:
 *   1. the old key is copied to retired/<id>.key              → nothing changed yet
 *   2. the new key is written to signing.key.next             → a stray file, ignored and replaced next time
 *   3. rotations.json is replaced (temp, fsync, rename)       → the commit point: an interrupted rotation
 *   4. signing.key.next is renamed over signing.key           → done
 * A folder left after step 3 refuses to start the node, and running this again finishes step 4
 * instead of rotating a second time.
 */
export function rotateSigningKey(dir: string, options: { did: string; now: Date }): RotationOutcome {
  const folder = readKeyFolder(dir);
  const signingPath = join(dir, SIGNING_KEY_FILE);
  const pendingPath = join(dir, PENDING_SIGNING_KEY_FILE);

  if (folder.pendingKey) {
    const statement = folder.rotations.at(-1)!;
    const retiredPath = retire(dir, folder.keys.signing);
    renameSync(pendingPath, signingPath);
    fsyncDir(dir);
    return { kind: 'finished', statement, previousKeyId: keyId(folder.keys.signing), newKeyId: keyId(folder.pendingKey), retiredPath };
  }

  const chainDid = folder.statements[0]?.did;
  if (chainDid !== undefined && chainDid !== options.did) {
    // Every statement of a chain names the same node; a verifier rejects one that does not.
    throw new KeyRotationError(
      `The node's DID is now ${options.did}, but its key rotations were made as ${chainDid}; a new DID is a new node to every index.`,
    );
  }
  const newKey = generateDistinctKey([folder.keys.signing, folder.keys.rotation, ...folder.statements.map((s) => s.previousKey.id)]);
  const statement = signKeyRotation({
    did: options.did,
    rotationKey: folder.keys.rotation,
    previousKey: folder.keys.signing,
    newKey,
    rotatedAt: options.now,
    previous: folder.rotations.at(-1) ?? null,
  });

  const retiredPath = retire(dir, folder.keys.signing);
  // A signing.key.next here was never announced (the folder read as complete): a rotation that
  // stopped before its commit point. The key signed nothing and nobody knows it; replace it.
  rmSync(pendingPath, { force: true });
  writePrivateKeyFile(pendingPath, newKey);
  writeFileDurably(join(dir, ROTATIONS_FILE), JSON.stringify([...folder.rotations, statement], null, 2) + '\n');
  renameSync(pendingPath, signingPath);
  fsyncDir(dir);
  return { kind: 'rotated', statement, previousKeyId: keyId(folder.keys.signing), newKeyId: keyId(newKey), retiredPath };
}

/**
 * Gives a node whose keys are lost or broken a fresh pair. What was there (keys that no longer
 * read, statements of the old identity, retired keys) is moved to keys/lost-<time>/, never
 * deleted: a key file that does not parse today may still be recovered by someone.
 */
export function replaceLostKeys(dir: string, now: Date): { setAside: string | null } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = [SIGNING_KEY_FILE, ROTATION_KEY_FILE, ROTATIONS_FILE, PENDING_SIGNING_KEY_FILE, RETIRED_DIR].filter((name) =>
    existsSync(join(dir, name)),
  );
  let setAside: string | null = null;
  if (names.length > 0) {
    setAside = join(dir, `lost-${now.toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(setAside, { mode: 0o700 });
    for (const name of names) renameSync(join(dir, name), join(setAside, name));
    fsyncDir(dir);
  }
  writeNodeKeys(dir, generateNodeKeys());
  fsyncDir(dir);
  return { setAside };
}

/** The statements in rotations.json; none when the file does not exist (a node that never rotated). */
function readRotations(dir: string): DsseEnvelope[] {
  const path = join(dir, ROTATIONS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KeyFileError(path, `Cannot read ${path}: ${String(error)}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyFileError(path, `${path} is not valid JSON.`);
  }
  if (!Array.isArray(value)) throw new KeyFileError(path, `${path} must hold a JSON array of statements.`);
  return value as DsseEnvelope[];
}

/**
 * Keeps the replaced key. Why not delete it: the rotation may be routine, and the operator may
 * still need to prove authorship of something it signed (sign a challenge with it); deleting a
 * private key cannot be undone, keeping it is the operator's choice to reverse (the command says
 * where it is). Verifiers never need it: its public half is in the statement.
 */
function retire(dir: string, key: KeyObject): string {
  const retiredDir = join(dir, RETIRED_DIR);
  mkdirSync(retiredDir, { recursive: true, mode: 0o700 });
  // 'ed25519:<base64url>' → 'ed25519-<base64url>.key': no ':' in file names (Windows, URLs).
  const path = join(retiredDir, `${keyId(key).replace(':', '-')}.key`);
  if (existsSync(path)) {
    // A rotation that stopped after retiring this key: the copy must be this very key.
    if (sameKey(readPrivateKeyFile(path), key)) return path;
    throw new KeyFileError(path, `${path} exists and holds another key; move it away and try again.`);
  }
  writePrivateKeyFile(path, key);
  fsyncDir(retiredDir);
  return path;
}

function generateDistinctKey(avoid: Array<KeyObject | string>): KeyObject {
  // Ed25519 keys do not collide in practice; the check costs nothing and keeps the chain's rules
  // (a new key is never an earlier one) true by construction rather than by probability alone.
  for (;;) {
    const key = generateKeyPairSync('ed25519').privateKey;
    const id = keyId(key);
    if (!avoid.some((other) => (typeof other === 'string' ? other === id : sameKey(other, key)))) return key;
  }
}

function writeFileDurably(path: string, text: string): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDir(join(path, '..'));
}

function fsyncDir(dir: string): void {
  // Makes renames and creations in `dir` durable. Windows cannot open a directory for fsync.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return rawPublicKey(a).equals(rawPublicKey(b));
}
