import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { CheckpointRefusedError, InvalidNoteError, NoteRefusedError } from './errors.js';
import { hashLeaf } from './hashing.js';
import { MemoryTreeStore } from './memory-tree-store.js';
import { hex } from '../../test/fixtures/transparency/naive-merkle.js';
import { consistencyProof, rootHash } from './proofs.js';
import { parseVerifierKey, signNote, verifierKey } from './signed-note.js';
import { verifyConsistency } from './verify.js';

const ORIGIN = 'index.tributary.example/feed';
const { privateKey } = generateKeyPairSync('ed25519');
const pinned = { keyName: ORIGIN, publicKey: createPublicKey(privateKey) };
const root = hashLeaf(Buffer.from('a root'));
const checkpoint: Checkpoint = { origin: ORIGIN, size: 20852163, rootHash: root };

const reasonOf = (open: () => unknown) => {
  try {
    open();
    return 'accepted';
  } catch (error) {
    if (error instanceof NoteRefusedError || error instanceof CheckpointRefusedError) return `${error.code}:${error.reason}`;
    throw error;
  }
};

describe('checkpoint text (c2sp.org/tlog-checkpoint)', () => {
  it('is origin, decimal size and base64 root, one per line', () => {
    expect(formatCheckpoint(checkpoint)).toBe(`${ORIGIN}\n20852163\n${Buffer.from(root).toString('base64')}\n`);
    expect(formatCheckpoint({ ...checkpoint, size: 0, extensions: ['ext one', 'two'] })).toBe(
      `${ORIGIN}\n0\n${Buffer.from(root).toString('base64')}\next one\ntwo\n`,
    );
  });

  it('parses the spec’s own example', () => {
    const parsed = parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    expect(parsed.origin).toBe('example.com/behind-the-sofa');
    expect(parsed.size).toBe(20852163);
    expect(Buffer.from(parsed.rootHash).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(parsed.extensions).toEqual([]);
  });

  it('refuses text that is not a checkpoint', () => {
    const b64 = Buffer.from(root).toString('base64');
    const bad = [
      `${ORIGIN}\n12\n`,
      `${ORIGIN}\n012\n${b64}\n`, // leading zero
      `${ORIGIN}\n-1\n${b64}\n`,
      `${ORIGIN}\n+1\n${b64}\n`,
      `${ORIGIN}\n1e3\n${b64}\n`,
      `${ORIGIN}\n9007199254740992\n${b64}\n`, // 2^53
      `${ORIGIN}\n12\n${b64.slice(0, -1)}\n`,
      `${ORIGIN}\n12\n${Buffer.alloc(31).toString('base64')}\n`,
      `${ORIGIN}\n12\n${b64}\n\nextension after a blank line\n`,
      `\n12\n${b64}\n`,
      `${ORIGIN}\n12\n${b64}`,
    ];
    for (const text of bad) expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(CheckpointRefusedError);
  });
});

describe('signCheckpoint / openCheckpoint', () => {
  it('round-trips, extensions and all, and publishes a key a trainer can pin in one line', () => {
    const note = signCheckpoint(checkpoint, ORIGIN, privateKey);
    expect(note.startsWith(formatCheckpoint(checkpoint) + '\n— ' + ORIGIN + ' ')).toBe(true);
    const opened = openCheckpoint(note, parseVerifierKey(verifierKey(ORIGIN, privateKey)));
    expect({ ...opened, rootHash: hex(opened.rootHash) }).toEqual({ origin: ORIGIN, size: 20852163, rootHash: hex(root), extensions: [] });

    const withExtensions = signCheckpoint({ ...checkpoint, size: 0, extensions: ['x y z'] }, ORIGIN, privateKey);
    expect(openCheckpoint(withExtensions, pinned)).toMatchObject({ size: 0, extensions: ['x y z'] });
  });

  it('opens a checkpoint cosigned by a key it does not know', () => {
    const witness = generateKeyPairSync('ed25519').privateKey;
    const note = signCheckpoint(checkpoint, ORIGIN, privateKey);
    const text = formatCheckpoint(checkpoint);
    const witnessLine = signNote(text, 'witness.example/w1', witness).slice(text.length + 1);
    expect(openCheckpoint(note + witnessLine, pinned).size).toBe(checkpoint.size);
    const [body, ownLine] = note.split('\n\n') as [string, string];
    expect(openCheckpoint(`${body}\n\n${witnessLine}${ownLine}`, pinned).size).toBe(checkpoint.size);
  });

  it('refuses a checkpoint with any field changed', () => {
    const note = signCheckpoint(checkpoint, ORIGIN, privateKey);
    const otherRoot = Buffer.from(root);
    otherRoot[0] = (otherRoot[0] as number) ^ 1;
    const tampered = [
      note.replace('\n20852163\n', '\n20852164\n'),
      note.replace('\n20852163\n', '\n2085216\n'),
      note.replace(Buffer.from(root).toString('base64'), otherRoot.toString('base64')),
      note.replace(ORIGIN, 'index.tributary.example/feeds'),
      note.replace('\n\n', '\nextension\n\n'),
    ];
    for (const text of tampered) expect(reasonOf(() => openCheckpoint(text, pinned))).toBe('NoteRefused:bad-signature');
  });

  it('refuses the wrong key, the wrong key name, the wrong origin and malformed notes', () => {
    const note = signCheckpoint(checkpoint, ORIGIN, privateKey);
    const stranger = generateKeyPairSync('ed25519').publicKey;
    expect(reasonOf(() => openCheckpoint(note, { ...pinned, publicKey: stranger }))).toBe('NoteRefused:no-trusted-signature');
    expect(reasonOf(() => openCheckpoint(note, { ...pinned, keyName: 'index.tributary.example/other' }))).toBe('NoteRefused:no-trusted-signature');
    expect(reasonOf(() => openCheckpoint(note.slice(0, -1), pinned))).toBe('NoteRefused:malformed');
    expect(reasonOf(() => openCheckpoint(note.replace('\n\n', '\n'), pinned))).toBe('NoteRefused:malformed');
    // Correctly signed, but for another log than the one this verifier trusts.
    const otherLog = signCheckpoint({ ...checkpoint, origin: 'index.tributary.example/staging' }, ORIGIN, privateKey);
    expect(reasonOf(() => openCheckpoint(otherLog, pinned))).toBe('CheckpointRefused:wrong-origin');
    expect(openCheckpoint(otherLog, { ...pinned, origin: 'index.tributary.example/staging' }).origin).toBe('index.tributary.example/staging');
    // Correctly signed text that is no checkpoint.
    const notACheckpoint = signNote('hello\n', ORIGIN, privateKey);
    expect(reasonOf(() => openCheckpoint(notACheckpoint, pinned))).toBe('CheckpointRefused:malformed');
  });

  it('will not sign a checkpoint that would not read back', () => {
    const bad: Checkpoint[] = [
      { ...checkpoint, origin: '' },
      { ...checkpoint, origin: 'two\nlines' },
      { ...checkpoint, size: -1 },
      { ...checkpoint, size: 1.5 },
      { ...checkpoint, size: 2 ** 53 },
      { ...checkpoint, rootHash: new Uint8Array(16) },
      { ...checkpoint, extensions: [''] },
      { ...checkpoint, extensions: ['a\nb'] },
      { ...checkpoint, origin: 'tab\there' },
    ];
    for (const cp of bad) expect(() => signCheckpoint(cp, ORIGIN, privateKey), JSON.stringify(cp.origin)).toThrow(InvalidNoteError);
  });
});

describe('a trainer following the log', () => {
  it('checks that a later checkpoint extends the one it pinned, and catches a fork', async () => {
    const log = new MemoryTreeStore();
    const events = Array.from({ length: 300 }, (_, i) => hashLeaf(Buffer.from(JSON.stringify({ seq: i, type: 'manifest.published' }))));
    await log.append(events.slice(0, 120));
    const first = openCheckpoint(signCheckpoint({ origin: ORIGIN, size: 120, rootHash: await rootHash(log, 120) }, ORIGIN, privateKey), pinned);
    await log.append(events.slice(120));
    const second = openCheckpoint(signCheckpoint({ origin: ORIGIN, size: 300, rootHash: await rootHash(log, 300) }, ORIGIN, privateKey), pinned);
    const proof = await consistencyProof(log, first.size, second.size);
    expect(verifyConsistency(first.size, second.size, first.rootHash, second.rootHash, proof)).toEqual({ ok: true });

    // The index rewrites entry 7 and signs the new history: the trainer's pinned checkpoint does not fit.
    const forked = new MemoryTreeStore();
    await forked.append(events.map((event, i) => (i === 7 ? hashLeaf(Buffer.from('{"rewritten":true}')) : event)));
    const forkedHead = openCheckpoint(signCheckpoint({ origin: ORIGIN, size: 300, rootHash: await rootHash(forked, 300) }, ORIGIN, privateKey), pinned);
    const forkedProof = await consistencyProof(forked, first.size, 300);
    expect(verifyConsistency(first.size, 300, first.rootHash, forkedHead.rootHash, forkedProof).ok).toBe(false);
  });
});
