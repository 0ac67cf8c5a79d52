import { TributaryError } from '../errors.js';

/** Refusals from the transparency-log stage, each with its own stable code. */
export class TransparencyError extends TributaryError {}

/**
 * A tree operation was asked for something that cannot exist: a leaf index at or past the tree
 * size, an old size larger than the new one, a size that is not a safe integer, a leaf hash that
 * is not 32 bytes. On the index this is the client's mistake (a 400), not the log's.
 */
export class InvalidTreeRequestError extends TransparencyError {
  static readonly code = 'InvalidTreeRequest';
  constructor(message: string) {
    super('InvalidTreeRequest', message);
  }
}

/**
 * The store does not hold a subtree hash that a tree of the requested size must have: the size
 * is beyond what was appended, or the store lost a row. Callers check sizes against the log
 * first, so on the index this means a broken store.
 */
export class MissingTreeNodeError extends TransparencyError {
  static readonly code = 'MissingTreeNode';
  constructor(
    readonly level: number,
    readonly index: number,
  ) {
    super('MissingTreeNode', `The log store has no hash for subtree (level ${level}, index ${index}).`, { level, index });
  }
}

/**
 * A write would change a subtree hash already stored, or leave a gap. The log is append-only: a
 * stored hash never changes, so this is either a bug or two writers appending at once.
 */
export class TreeNodeConflictError extends TransparencyError {
  static readonly code = 'TreeNodeConflict';
  constructor(
    readonly level: number,
    readonly index: number,
    message: string,
  ) {
    super('TreeNodeConflict', message, { level, index });
  }
}

/** A note, checkpoint or key name that this side was asked to sign or publish is not well formed. */
export class InvalidNoteError extends TransparencyError {
  static readonly code = 'InvalidNote';
  constructor(message: string) {
    super('InvalidNote', message);
  }
}

/** A verifier key line (`<name>+<hex key id>+<base64 key>`) that cannot be used. */
export class InvalidVerifierKeyError extends TransparencyError {
  static readonly code = 'InvalidVerifierKey';
  constructor(message: string) {
    super('InvalidVerifierKey', message);
  }
}

/** Why a signed note was not accepted; stable strings, for logs and tests, never for control flow. */
export type NoteRefusal =
  | 'too-large'
  | 'not-utf8'
  | 'control-character'
  | 'malformed'
  | 'too-many-signatures'
  | 'no-trusted-signature'
  | 'bad-signature';

/**
 * A signed note from a peer was not accepted: not signed by the pinned key, a signature by that
 * key that fails, or text that is not a signed note at all. Its text must not be used.
 */
export class NoteRefusedError extends TransparencyError {
  static readonly code = 'NoteRefused';
  constructor(
    readonly reason: NoteRefusal,
    message: string,
  ) {
    super('NoteRefused', message, { reason });
  }
}

export type CheckpointRefusal = 'malformed' | 'wrong-origin';

/** A correctly signed note whose text is not a checkpoint of the expected log. */
export class CheckpointRefusedError extends TransparencyError {
  static readonly code = 'CheckpointRefused';
  constructor(
    readonly reason: CheckpointRefusal,
    message: string,
  ) {
    super('CheckpointRefused', message, { reason });
  }
}
