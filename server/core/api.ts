import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { parse } from './http.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: anyone, or a level the service defines and its `authorize` checks. */
export type Access<Level extends string> = 'public' | Level;

type AnyObject = z.ZodObject | z.ZodPipe;

export interface RouteSpec<
  Principal,
  Level extends string,
  A extends Access<Level>,
  B extends z.ZodType,
  Q extends AnyObject,
  P extends AnyObject,
  R extends z.ZodType,
> {
  method: Method;
  /** Express path syntax (`/samples/:id/votes`); OpenAPI gets `{id}`. */
  path: string;
  summary: string;
  tag: string;
  access: A;
  /** Runs before the body is parsed (multipart parsing, for instance). */
  middleware?: RequestHandler[];
  body?: B;
  /** Defaults to JSON. */
  bodyType?: 'application/json' | 'multipart/form-data';
  query?: Q;
  params?: P;
  status?: number;
  /** What a success answers with: the handler must return this shape (or send the body itself). */
  response: R;
  /** Stable error codes this route may answer with, for the OpenAPI document. */
  errors?: string[];
  handler: (input: {
    principal: A extends 'public' ? undefined : Principal;
    body: z.output<B>;
    query: z.output<Q>;
    params: z.output<P>;
    req: Request;
    res: Response;
  }) => Answer<R>;
}

/** A handler returns the response's shape, or nothing when it has sent the body itself (files, streams). */
export type Answer<R extends z.ZodType> = z.input<R> | Promise<z.input<R>> | Promise<void> | void;

export interface ApiOptions<Principal, Level extends string> {
  router: Router;
  registry: OpenAPIRegistry;
  /** Resolves the caller for a route of the given access level, or throws. */
  authorize: (req: Request, level: Level) => Principal;
  /** Checks every JSON answer against its response schema (tests), so the contract cannot drift at run time either. */
  checkResponses?: boolean;
}

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/**
 * Declares a route once for both Express and the OpenAPI document, so the published contract
 * cannot drift from what the handlers actually parse.
 */
export function createApi<Principal, Level extends string>({ router, registry, authorize, checkResponses }: ApiOptions<Principal, Level>) {
  return function route<
    A extends Access<Level>,
    R extends z.ZodType,
    B extends z.ZodType = z.ZodUndefined,
    Q extends AnyObject = z.ZodObject,
    P extends AnyObject = z.ZodObject,
  >(spec: RouteSpec<Principal, Level, A, B, Q, P, R>): void {
    const status = spec.status ?? 200;
    registry.registerPath({
      method: spec.method,
      path: spec.path.replace(/[:*](\w+)/g, '{$1}'),
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.access === 'public' ? {} : { security: [{ bearer: [] }] }),
      request: {
        ...(spec.body
          ? { body: { content: { [spec.bodyType ?? 'application/json']: { schema: spec.body } }, required: true } }
          : {}),
        ...(spec.query ? { query: spec.query } : {}),
        ...(spec.params ? { params: spec.params } : {}),
      },
      responses: {
        [status]: { description: 'Success', content: { 'application/json': { schema: spec.response } } },
        '4XX': {
          description: `Refused. Codes: ${(spec.errors ?? ['InvalidRequest']).join(', ')}`,
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    });

    // The caller is known before any body is read, so an anonymous client cannot make the server
    // buffer a multipart upload only to be refused.
    const authenticate: RequestHandler = (req, res, next) => {
      if (spec.access !== 'public') res.locals.principal = authorize(req, spec.access as Level);
      next();
    };
    router[spec.method](spec.path, authenticate, ...(spec.middleware ?? []), async (req, res) => {
      const result = await spec.handler({
        principal: res.locals.principal as A extends 'public' ? undefined : Principal,
        body: (spec.body ? parse(spec.body, req.body) : undefined) as z.output<B>,
        query: (spec.query ? parse(spec.query, req.query) : {}) as z.output<Q>,
        params: (spec.params ? parse(spec.params, req.params) : {}) as z.output<P>,
        req,
        res,
      });
      if (res.headersSent) return;
      if (checkResponses) {
        const checked = spec.response.safeParse(result);
        const problem = checked.success ? undeclaredKey(result, checked.data) : checked.error.message;
        if (problem) throw new Error(`${spec.method.toUpperCase()} ${spec.path} answered off its schema: ${problem}`);
      }
      res.status(status).json(result);
    });
  };
}

/**
 * The path of a key the answer has and its schema does not declare (zod's parse drops such keys
 * silently, so a field leaking into an answer would pass the check otherwise).
 */
function undeclaredKey(sent: unknown, declared: unknown, path = ''): string | undefined {
  const json = JSON.parse(JSON.stringify(sent ?? null)) as unknown;
  const walk = (a: unknown, b: unknown, at: string): string | undefined => {
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < a.length; i++) {
        const found = walk(a[i], b[i], `${at}[${i}]`);
        if (found) return found;
      }
      return undefined;
    }
    if (a && typeof a === 'object' && b && typeof b === 'object') {
      for (const [key, value] of Object.entries(a)) {
        if (!(key in b)) return `undeclared key ${at}.${key}`;
        const found = walk(value, (b as Record<string, unknown>)[key], `${at}.${key}`);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(json, JSON.parse(JSON.stringify(declared ?? null)), path);
}

export type Route<Principal, Level extends string> = ReturnType<typeof createApi<Principal, Level>>;

export function openApiDocument(registry: OpenAPIRegistry, info: { title: string; version: string; server: string }) {
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.server }],
  });
}
