import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { z } from 'zod';
import { BlobNotFoundError } from './blob-store.js';
import {
  AppError,
  InvalidRequestError,
  MalformedJsonError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.js';

/** Parses untrusted input; a mismatch is a 400 that names each offending field. */
export function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new InvalidRequestError(summary, { issues });
}

/**
 * JSON bodies only, bounded in size. A body sent with another content type is refused rather
 * than silently ignored, so a client bug shows up as a 415 and not as "field required".
 */
export function jsonBody(limitBytes: number): RequestHandler {
  // The media type is checked here once; body-parser need not check it again.
  const parseJson = express.json({ limit: limitBytes, type: () => true });
  return (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody) {
      next();
      return;
    }
    const type = mediaType(req.headers['content-type']);
    // Multipart bodies are left to the routes that declare a multipart parser.
    if (type === 'multipart/form-data') {
      next();
      return;
    }
    if (type !== 'application/json' && !/^application\/[!#$&^\w.+-]+\+json$/.test(type)) {
      next(new UnsupportedMediaTypeError());
      return;
    }
    parseJson(req, res, next);
  };
}

/** `type/subtype` of a Content-Type field, lower-cased, without parameters. */
function mediaType(header: string | undefined): string {
  if (!header) return '';
  const end = header.indexOf(';');
  return (end === -1 ? header : header.slice(0, end)).trim().toLowerCase();
}

/**
 * helmet's headers, worked out once: every directive here is static, so helmet is run once
 * against a recording response and each request gets the recorded list in one loop instead of
 * a chain of thirteen middlewares.
 */
export function securityHeaders(): RequestHandler {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        mediaSrc: ["'self'", 'blob:'],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        // A node on a community LAN may run without TLS; upgrading would break every load there.
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  })({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

/** body-parser signals its refusals with `type`; map them onto our stable codes. */
function fromBodyParser(error: { type?: string; status?: number }): AppError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new MalformedJsonError();
    case 'entity.too.large':
      return new PayloadTooLargeError();
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('Send UTF-8 JSON.');
    case 'request.aborted':
    case 'stream.encoding.set':
    case 'entity.verify.failed':
      return new InvalidRequestError('The request body could not be read.');
    default:
      return undefined;
  }
}

export function errorBody(error: AppError): { error: { code: string; message: string; details?: unknown } } {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

/** What a client is told about an error: a known one as it is; anything else is logged and hidden behind a 500. */
export function answerFor(
  error: unknown,
  log: (message: string, error: unknown) => void,
  what: string,
): { status: number; body: ReturnType<typeof errorBody> } {
  const known =
    error instanceof AppError
      ? error
      : error instanceof BlobNotFoundError
        ? new NotFoundError()
        : fromBodyParser((error ?? {}) as { type?: string });
  if (known) return { status: known.status, body: errorBody(known) };
  log(`${what} failed`, error);
  return { status: 500, body: { error: { code: 'Internal', message: 'Something went wrong on the node.' } } };
}

/** The one place Express errors become responses (tus uploads use `answerFor` too). */
export function errorHandler(log: (message: string, error: unknown) => void): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, body } = answerFor(error, log, `${req.method} ${req.originalUrl}`);
    res.status(status).json(body);
  };
}
