import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyFileError, UnsupportedKeyError } from './errors.js';
import { generateNodeKeys, keyId, rawPublicKey, readNodeKeys, writeNodeKeys } from './keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-keys-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('node keys on disk', () => {
  it('writes two distinct Ed25519 keys as PKCS#8 PEM, mode 0600, and reads them back', () => {
    const keys = generateNodeKeys();
    writeNodeKeys(dir, keys);

    for (const file of ['signing.key', 'rotation.key']) {
      const path = join(dir, file);
      expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    }

    const read = readNodeKeys(dir);
    expect(rawPublicKey(read.signing)).toEqual(rawPublicKey(keys.signing));
    expect(rawPublicKey(read.rotation)).toEqual(rawPublicKey(keys.rotation));
    expect(rawPublicKey(read.signing)).not.toEqual(rawPublicKey(read.rotation));
    // The key read back still signs for the public key derived from the original.
    const message = Buffer.from('heartbeat');
    expect(verify(null, message, createPublicKey(keys.signing), sign(null, message, read.signing))).toBe(true);
  });

  it('creates the directory when it does not exist', () => {
    const nested = join(dir, 'a', 'b');
    writeNodeKeys(nested, generateNodeKeys());
    expect(() => readNodeKeys(nested)).not.toThrow();
  });

  it('refuses to overwrite either file and leaves the old keys untouched', () => {
    writeNodeKeys(dir, generateNodeKeys());
    const before = readFileSync(join(dir, 'signing.key'), 'utf8');
    expect(() => writeNodeKeys(dir, generateNodeKeys())).toThrow(KeyFileError);
    expect(readFileSync(join(dir, 'signing.key'), 'utf8')).toBe(before);

    // Only rotation.key present: signing.key must not be created either.
    const other = join(dir, 'other');
    writeNodeKeys(other, generateNodeKeys());
    rmSync(join(other, 'signing.key'));
    expect(() => writeNodeKeys(other, generateNodeKeys())).toThrow(/rotation\.key/);
    expect(() => statSync(join(other, 'signing.key'))).toThrow();
  });

  it('refuses the same key twice or a key that is not Ed25519', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => writeNodeKeys(dir, { signing: privateKey, rotation: privateKey })).toThrow(UnsupportedKeyError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() => writeNodeKeys(dir, { signing: ec, rotation: privateKey })).toThrow(UnsupportedKeyError);
  });

  it('names the missing file', () => {
    expect(() => readNodeKeys(dir)).toThrow(KeyFileError);
    expect(() => readNodeKeys(dir)).toThrow(join(dir, 'signing.key'));
    writeNodeKeys(dir, generateNodeKeys());
    rmSync(join(dir, 'rotation.key'));
    expect(() => readNodeKeys(dir)).toThrow(join(dir, 'rotation.key'));
  });

  it('names a file that is not an Ed25519 PEM key', () => {
    writeNodeKeys(dir, generateNodeKeys());
    writeFileSync(join(dir, 'rotation.key'), 'not a key');
    expect(() => readNodeKeys(dir)).toThrow(/rotation\.key is not a PEM private key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    writeFileSync(join(dir, 'rotation.key'), ec.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => readNodeKeys(dir)).toThrow(/rotation\.key holds a ec key/);
  });
});

describe('keyId', () => {
  it('is the same for a private key, its public key and any serialisation of them', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const id = keyId(privateKey);
    expect(id).toMatch(/^ed25519:[A-Za-z0-9_-]{16}$/);
    expect(keyId(publicKey)).toBe(id);
    expect(keyId(createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })))).toBe(id);
  });

  it('differs between keys', () => {
    const { signing, rotation } = generateNodeKeys();
    expect(keyId(signing)).not.toBe(keyId(rotation));
  });
});

describe('rawPublicKey under garbage collection', () => {
  it('never hangs the process (Node 20 deadlocks exporting an Ed25519 JWK while a collection frees the key’s generation job)', async () => {
    // A small young generation makes collections frequent; with the JWK export this loop hung
    // within 3,000–17,000 keys in every try, with the DER export it runs to the end.
    const script = `
      import { generateKeyPairSync } from 'node:crypto';
      import { rawPublicKey } from ${JSON.stringify(new URL('./keys.ts', import.meta.url).href)};
      for (let i = 0; i < 30000; i++) rawPublicKey(generateKeyPairSync('ed25519').privateKey);
      console.log('done');
    `;
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Far beyond the ~10 s the loop takes on a busy two-core machine; a hang never ends.
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(killer);
    expect({ code, signal, output: output.trim() }).toEqual({ code: 0, signal: null, output: 'done' });
  }, 120_000);
});
