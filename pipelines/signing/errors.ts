/**
 * Refusals from the signing stage. Each has a stable `code` (the same convention as
 * server/core/errors.ts) so the node and the index can map them to their own HTTP errors
 * without matching on messages.
 */
export class SigningError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = `${code}Error`;
  }
}

/** A key file is missing, unreadable, not PKCS#8 PEM, not Ed25519, or would be overwritten. */
export class KeyFileError extends SigningError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('KeyFile', message);
  }
}

/** A DID this module cannot produce or read (wrong method, malformed key, unusable URL). */
export class InvalidDidError extends SigningError {
  constructor(message: string) {
    super('InvalidDid', message);
  }
}

/** A key of the wrong kind was handed in (we sign with Ed25519 only). */
export class UnsupportedKeyError extends SigningError {
  constructor(message: string) {
    super('UnsupportedKey', message);
  }
}
