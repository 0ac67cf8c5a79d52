import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { followKeyRotations, pinFromWellKnown } from '../../pipelines/signing/key-rotation.js';
import { keyId, readPrivateKeyFile, writePrivateKeyFile } from '../../pipelines/signing/keys.js';
import { killHard, runCli, startNodeProcess } from '../helpers/cli.js';

// Issue 8: a node whose keys/ folder was lost used to start with fresh keys and a new did:key,
// silently, so everything it had signed stopped verifying; a corrupt key printed a stack trace.
// Only `node init` makes keys now; `node rotate-key` changes the signing key in a way peers can
// follow, and `node new-identity` is the explicit, confirmed way out when keys are truly lost.

const root = mkdtempSync(join(tmpdir(), 'tributary-identity-'));
// Each step runs the CLI from source in a process of its own (a few seconds each).
const SLOW = 120_000;
afterAll(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
function initNode(): string {
  const dir = join(root, `node-${++count}`);
  const res = runCli(['node', 'init', '--dir', dir, '--name', 'Identity test', '--languages', 'sw']);
  expect(res.status, res.stderr).toBe(0);
  return dir;
}

/** Every file under keys/ with its bytes, to show a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const keys = join(dir, 'keys');
  if (!existsSync(keys)) return {};
  const files: Record<string, string> = {};
  for (const entry of readdirSync(keys, { recursive: true, encoding: 'utf8' })) {
    const path = join(keys, entry);
    files[relative(keys, path)] = statSync(path).isDirectory() ? '(dir)' : readFileSync(path, 'base64');
  }
  return files;
}

/** A refusal Tributary expects: exit 1, one line on stderr, no stack. */
function expectOneLineRefusal(res: ReturnType<typeof runCli>, ...mentions: RegExp[]) {
  expect(res.status, res.stderr).toBe(1);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.stderr.trimEnd().split('\n'), res.stderr).toHaveLength(1);
  for (const mention of mentions) expect(res.stderr).toMatch(mention);
}

async function wellKnown(dir: string): Promise<{ doc: any; didDocument: any }> {
  const node = await startNodeProcess(dir);
  try {
    const doc = await fetch(`${node.url}/.well-known/tributary.json`).then((r) => r.json());
    const didDocument = await fetch(`${node.url}/.well-known/did.json`).then((r) => r.json());
    return { doc, didDocument };
  } finally {
    await killHard(node.child);
  }
}

