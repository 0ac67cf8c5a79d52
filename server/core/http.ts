import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { z } from 'zod';
import {
  InvalidRequestError,
  MalformedJsonError,
  MalformedUrlError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  TributaryError,
  type StatusTable,
} from './errors.js';
import type { Logger } from './log.js';

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
  // The media type is checked here once; body-parser need not check it again. Compressed bodies
  // are refused (415) rather than inflated: no client of the API needs them, and a body that
  // only claims to be gzip or br was a way to reach the 500 path.
  const parseJson = express.json({ limit: limitBytes, type: () => true, inflate: false });
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
        // A server on a community LAN may run without TLS; upgrading would break every load there.
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
function fromBodyParser(error: { type?: string; status?: number }): TributaryError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new MalformedJsonError();
    case 'entity.too.large':
      return new PayloadTooLargeError();
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('Send UTF-8 JSON.');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('Send the body uncompressed (no Content-Encoding).');
    case 'request.aborted':
    case 'stream.encoding.set':
    case 'entity.verify.failed':
      return new InvalidRequestError('The request body could not be read.');
    default:
      return undefined;
  }
}

/** What a path parameter that is not valid percent-encoding looks like when the router gives up. */
const isUndecodablePath = (error: unknown): boolean =>
  error instanceof URIError && (error as URIError & { status?: number }).status === 400;

/** A coded error, from ours or from what Express and body-parser throw; undefined for anything else. */
function codedError(error: unknown): TributaryError | undefined {
  if (error instanceof TributaryError) return error;
  if (isUndecodablePath(error)) return new MalformedUrlError();
  return fromBodyParser((error ?? {}) as { type?: string });
}

/**
 * The status a client gets for an error, from the service's one table. A coded error the table
 * does not know is a bug (a pipeline's ShardsExist reaching HTTP, say), as is any uncoded error.
 */
export function statusOf(error: unknown, statuses: StatusTable): { error: TributaryError; status: number } | undefined {
  const coded = codedError(error);
  const status = coded && statuses[coded.code];
  if (!coded || status === undefined) return undefined;
  // A missing blob is, to a client, a thing that is not there.
  return coded.code === 'BlobNotFound' ? { error: new NotFoundError(), status } : { error: coded, status };
}

export interface ErrorBody {
  error: { code: string; message: string; requestId?: string; details?: unknown };
}

export function errorBody(error: TributaryError, requestId?: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(requestId ? { requestId } : {}),
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/** Where a request came from, for log lines and error answers. */
export interface RequestRef {
  requestId?: string;
  method: string;
  path: string;
}

/**
 * What a client is told about an error: a known one as it is; anything else is logged with the
 * request id and hidden behind a 500 that carries the same id, so an operator can find the line.
 */
export function answerFor(
  error: unknown,
  context: { log: Logger; statuses: StatusTable },
  request: RequestRef,
): { status: number; body: ErrorBody } {
  const known = statusOf(error, context.statuses);
  if (known) return { status: known.status, body: errorBody(known.error, request.requestId) };
  context.log.error({ err: error, ...request }, 'request failed');
  return {
    status: 500,
    body: {
      error: {
        code: 'Internal',
        message: 'Something went wrong; the server logged it.',
        ...(request.requestId ? { requestId: request.requestId } : {}),
      },
    },
  };
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives every request an id (a proxy's `X-Request-Id` when it is a plain token, else a new one),
 * echoes it in the answer and on every log line, and logs each request at debug level. Paths are
 * logged without their query, which may carry access tokens.
 */
export function requestIds(log: Logger): RequestHandler {
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const requestId = typeof offered === 'string' && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    if (log.isLevelEnabled('debug')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log.debug({ requestId, method: req.method, path: pathOf(req), status: res.statusCode, ms }, 'request');
      });
    }
    next();
  };
}

/** The path as the client sent it, without the query (which may carry access tokens). */
function pathOf(req: express.Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function requestRef(req: express.Request, res: express.Response): RequestRef {
  return { requestId: res.locals.requestId as string | undefined, method: req.method, path: pathOf(req) };
}

/** The one place Express errors become responses (tus uploads use `answerFor` too). */
export function errorHandler(context: { log: Logger; statuses: StatusTable }): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, body } = answerFor(error, context, requestRef(req, res));
    res.status(status).json(body);
  };
}
