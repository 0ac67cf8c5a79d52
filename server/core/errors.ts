import { TributaryError, defineError } from '../../pipelines/errors.js';

export { TributaryError, defineError };

/**
 * Errors any Tributary HTTP service can answer with, whatever it serves. Each service adds its
 * own in an errors module of its own and gives every code its status in one table; the contributor app
 * and the CLI show `errors:<code>` from locales/<lng>/errors.json, so add a key there with a code.
 */
export const MalformedJsonError = defineError('MalformedJson', 'The request body is not valid JSON.');
export const MalformedUrlError = defineError('MalformedUrl', 'The URL is not valid percent-encoding.');
export const InvalidRequestError = defineError('InvalidRequest', 'The request does not match the expected shape.');
export const UnauthenticatedError = defineError('Unauthenticated', 'A valid bearer token is required.');
export const NotFoundError = defineError('NotFound', 'Not found.');
export const PayloadTooLargeError = defineError('PayloadTooLarge', 'The request body is too large.');
export const UnsupportedMediaTypeError = defineError(
  'UnsupportedMediaType',
  'Send JSON with Content-Type: application/json.',
);
export const RateLimitedError = defineError('RateLimited', 'Too many requests; slow down and try again shortly.');

/** A problem with configuration or local files, found before any work starts; stated in one line. */
export const ConfigError = defineError('InvalidConfig', 'The configuration is invalid.');

/** HTTP status of every code in this file. */
export const CORE_STATUSES: StatusTable = {
  MalformedJson: 400,
  MalformedUrl: 400,
  InvalidRequest: 400,
  Unauthenticated: 401,
  NotFound: 404,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RateLimited: 429,
  BlobNotFound: 404,
  PeerUnreachable: 502,
  RangeNotSatisfiable: 416,
};

/** Code → HTTP status. A code missing from a service's table is answered as a bug: 500, logged. */
export type StatusTable = Readonly<Record<string, number>>;