describe('a node whose keys are missing or unreadable refuses to start', () => {
  const cases: Array<{ name: string; damage: (dir: string) => void; file: RegExp }> = [
    { name: 'keys/ is missing', damage: (dir) => rmSync(join(dir, 'keys'), { recursive: true }), file: /keys\/signing\.key/ },
    { name: 'signing.key is garbage', damage: (dir) => writeFileSync(join(dir, 'keys', 'signing.key'), 'not a key\n'), file: /keys\/signing\.key/ },
    { name: 'rotation.key is missing', damage: (dir) => rmSync(join(dir, 'keys', 'rotation.key')), file: /keys\/rotation\.key/ },
  ];

  for (const { name, damage, file } of cases) {
    it(`node start, when ${name}: one line naming the file and what to do, and no new keys`, () => {
      const dir = initNode();
      damage(dir);
      const before = snapshot(dir);
      const res = runCli(['node', 'start', '--dir', dir, '--port', '0']);
      expectOneLineRefusal(res, file, /restore .*keys\/ from your backup/, new RegExp(`tributary node new-identity --dir ${dir}`));
      expect(res.stdout).not.toContain('listening');
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('commands that open the node (admin, prompts, release) refuse the same way', () => {
    const dir = initNode();
    writeFileSync(join(dir, 'keys', 'signing.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const prompts = join(root, 'prompts.txt');
    writeFileSync(prompts, 'Habari ya asubuhi.\n');
    const before = snapshot(dir);
    for (const args of [
      ['admin', 'token'],
      ['admin', 'tokens'],
      ['admin', 'revoke', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['prompts', 'import', prompts, '--lang', 'sw'],
      ['release', 'build', '--lang', 'sw', '--modality', 'text'],
    ]) {
      const res = runCli([...args, '--dir', dir]);
      expectOneLineRefusal(res, /keys\/signing\.key is not a PEM private key/, /new-identity/);
    }
    expect(snapshot(dir)).toEqual(before);
  }, SLOW);

  it('node start --init-if-missing does not make keys for a node that has a config', () => {
    const dir = initNode();
    rmSync(join(dir, 'keys'), { recursive: true });
    expectOneLineRefusal(runCli(['node', 'start', '--dir', dir, '--port', '0', '--init-if-missing']), /keys\/signing\.key/);
    expect(existsSync(join(dir, 'keys'))).toBe(false);
  });
});

describe('node rotate-key', () => {
  it('announces a new signing key that a peer holding the old keys can follow, and keeps the DID', async () => {
    const dir = initNode();
    const before = await wellKnown(dir);
    const pinned = pinFromWellKnown(before.doc);
    if (!pinned.ok) throw new Error(pinned.reason);
    expect(before.doc.keyRotations).toEqual([]);
    // Something the node signed before any rotation, under its first key.
    const firstKey = readPrivateKeyFile(join(dir, 'keys', 'signing.key'));
    const signedBefore = signEnvelope(Buffer.from('{"notice":"before"}'), 'application/vnd.tributary.withdrawal-notice+json', firstKey, keyId(firstKey));

    const first = runCli(['node', 'rotate-key', '--dir', dir]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('Restart the node to sign with the new key');
    expect(first.stdout).toContain(keyId(firstKey));
    const second = runCli(['node', 'rotate-key', '--dir', dir, '--json']);
    expect(second.status, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report).toMatchObject({ did: before.doc.did, kind: 'rotated', sequence: 2, restartRequired: true });

    // Files: the current key replaced, both old ones kept under retired/, the statements in order.
    const stored = JSON.parse(readFileSync(join(dir, 'keys', 'rotations.json'), 'utf8')) as DsseEnvelope[];
    expect(stored).toHaveLength(2);
    expect(stored[1]).toEqual(report.statement);
    expect(readdirSync(join(dir, 'keys', 'retired'))).toHaveLength(2);
    expect(keyId(readPrivateKeyFile(join(dir, 'keys', 'signing.key')))).toBe(report.newKeyId);

    const after = await wellKnown(dir);
    expect(after.doc.did).toBe(before.doc.did);
    const [signing, rotation] = after.doc.publicKeys;
    expect(signing).toMatchObject({ use: 'signing', id: report.newKeyId });
    expect(rotation).toEqual(before.doc.publicKeys[1]);
    expect(after.doc.keyRotations).toEqual(stored);

    // A peer that pinned the keys before the rotations follows them with the rotation key it pinned.
    const followed = followKeyRotations(after.doc.keyRotations, pinned.pinned);
    if (!followed.ok) throw new Error(followed.reason);
    expect(keyId(followed.pinned.signingKey)).toBe(signing.id);
    expect(followed.statements.map((s) => [s.sequence, s.did])).toEqual([
      [1, before.doc.did],
      [2, before.doc.did],
    ]);
    // …and what the node signed before still verifies, its keyid mapped through the chain.
    expect(verifyEnvelope(signedBefore, followed.signingKeys)).toMatchObject({ ok: true, keyid: keyId(firstKey) });
    // A newcomer with nothing pinned gets to the same key from the document alone.
    expect(pinFromWellKnown(after.doc)).toMatchObject({ ok: true });

    // The DID document names the same two current keys.
    expect(after.didDocument.id).toBe(after.doc.did);
    expect(after.didDocument.assertionMethod).toEqual([`${after.doc.did}#${signing.id}`]);
    expect(after.didDocument.capabilityInvocation).toEqual([`${after.doc.did}#${rotation.id}`]);
  }, SLOW);

  it('refuses to start after a rotation that was interrupted, and running rotate-key again finishes it', () => {
    const dir = initNode();
    const oldKey = readPrivateKeyFile(join(dir, 'keys', 'signing.key'));
    const res = runCli(['node', 'rotate-key', '--dir', dir, '--json']);
    expect(res.status, res.stderr).toBe(0);
    const { newKeyId } = JSON.parse(res.stdout);
    // The state a crash between recording the statement and renaming the key leaves.
    renameSync(join(dir, 'keys', 'signing.key'), join(dir, 'keys', 'signing.key.next'));
    writePrivateKeyFile(join(dir, 'keys', 'signing.key'), oldKey);

    expectOneLineRefusal(runCli(['node', 'start', '--dir', dir, '--port', '0']), /interrupted/, /tributary node rotate-key --dir/);
    const finish = runCli(['node', 'rotate-key', '--dir', dir, '--json']);
    expect(finish.status, finish.stderr).toBe(0);
    expect(JSON.parse(finish.stdout)).toMatchObject({ kind: 'finished', sequence: 1, newKeyId });
    expect(keyId(readPrivateKeyFile(join(dir, 'keys', 'signing.key')))).toBe(newKeyId);
  }, SLOW);

  it('refuses, like start, when the keys are unreadable', () => {
    const dir = initNode();
    rmSync(join(dir, 'keys', 'rotation.key'));
    const before = snapshot(dir);
    expectOneLineRefusal(runCli(['node', 'rotate-key', '--dir', dir]), /keys\/rotation\.key/, /from your backup/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('node new-identity', () => {
  it('refuses while the keys load, pointing at rotate-key, and changes nothing', () => {
    const dir = initNode();
    const before = snapshot(dir);
    expectOneLineRefusal(runCli(['node', 'new-identity', '--dir', dir, '--yes']), /load fine/, /tributary node rotate-key --dir/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses without --yes, in one line that says what is lost', () => {
    const dir = initNode();
    writeFileSync(join(dir, 'keys', 'signing.key'), 'garbage');
    const before = snapshot(dir);
    expectOneLineRefusal(runCli(['node', 'new-identity', '--dir', dir]), /cuts the node off from everything it signed/, /--yes/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('with --yes gives lost keys a new identity, warns loudly, and keeps the old files aside', async () => {
    const dir = initNode();
    const before = await wellKnown(dir);
    const oldRotationKey = readFileSync(join(dir, 'keys', 'rotation.key'), 'utf8');
    writeFileSync(join(dir, 'keys', 'signing.key'), 'garbage');

    const res = runCli(['node', 'new-identity', '--dir', dir, '--yes']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/^WARNING: .*no longer verify.*indexes will see a new node/);
    const [setAside] = readdirSync(join(dir, 'keys')).filter((name) => name.startsWith('lost-'));
    expect(setAside).toBeDefined();
    expect(readFileSync(join(dir, 'keys', setAside!, 'signing.key'), 'utf8')).toBe('garbage');
    expect(readFileSync(join(dir, 'keys', setAside!, 'rotation.key'), 'utf8')).toBe(oldRotationKey);

    const after = await wellKnown(dir);
    // A did:key node: new keys are a new DID; nothing of the old keys is published.
    expect(after.doc.did).not.toBe(before.doc.did);
    expect(after.doc.publicKeys.map((k: { id: string }) => k.id)).not.toContain(before.doc.publicKeys[0].id);
    expect(after.doc.publicKeys.map((k: { id: string }) => k.id)).not.toContain(before.doc.publicKeys[1].id);
    expect(after.doc.keyRotations).toEqual([]);
    // Once keys load again, a second new identity is refused.
    expectOneLineRefusal(runCli(['node', 'new-identity', '--dir', dir, '--yes']), /load fine/);
  }, SLOW);
});
