import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type RequestHandler } from 'express';
import { createApi, openApiDocument, type Route } from './api.js';
import type { StatusTable } from './errors.js';
import { errorHandler, jsonBody, notFound, requestIds, securityHeaders } from './http.js';
import type { Logger } from './log.js';
import { rateLimit, type RateLimits } from './rate-limit.js';
import { version } from './version.js';

/** Which reverse proxies may name the client (Express's `trust proxy`): none, a hop count, or their addresses. */
export type TrustProxy = false | number | string[];

export interface HttpAppOptions<Principal, Level extends string> {
  log: Logger;
  /** The service's code → status table; codes it lacks are answered as bugs (500, logged). */
  statuses: StatusTable;
  /** Where the JSON API lives (`/api/v1`). */
  apiBase: string;
  trustProxy: TrustProxy;
  rateLimits: RateLimits;
  /** Largest JSON body accepted. */
  bodyBytes: number;
  authorize: (req: Request, level: Level) => Principal;
  /** Handlers under the API that read the raw request body themselves (resumable uploads). */
  rawHandlers?: Array<{ path: string; handler: RequestHandler }>;
  openApi: { title: string; publicUrl?: string };
  /** Check every JSON answer against its route's response schema (tests). */
  checkResponses?: boolean;
}

export interface HttpApp<Principal, Level extends string> {
  app: express.Express;
  /** Declares a JSON route under the API base, in Express and in `/openapi.json` alike. */
  route: Route<Principal, Level>;
  /** The API's rate limit, the same budget, for a service's own pages (`app.get('/', http.rateLimit, …)`). */
  rateLimit: RequestHandler;
  /** Adds the 404 and the error mapper; call once every route and page is in place. */
  finish(): express.Express;
}

/**
 * The HTTP plumbing every Tributary service shares: request ids and structured logs, security
 * headers, rate limits on the API (raw handlers included), bounded JSON bodies, routes declared
 * once for Express and OpenAPI, a JSON 404, and the one error mapper. A service adds its routes
 * and pages between `createHttpApp` and `finish`.
 */
export function createHttpApp<Principal, Level extends string>(
  options: HttpAppOptions<Principal, Level>,
): HttpApp<Principal, Level> {
  const { log, apiBase } = options;
  const app = express();
  app.disable('x-powered-by');
  // Which hops may say who the client is (X-Forwarded-For): none unless the operator names the
  // reverse proxy, or any local program could pick its own rate-limit bucket.
  app.set('trust proxy', options.trustProxy);
  app.set('json escape', true);
  // API answers are per caller and mostly writes: hashing every body for a weak ETag bought
  // nothing. Files served carry their own validators.
  app.set('etag', false);
  app.use(requestIds(log));
  app.use(securityHeaders());

  // One budget for the whole API, raw handlers included, and the pages a service puts it on.
  const limiter = rateLimit(options.rateLimits);
  app.use(apiBase, limiter);
  // Raw handlers read the body themselves, so they come before any body parser.
  for (const { path, handler } of options.rawHandlers ?? []) app.use(apiBase + path, handler);

  const registry = new OpenAPIRegistry();
  const api = express.Router();
  api.use(jsonBody(options.bodyBytes));
  const route = createApi<Principal, Level>({
    router: api,
    registry,
    authorize: options.authorize,
    checkResponses: options.checkResponses,
  });
  app.use(apiBase, api);

  let document: unknown;
  app.get('/openapi.json', (req, res) => {
    document ??= openApiDocument(registry, {
      title: options.openApi.title,
      version,
      server: (options.openApi.publicUrl ?? `${req.protocol}://${req.get('host')}`) + apiBase,
    });
    res.json(document);
  });

  return {
    app,
    route,
    rateLimit: limiter,
    finish() {
      app.use(notFound);
      app.use(errorHandler({ log, statuses: options.statuses }));
      return app;
    },
  };
}
