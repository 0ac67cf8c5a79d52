import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { assertEd25519Private, ed25519PublicKeyFromRaw, rawPublicKey } from '../signing/keys.js';
import { InvalidNoteError, InvalidVerifierKeyError, NoteRefusedError } from './errors.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519, the envelope of a checkpoint:
 *
 *   <text, ending in a newline>
 *   <blank line>
 *   — <key name> <base64(4-byte key id || 64-byte signature)>
 *   …one line per signature
 *
 * The signature covers the UTF-8 bytes of the text, final newline included. The key id is
 * SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], 0x01 being the Ed25519 signature
 * type; a key is published as a verifier key line, `<name>+<hex key id>+<base64(0x01 || key)>`,
 * the form Go's golang.org/x/mod/sumdb/note reads, so other tooling can check our checkpoints.
 */
export interface NoteVerifier {
  keyName: string;
  publicKey: KeyObject;
}

export const ED25519_SIGNATURE_TYPE = 0x01;
/** Go's note package reads at most 100 signatures; the spec asks verifiers to accept 16. */
export const MAX_NOTE_SIGNATURES = 100;
/** A checkpoint is a few hundred bytes; this only bounds what a hostile peer can make us parse. */
export const MAX_NOTE_BYTES = 1 << 20;

const SIGNATURE_PREFIX = '\u2014 ';
const ED25519_SIGNATURE_BYTES = 64;
// Control characters other than newline are forbidden in a note (signed-note "Format").
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
// With the u flag, a surrogate pair is one code point, so this finds only unpaired halves: a
// JavaScript string that has no UTF-8 encoding.
const LONE_SURROGATE = /\p{Cs}/u;
// Unicode white space as Go's unicode.IsSpace sees it (\s lacks U+0085); key names exclude it and '+'.
const NOT_IN_KEY_NAME = /[\s\u0085+]/u;

export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name !== '' && !NOT_IN_KEY_NAME.test(name) && !CONTROL.test(name) && !LONE_SURROGATE.test(name);
}

/** The 4-byte id that names (key name, Ed25519, public key) on a signature line. */
export function noteKeyId(keyName: string, publicKey: KeyObject): Uint8Array {
  return createHash('sha256')
    .update(keyName, 'utf8')
    .update(Uint8Array.of(0x0a, ED25519_SIGNATURE_TYPE))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** `<name>+<8 lowercase hex digits>+<base64(0x01 || public key)>`: one line to publish and to pin. */
export function verifierKey(keyName: string, publicKey: KeyObject): string {
  if (!isValidKeyName(keyName)) throw new InvalidNoteError(`Key name ${JSON.stringify(keyName)} is empty or has a space or '+'.`);
  const key = Buffer.concat([Uint8Array.of(ED25519_SIGNATURE_TYPE), rawPublicKey(publicKey)]);
  return `${keyName}+${Buffer.from(noteKeyId(keyName, publicKey)).toString('hex')}+${key.toString('base64')}`;
}

/** Reads a verifier key line; the key id must be the one its name and key give. */
export function parseVerifierKey(line: string): NoteVerifier {
  if (typeof line !== 'string') throw new InvalidVerifierKeyError('A verifier key is a string.');
  // The base64 part may itself contain '+', so split at the first two only.
  const first = line.indexOf('+');
  const second = line.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new InvalidVerifierKeyError('A verifier key is <name>+<hex key id>+<base64 key>.');
  const keyName = line.slice(0, first);
  const id = line.slice(first + 1, second);
  const key = decodeBase64(line.slice(second + 1));
  if (!isValidKeyName(keyName)) throw new InvalidVerifierKeyError(`Key name ${JSON.stringify(keyName)} is empty or has a space or '+'.`);
  if (!/^[0-9a-f]{8}$/.test(id)) throw new InvalidVerifierKeyError('The key id of a verifier key is 8 lowercase hex digits.');
  if (!key || key.length !== 33 || key[0] !== ED25519_SIGNATURE_TYPE) {
    throw new InvalidVerifierKeyError('The key of a verifier key is base64 of 0x01 and a 32-byte Ed25519 public key.');
  }
  let publicKey: KeyObject;
  try {
    publicKey = ed25519PublicKeyFromRaw(key.subarray(1));
  } catch {
    throw new InvalidVerifierKeyError('The key of a verifier key is not an Ed25519 public key.');
  }
  if (Buffer.from(noteKeyId(keyName, publicKey)).toString('hex') !== id) {
    throw new InvalidVerifierKeyError('The key id of the verifier key does not match its name and key.');
  }
  return { keyName, publicKey };
}

/** Signs `text` (which must end in a newline) and returns the note: text, blank line, signature line. */
export function signNote(text: string, keyName: string, privateKey: KeyObject): string {
  assertEd25519Private(privateKey, 'note signing');
  if (!isValidKeyName(keyName)) throw new InvalidNoteError(`Key name ${JSON.stringify(keyName)} is empty or has a space or '+'.`);
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new InvalidNoteError('The text of a note ends in a newline.');
  if (CONTROL.test(text) || LONE_SURROGATE.test(text)) {
    throw new InvalidNoteError('The text of a note is UTF-8 with no control characters other than newline.');
  }
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKey);
  const blob = Buffer.concat([noteKeyId(keyName, privateKey), signature]).toString('base64');
  const note = `${text}\n${SIGNATURE_PREFIX}${keyName} ${blob}\n`;
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) throw new InvalidNoteError(`A note is at most ${MAX_NOTE_BYTES} bytes.`);
  return note;
}

