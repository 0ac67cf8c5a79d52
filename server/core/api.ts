import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { parse } from './http.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route; the app decides what each level means. */
export type Access = 'public' | 'contributor' | 'reviewer' | 'admin';

type AnyObject = z.ZodObject | z.ZodPipe;

export interface RouteSpec<
  Principal,
  A extends Access,
  B extends z.ZodType,
  Q extends AnyObject,
  P extends AnyObject,
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
  response: z.ZodType;
  /** Stable error codes this route may answer with, for the OpenAPI document. */
  errors?: string[];
  handler: (input: {
    principal: A extends 'public' ? undefined : Principal;
    body: z.output<B>;
    query: z.output<Q>;
    params: z.output<P>;
    req: Request;
    res: Response;
  }) => unknown;
}

export interface ApiOptions<Principal> {
  router: Router;
  registry: OpenAPIRegistry;
  /** Resolves the caller for a route of the given access level, or throws. */
  authorize: (req: Request, access: Exclude<Access, 'public'>) => Principal;
}

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/**
 * Declares a route once for both Express and the OpenAPI document, so the published contract
 * cannot drift from what the handlers actually parse.
 */
export function createApi<Principal>({ router, registry, authorize }: ApiOptions<Principal>) {
  return function route<
    A extends Access,
    B extends z.ZodType = z.ZodUndefined,
    Q extends AnyObject = z.ZodObject,
    P extends AnyObject = z.ZodObject,
  >(spec: RouteSpec<Principal, A, B, Q, P>): void {
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

    // The caller is known before any body is read, so an anonymous client cannot make the node
    // buffer a multipart upload only to be refused.
    const authenticate: RequestHandler = (req, res, next) => {
      if (spec.access !== 'public') res.locals.principal = authorize(req, spec.access);
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
      if (!res.headersSent) res.status(status).json(result);
    });
  };
}

export type Route<Principal> = ReturnType<typeof createApi<Principal>>;

export function openApiDocument(registry: OpenAPIRegistry, info: { title: string; version: string; server: string }) {
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.server }],
  });
}
