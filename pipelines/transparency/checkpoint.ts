import type { KeyObject } from 'node:crypto';
import { CheckpointRefusedError, InvalidNoteError } from './errors.js';
import { isHash } from './hashing.js';
import { decodeBase64, openNote, signNote, type NoteVerifier } from './signed-note.js';
import { isTreeSize } from './subtrees.js';

/**
 * Checkpoints (https://c2sp.org/tlog-checkpoint): the signed head of the log, as a signed note
 * whose text is
 *
 *   <origin>\n
 *   <tree size, decimal, no leading zeros>\n
 *   <base64 root hash>\n
 *   [<extension line>\n …]
 *
 * Trainers record the checkpoint they pulled at and later ask for a consistency proof from it to
 * a newer one, which is how a rewritten history is caught.
 */
export interface Checkpoint {
  /** The log's identity, e.g. `index.tributary.example/feed`; also the signing key's name. */
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** Optional opaque lines; tlog-checkpoint discourages them (monitors cannot audit them). */
  extensions?: readonly string[];
}

/** A pinned log key, and the origin it signs for (defaults to the key name, as the spec recommends). */
export interface CheckpointVerifier extends NoteVerifier {
  origin?: string;
}

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

/** The note text of a checkpoint: exactly the bytes that get signed. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (typeof origin !== 'string' || origin === '' || origin.includes('\n')) {
    throw new InvalidNoteError('A checkpoint origin is one non-empty line.');
  }
  if (!isTreeSize(size)) throw new InvalidNoteError(`Checkpoint size ${String(size)} is not a non-negative safe integer.`);
  if (!isHash(rootHash)) throw new InvalidNoteError('A checkpoint root hash is 32 bytes.');
  for (const line of extensions) {
    if (typeof line !== 'string' || line === '' || line.includes('\n')) {
      throw new InvalidNoteError('Checkpoint extension lines are single non-empty lines.');
    }
  }
  return [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions].map((line) => `${line}\n`).join('');
}

/** Reads checkpoint text. Only for text that `openNote` returned: unsigned text proves nothing. */
export function parseCheckpoint(text: string): Required<Checkpoint> {
  const lines = text.split('\n');
  // The text ends in a newline, so the split ends in '' and every line before it is non-empty.
  if (lines.length < 4 || lines.pop() !== '' || lines.some((line) => line === '')) {
    throw new CheckpointRefusedError('malformed', 'A checkpoint is at least three non-empty lines: origin, size, root hash.');
  }
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  const size = TREE_SIZE.test(sizeLine) ? Number(sizeLine) : NaN;
  if (!isTreeSize(size)) throw new CheckpointRefusedError('malformed', 'The checkpoint size is not a decimal number below 2^53.');
  const rootHash = decodeBase64(rootLine);
  if (!rootHash || !isHash(rootHash)) throw new CheckpointRefusedError('malformed', 'The checkpoint root is not base64 of 32 bytes.');
  return { origin, size, rootHash, extensions };
}

/** The checkpoint as a signed note, ready to serve; tlog-checkpoint wants `keyName` equal to the origin. */
export function signCheckpoint(checkpoint: Checkpoint, keyName: string, privateKey: KeyObject): string {
  return signNote(formatCheckpoint(checkpoint), keyName, privateKey);
}

/**
 * The checkpoint in `note` if the pinned key signed it for the expected origin; otherwise
 * `NoteRefusedError` (signature, format) or `CheckpointRefusedError` (text, origin).
 */
export function openCheckpoint(note: string, verifier: CheckpointVerifier): Required<Checkpoint> {
  const checkpoint = parseCheckpoint(openNote(note, verifier));
  const origin = verifier.origin ?? verifier.keyName;
  if (checkpoint.origin !== origin) {
    throw new CheckpointRefusedError('wrong-origin', `The checkpoint is for ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(origin)}.`);
  }
  return checkpoint;
}