/**
 * The text of `note` if the verifier's key signed it; otherwise `NoteRefusedError`. As the spec
 * requires, signatures by other keys (another name, or the same name with another key id) are
 * ignored, so a note cosigned by witnesses or by a rotated key still opens; but every signature
 * line must be well formed, and a signature that claims the verifier's key and fails refuses the
 * whole note.
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  if (typeof note !== 'string') throw new NoteRefusedError('malformed', 'A note is text.');
  if (note.length > MAX_NOTE_BYTES || Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
    throw new NoteRefusedError('too-large', `The note is over ${MAX_NOTE_BYTES} bytes.`);
  }
  if (LONE_SURROGATE.test(note)) throw new NoteRefusedError('not-utf8', 'The note is not valid UTF-8.');
  if (CONTROL.test(note)) throw new NoteRefusedError('control-character', 'The note has a control character other than newline.');
  if (!note.endsWith('\n')) throw new NoteRefusedError('malformed', 'The note does not end in a newline.');

  // The text ends at the last blank line; signature lines never contain one.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteRefusedError('malformed', 'The note has no blank line before its signatures.');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 1 && lines[0] === '') throw new NoteRefusedError('malformed', 'The note has no signatures.');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteRefusedError('too-many-signatures', `The note has more than ${MAX_NOTE_SIGNATURES} signatures.`);
  }

  const keyId = Buffer.from(noteKeyId(verifier.keyName, verifier.publicKey));
  const message = Buffer.from(text, 'utf8');
  let verified = false;
  for (const line of lines) {
    const space = line.indexOf(' ', SIGNATURE_PREFIX.length);
    const name = line.slice(SIGNATURE_PREFIX.length, space);
    const blob = space < 0 ? null : decodeBase64(line.slice(space + 1));
    if (!line.startsWith(SIGNATURE_PREFIX) || !isValidKeyName(name) || !blob || blob.length < 5) {
      throw new NoteRefusedError('malformed', 'A signature line is not "— <key name> <base64 signature>".');
    }
    if (name !== verifier.keyName || !keyId.equals(blob.subarray(0, 4))) continue;
    const signature = blob.subarray(4);
    if (signature.length !== ED25519_SIGNATURE_BYTES || !verify(null, message, verifier.publicKey, signature)) {
      throw new NoteRefusedError('bad-signature', `The signature by ${verifier.keyName} does not verify.`);
    }
    verified = true;
  }
  if (!verified) throw new NoteRefusedError('no-trusted-signature', `The note is not signed by ${verifier.keyName}.`);
  return text;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard, padded base64 (RFC 4648 §4) in its one canonical spelling: Buffer.from(…, 'base64')
 * would skip unknown characters and ignore unused trailing bits, giving one signature many forms.
 */
export function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}
