import { TributaryError } from '../errors.js';

/** Refusals from the signing stage, each with its own stable code. */
export class SigningError extends TributaryError {}

/** A key file is missing, unreadable, not PKCS#8 PEM, not Ed25519, or would be overwritten. */
export class KeyFileError extends SigningError {
  static readonly code = 'KeyFile';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('KeyFile', message);
  }
}

/** A DID this module cannot produce or read (wrong method, malformed key, unusable URL). */
export class InvalidDidError extends SigningError {
  static readonly code = 'InvalidDid';
  constructor(message: string) {
    super('InvalidDid', message);
  }
}

/** A key of the wrong kind was handed in (we sign with Ed25519 only). */
export class UnsupportedKeyError extends SigningError {
  static readonly code = 'UnsupportedKey';
  constructor(message: string) {
    super('UnsupportedKey', message);
  }
}

/** A key rotation that cannot be made or recorded as asked. */
export class KeyRotationError extends SigningError {
  static readonly code = 'KeyRotation';
  constructor(message: string) {
    super('KeyRotation', message);
  }
}

/** `node new-identity` refused: the keys are fine (rotate instead), or the operator has not confirmed. */
export class NewIdentityRefusedError extends SigningError {
  static readonly code = 'NewIdentityRefused';
  constructor(message: string) {
    super('NewIdentityRefused', message);
  }
}
