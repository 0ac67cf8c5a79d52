/**
 * The one error base of Tributary. Every failure the code expects, in a pipeline stage or a
 * server, is a `TributaryError` with a stable `code`: callers switch on the code, never on a
 * message; the contributor app and the CLI show `errors:<code>` from locales/<lng>/errors.json;
 * each server maps codes to HTTP statuses in one table (server/core/error-statuses.ts). Anything
 * that is not a `TributaryError` is a bug: logged with its stack, and hidden behind a 500.
 */
export class TributaryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = `${code}Error`;
  }
}

/** An error class whose instances all carry one code, stated on the class too. */
export interface CodedErrorClass {
  new (message?: string, details?: Record<string, unknown>): TributaryError;
  readonly code: string;
}

/** Declares an error with a fixed code and a default message a person can act on. */
export function defineError(code: string, defaultMessage: string): CodedErrorClass {
  return class extends TributaryError {
    static readonly code = code;
    constructor(message = defaultMessage, details?: Record<string, unknown>) {
      super(code, message, details);
    }
  };
}
