import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidNoteError, InvalidVerifierKeyError, NoteRefusedError, type NoteRefusal } from './errors.js';
import { MAX_NOTE_SIGNATURES, isValidKeyName, noteKeyId, openNote, parseVerifierKey, signNote, verifierKey } from './signed-note.js';

// The example of Go's golang.org/x/mod/sumdb/note package documentation: a published key pair,
// text, and the note Go signs with it. Ed25519 is deterministic, so we must produce it byte for
// byte, and read it back.
const GO_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

/** The Ed25519 private key whose 32-byte seed follows the 0x01 type byte in a Go signer key. */
function goSigner(skey: string): KeyObject {
  const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

const goKey = goSigner(GO_SIGNER_KEY);
const pinned = { keyName: 'PeterNeumann', publicKey: createPublicKey(goKey) };

function refusal(open: () => unknown): NoteRefusal | 'accepted' {
  try {
    open();
    return 'accepted';
  } catch (error) {
    if (error instanceof NoteRefusedError) return error.reason;
    throw error;
  }
}

describe('signed notes, against Go’s sumdb/note example', () => {
  it('computes the same verifier key and key id', () => {
    expect(verifierKey('PeterNeumann', goKey)).toBe(GO_VERIFIER_KEY);
    expect(Buffer.from(noteKeyId('PeterNeumann', goKey)).toString('hex')).toBe('c74f20a3');
  });

  it('signs the text into the very same note', () => {
    expect(signNote(GO_TEXT, 'PeterNeumann', goKey)).toBe(GO_NOTE);
  });

  it('opens the Go note with the pinned verifier key, and not once one character changes', () => {
    const verifier = parseVerifierKey(GO_VERIFIER_KEY);
    expect(verifier.keyName).toBe('PeterNeumann');
    expect(openNote(GO_NOTE, verifier)).toBe(GO_TEXT);
    expect(refusal(() => openNote(GO_NOTE.replace('cryptography', 'cryptographY'), verifier))).toBe('bad-signature');
  });
});

describe('verifier keys', () => {
  it('round-trips a key, including one whose base64 contains +', () => {
    for (let i = 0; i < 20; i += 1) {
      const { publicKey } = generateKeyPairSync('ed25519');
      const line = verifierKey('index.tributary.example/feed', publicKey);
      const parsed = parseVerifierKey(line);
      expect(parsed.keyName).toBe('index.tributary.example/feed');
      expect(parsed.publicKey.export({ format: 'der', type: 'spki' })).toEqual(publicKey.export({ format: 'der', type: 'spki' }));
    }
  });

  it('refuses lines that are not a verifier key', () => {
    const bad = [
      '',
      'PeterNeumann',
      'PeterNeumann+c74f20a3',
      'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // id does not match
      'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // upper-case hex
      'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // another name
      'PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // another key type byte
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T', // not base64
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n',
      ' PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    ];
    for (const line of bad) expect(() => parseVerifierKey(line), line).toThrow(InvalidVerifierKeyError);
  });

  it('knows which key names the spec allows', () => {
    expect(['example.com/log42', 'PeterNeumann', 'ключ', 'a'].every(isValidKeyName)).toBe(true);
    expect(['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u2003b', 'a\u0085b', 'a\nb', 'a\u0001b', 'a\ud800'].some(isValidKeyName)).toBe(false);
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => verifierKey('a b', privateKey)).toThrow(InvalidNoteError);
    expect(() => signNote('text\n', 'a+b', privateKey)).toThrow(InvalidNoteError);
  });
});

describe('openNote', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const own = { keyName: 'index.example/feed', publicKey: createPublicKey(privateKey) };
  const text = 'index.example/feed\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
  const note = signNote(text, own.keyName, privateKey);
  const signatureLine = note.slice(text.length + 1);

  it('opens with the signing key, and keeps blank lines inside the text', () => {
    expect(openNote(note, own)).toBe(text);
    const spaced = 'first\n\nthird\n';
    expect(openNote(signNote(spaced, own.keyName, privateKey), own)).toBe(spaced);
  });

  it('ignores signatures by other keys, before or after the known one', () => {
    const witness = generateKeyPairSync('ed25519').privateKey;
    const witnessLine = signNote(text, 'witness.example', witness).slice(text.length + 1);
    expect(openNote(`${text}\n${witnessLine}${signatureLine}`, own)).toBe(text);
    expect(openNote(`${text}\n${signatureLine}${witnessLine}`, own)).toBe(text);
    // Same name, another key: a different key id, so an unknown signature, not a bad one.
    const impostorLine = signNote(text, own.keyName, witness).slice(text.length + 1);
    expect(openNote(`${text}\n${impostorLine}${signatureLine}`, own)).toBe(text);
    expect(refusal(() => openNote(`${text}\n${impostorLine}`, own))).toBe('no-trusted-signature');
    expect(refusal(() => openNote(`${text}\n${witnessLine}`, own))).toBe('no-trusted-signature');
  });

  it('refuses a note signed under another key name, or by another key', () => {
    expect(refusal(() => openNote(note, { ...own, keyName: 'index.example/other' }))).toBe('no-trusted-signature');
    expect(refusal(() => openNote(note, { ...own, publicKey: generateKeyPairSync('ed25519').publicKey }))).toBe('no-trusted-signature');
    const renamed = note.replace(`— ${own.keyName} `, '— index.example/other ');
    expect(refusal(() => openNote(renamed, { ...own, keyName: 'index.example/other' }))).toBe('no-trusted-signature');
  });

  it('refuses when a signature claiming the pinned key fails, even beside a good one', () => {
    const blob = Buffer.from(signatureLine.split(' ')[2] as string, 'base64');
    blob[10] = (blob[10] as number) ^ 1;
    const forgedLine = `— ${own.keyName} ${blob.toString('base64')}\n`;
    expect(refusal(() => openNote(`${text}\n${forgedLine}`, own))).toBe('bad-signature');
    expect(refusal(() => openNote(`${text}\n${signatureLine}${forgedLine}`, own))).toBe('bad-signature');
    const short = `— ${own.keyName} ${blob.subarray(0, 40).toString('base64')}\n`;
    expect(refusal(() => openNote(`${text}\n${short}`, own))).toBe('bad-signature');
  });

  it('refuses every change to the signed text', () => {
    for (let i = 0; i < text.length - 1; i += 1) {
      const changed = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
      expect(refusal(() => openNote(`${changed}\n${signatureLine}`, own)), `at ${i}`).not.toBe('accepted');
    }
  });

  it('refuses notes that are not well-formed signed notes', () => {
    const cases: Array<[string, NoteRefusal]> = [
      [note.slice(0, -1), 'malformed'], // no trailing newline
      [`${note}\n`, 'malformed'], // a blank line after the signatures: no signature lines
      [text, 'malformed'],
      [`${text}${signatureLine}`, 'malformed'], // no blank line
      [`${text}\n`, 'malformed'],
      [`${text}\n${signatureLine.replace('— ', '-- ')}`, 'malformed'],
      [`${text}\n${signatureLine.replace('— ', '—')}`, 'malformed'],
      [`${text}\n${signatureLine.replace(own.keyName, `${own.keyName}+x`)}`, 'malformed'],
      [`${text}\n${signatureLine.replace(/=\n$/, '\n')}`, 'malformed'], // unpadded base64
      [`${text}\n${signatureLine}${signatureLine.replace(/ \S+\n$/, ' AAAA\n')}`, 'malformed'], // too short to hold an id
      [`${text}\n${signatureLine}garbage\n`, 'malformed'],
      [note.replace('\n3\n', '\r\n3\n'), 'control-character'],
      [note.replace('\n3\n', '\n3\t\n'), 'control-character'],
      [note.replace('index', 'ind\ud800ex'), 'not-utf8'],
      [`${text}\n${signatureLine.repeat(MAX_NOTE_SIGNATURES + 1)}`, 'too-many-signatures'],
      [`${'x'.repeat(1 << 20)}\n\n${signatureLine}`, 'too-large'],
    ];
    for (const [input, reason] of cases) expect(refusal(() => openNote(input, own)), JSON.stringify(input.slice(-40))).toBe(reason);
    expect(refusal(() => openNote(42 as unknown as string, own))).toBe('malformed');
    // Up to the limit, repeated signatures by the known key are fine.
    expect(openNote(`${text}\n${signatureLine.repeat(MAX_NOTE_SIGNATURES)}`, own)).toBe(text);
  });

  it('signs only text it can be read back as', () => {
    expect(() => signNote('no newline', own.keyName, privateKey)).toThrow(InvalidNoteError);
    expect(() => signNote('tab\there\n', own.keyName, privateKey)).toThrow(InvalidNoteError);
    expect(() => signNote('lone \udc00\n', own.keyName, privateKey)).toThrow(InvalidNoteError);
    expect(() => signNote('text\n', own.keyName, own.publicKey)).toThrow(/private key/);
    expect(() => signNote('text\n', own.keyName, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toThrow(/Ed25519/);
  });
});
