import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DsseEnvelope } from './dsse.js';
import { KeyFileError, KeyRotationError } from './errors.js';
import { readKeyFolder, replaceLostKeys, rotateSigningKey } from './key-folder.js';
import { followKeyRotations, pinNodeKeys } from './key-rotation.js';
import { generateNodeKeys, keyId, readPrivateKeyFile, writeNodeKeys, writePrivateKeyFile } from './keys.js';

const DID = 'did:web:jumuiya.example';
const now = new Date('2027-01-05T10:00:00.000Z');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-key-folder-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rotations = () => JSON.parse(readFileSync(join(dir, 'rotations.json'), 'utf8')) as DsseEnvelope[];

describe('the keys/ folder', () => {
  it('reads a folder that never rotated: no statements, the signing key is the genesis key', () => {
    const keys = generateNodeKeys();
    writeNodeKeys(dir, keys);
    const folder = readKeyFolder(dir);
    expect(folder.rotations).toEqual([]);
    expect(keyId(folder.genesisKey)).toBe(keyId(keys.signing));
    expect(folder.pendingKey).toBeNull();
  });

  it('rotates: a new signing.key, the old one retired, a statement any verifier holding the old keys accepts', () => {
    const keys = generateNodeKeys();
    writeNodeKeys(dir, keys);
    const first = rotateSigningKey(dir, { did: DID, now });
    const second = rotateSigningKey(dir, { did: DID, now });

    expect(first).toMatchObject({ kind: 'rotated', previousKeyId: keyId(keys.signing) });
    expect(second.previousKeyId).toBe(first.newKeyId);
    const folder = readKeyFolder(dir);
    expect(keyId(folder.keys.signing)).toBe(second.newKeyId);
    expect(keyId(folder.keys.rotation)).toBe(keyId(keys.rotation));
    expect(keyId(folder.genesisKey)).toBe(keyId(keys.signing));
    expect(folder.statements.map((s) => s.sequence)).toEqual([1, 2]);

    // Both replaced keys are kept, 0600, under their key ids; nothing else is left behind.
    expect(readdirSync(join(dir, 'retired')).sort()).toEqual([first.previousKeyId, second.previousKeyId].map((id) => `${id.replace(':', '-')}.key`).sort());
    expect(keyId(readPrivateKeyFile(first.retiredPath))).toBe(keyId(keys.signing));
    if (process.platform !== 'win32') expect(statSync(first.retiredPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['retired', 'rotation.key', 'rotations.json', 'signing.key']);

    const followed = followKeyRotations(rotations(), pinNodeKeys(DID, keys.rotation, keys.signing));
    expect(followed.ok && keyId(followed.pinned.signingKey)).toBe(second.newKeyId);
  });

  it('recognises a rotation interrupted after its statement was recorded, and finishes it instead of rotating again', () => {
    writeNodeKeys(dir, generateNodeKeys());
    const before = readKeyFolder(dir).keys.signing;
    const done = rotateSigningKey(dir, { did: DID, now });
    // Undo only the last step (the rename), as a crash just before it would leave the folder.
    renameSync(join(dir, 'signing.key'), join(dir, 'signing.key.next'));
    writePrivateKeyFile(join(dir, 'signing.key'), before);

    const interrupted = readKeyFolder(dir);
    expect(interrupted.pendingKey && keyId(interrupted.pendingKey)).toBe(done.newKeyId);
    const finished = rotateSigningKey(dir, { did: DID, now });
    expect(finished).toMatchObject({ kind: 'finished', newKeyId: done.newKeyId, retiredPath: done.retiredPath });
    expect(rotations()).toHaveLength(1);
    expect(readKeyFolder(dir)).toMatchObject({ pendingKey: null });
    expect(keyId(readKeyFolder(dir).keys.signing)).toBe(done.newKeyId);
  });

  it('ignores and replaces a new key that was never announced (a rotation that stopped before its commit point)', () => {
    const keys = generateNodeKeys();
    writeNodeKeys(dir, keys);
    writePrivateKeyFile(join(dir, 'signing.key.next'), generateNodeKeys().signing);
    expect(keyId(readKeyFolder(dir).keys.signing)).toBe(keyId(keys.signing));
    const rotated = rotateSigningKey(dir, { did: DID, now });
    expect(keyId(readKeyFolder(dir).keys.signing)).toBe(rotated.newKeyId);
    expect(existsSync(join(dir, 'signing.key.next'))).toBe(false);
  });

  it('refuses a signing.key that is not the key the statements announced, and statements that do not verify', () => {
    writeNodeKeys(dir, generateNodeKeys());
    rotateSigningKey(dir, { did: DID, now });
    const announced = readFileSync(join(dir, 'signing.key'));

    rmSync(join(dir, 'signing.key'));
    writePrivateKeyFile(join(dir, 'signing.key'), generateNodeKeys().signing);
    expect(() => readKeyFolder(dir)).toThrow(/signing\.key .* is not the signing key .*rotations\.json announced last/);
    writeFileSync(join(dir, 'signing.key'), announced);

    const [statement] = rotations();
    writeFileSync(join(dir, 'rotations.json'), JSON.stringify([{ ...statement, signatures: [{ ...statement!.signatures[0]!, sig: 'AAAA' }] }]));
    expect(() => readKeyFolder(dir)).toThrow(KeyFileError);
    expect(() => readKeyFolder(dir)).toThrow(/rotations\.json does not verify with rotation\.key/);
    writeFileSync(join(dir, 'rotations.json'), '{"not": "a list"}');
    expect(() => readKeyFolder(dir)).toThrow(/rotations\.json must hold a JSON array/);
  });

  it('keeps every statement of a chain for one DID', () => {
    writeNodeKeys(dir, generateNodeKeys());
    rotateSigningKey(dir, { did: DID, now });
    expect(() => rotateSigningKey(dir, { did: 'did:web:elsewhere.example', now })).toThrow(KeyRotationError);
    expect(rotations()).toHaveLength(1);
  });

  it('gives lost keys a fresh pair, setting the old files aside rather than deleting them', () => {
    writeNodeKeys(dir, generateNodeKeys());
    rotateSigningKey(dir, { did: DID, now });
    writeFileSync(join(dir, 'signing.key'), 'garbage');
    const { setAside } = replaceLostKeys(dir, now);
    expect(setAside).toBe(join(dir, 'lost-2027-01-05T10-00-00-000Z'));
    expect(readFileSync(join(setAside!, 'signing.key'), 'utf8')).toBe('garbage');
    expect(readdirSync(setAside!).sort()).toEqual(['retired', 'rotation.key', 'rotations.json', 'signing.key']);
    const fresh = readKeyFolder(dir);
    expect(fresh.rotations).toEqual([]);

    const empty = join(dir, 'empty');
    expect(replaceLostKeys(empty, now).setAside).toBeNull();
    expect(() => readKeyFolder(empty)).not.toThrow();
  });
});
