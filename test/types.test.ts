import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as app from '../contributor-app/src/types.js';
import { openApiDocument } from '../server/core/api.js';
import { createHttpApp } from '../server/core/http-app.js';
import { silentLogger } from '../server/core/log.js';
import type { AccessLevel, NodeRoute } from '../server/node/auth.js';
import { consentRecordSchema, consentRecordView, type ConsentRecordView } from '../server/node/domain/consent-record.js';
import { NODE_STATUSES } from '../server/node/errors.js';
import { reportBody, voteBody } from '../server/node/routes/common.schema.js';
import { consentListView, noticeView, withdrawalView } from '../server/node/routes/consent.schema.js';
import { demographicsBody, erasureView, profileView, registeredView } from '../server/node/routes/contributors.schema.js';
import { promptListView, promptView } from '../server/node/routes/prompts.schema.js';
import { queueView, sampleView } from '../server/node/routes/samples.schema.js';
import type { Contributor } from '../server/node/stores/contributors.js';
import { startTestNode, type TestNode } from './helpers/node.js';

// Most of what this file proves is proved by `npm run typecheck`: an `@ts-expect-error` that no
// longer meets an error, or an `expectTypeOf` that no longer holds, fails the type check.

const aProfile = {
  id: 'c1',
  pseudonym: 'Amani',
  role: 'volunteer' as const,
  ageBand: null,
  gender: null,
  variant: null,
  accent: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** Routes answering the real profile schema: one right, the others wrong in ways the compiler sees. */
function profileRoutes(route: NodeRoute): void {
  const spec = { method: 'get', tag: 'test', summary: 'test', access: 'public', response: profileView } as const;
  route({ ...spec, path: '/right', handler: () => aProfile });
  // @ts-expect-error a profile without its role is not a profile
  route({ ...spec, path: '/missing', handler: () => ({ ...aProfile, role: undefined }) });
  // @ts-expect-error 'superuser' is not a role the schema knows
  route({ ...spec, path: '/unknown-role', handler: async () => ({ ...aProfile, role: 'superuser' as const }) });
  // @ts-expect-error a Date is not the ISO string the schema promises (JSON would hide it; the types do not)
  route({ ...spec, path: '/date', handler: () => ({ ...aProfile, createdAt: new Date() }) });
}

describe('a route is typed by its response schema', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const http = createHttpApp<Contributor, AccessLevel>({
      log: silentLogger,
      statuses: NODE_STATUSES,
      apiBase: '/api',
      trustProxy: false,
      rateLimits: { windowSeconds: 60, perAddress: 1000, perToken: 1000 },
      bodyBytes: 1024,
      authorize: () => {
        throw new Error('only public routes here');
      },
      openApi: { title: 'types test' },
      checkResponses: true,
    });
    profileRoutes(http.route);
    server = http.finish().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers what the schema describes', async () => {
    const response = await fetch(`${base}/right`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(aProfile);
  });

  it('refuses at run time, in tests, what the compiler refused: a wrong answer is a 500, not a surprise for the app', async () => {
    for (const path of ['/missing', '/unknown-role', '/date']) {
      const response = await fetch(base + path);
      expect(response.status, path).toBe(500);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Internal');
    }
  });
});

describe('the contributor app reads the server’s schemas, not copies of them', () => {
  it('derives each answer it reads from the response schema of its route', () => {
    expectTypeOf<app.Profile>().toEqualTypeOf<z.input<typeof profileView>>();
    expectTypeOf<app.Registered>().toEqualTypeOf<z.input<typeof registeredView>>();
    expectTypeOf<app.ConsentNotice>().toEqualTypeOf<z.input<typeof noticeView>>();
    expectTypeOf<app.ConsentRecord>().toEqualTypeOf<z.input<typeof consentRecordSchema>>();
    expectTypeOf<app.ConsentList>().toEqualTypeOf<z.input<typeof consentListView>>();
    expectTypeOf<app.Withdrawal>().toEqualTypeOf<z.input<typeof withdrawalView>>();
    expectTypeOf<app.Erasure>().toEqualTypeOf<z.input<typeof erasureView>>();
    expectTypeOf<app.Prompt>().toEqualTypeOf<z.input<typeof promptView>>();
    expectTypeOf<app.PromptList>().toEqualTypeOf<z.input<typeof promptListView>>();
    expectTypeOf<app.Sample>().toEqualTypeOf<z.input<typeof sampleView>>();
    expectTypeOf<app.SampleQueue>().toEqualTypeOf<z.input<typeof queueView>>();
    expectTypeOf<app.VoteValue>().toEqualTypeOf<z.input<typeof voteBody>['value']>();
    expectTypeOf<app.ReportReason>().toEqualTypeOf<z.input<typeof reportBody>['reason']>();
    expectTypeOf<app.AgeBand>().toEqualTypeOf<NonNullable<z.input<typeof demographicsBody>['ageBand']>>();
  });

  it('follows a change to a schema: a field the node adds is one the app sees', () => {
    // What `app.Profile` would be had profileView gained a field: the derivation carries it over,
    // where a hand copy would have gone on without it.
    const changed = profileView.extend({ avatarUrl: z.string().nullable() });
    type Derived = z.input<typeof changed>;
    expectTypeOf<Derived>().toHaveProperty('avatarUrl').toEqualTypeOf<string | null>();
    expectTypeOf<Omit<Derived, 'avatarUrl'>>().toEqualTypeOf<app.Profile>();
    expectTypeOf<app.Profile>().not.toHaveProperty('avatarUrl');
  });

  it('holds the app’s own lists of choices to the node’s enums, both ways', () => {
    expect([...app.REPORT_REASONS].sort()).toEqual([...reportBody.shape.reason.options].sort());
    expect([...app.AGE_BANDS]).toEqual(demographicsBody.shape.ageBand.unwrap().unwrap().options);
  });
});

describe('the consent record has one definition', () => {
  const parts = {
    record: { id: 'r1', purposes: ['train-asr', 'no-longer-offered'], lawfulBasis: 'dpv:Consent', jurisdiction: 'KE', license: 'CC-BY-4.0', withdrawnAt: '2026-02-01T00:00:00.000Z' },
    contributorId: 'c1',
    controllerName: 'Test node',
    notice: { id: 'n1', language: 'en', version: '1', sha256: 'a'.repeat(64) },
    events: [
      { type: 'given' as const, at: '2026-01-01T00:00:00.000Z', reason: null },
      { type: 'withdrawn' as const, at: '2026-02-01T00:00:00.000Z', reason: 'moved away' },
    ],
  };

  it('types the domain’s record from the schema', () => {
    expectTypeOf<ConsentRecordView>().toEqualTypeOf<z.output<typeof consentRecordSchema>>();
    expectTypeOf(consentRecordView).returns.toEqualTypeOf<app.ConsentRecord>();
  });

  it('builds exactly what the schema describes, nothing more', () => {
    const view = consentRecordView(parts);
    // Parsing drops keys the schema does not name, so equality means there were none.
    expect(consentRecordSchema.parse(view)).toStrictEqual(view);
    expect(view.status).toBe('dpv:ConsentWithdrawn');
    expect(view.events.map((e) => e.type)).toEqual(['dpv:ConsentGiven', 'dpv:ConsentWithdrawn']);
  });
});

/** JSON Schema nodes that say nothing about a value: `{}`, or one that only describes it. */
function undescribed(schema: unknown, at: string): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => undescribed(s, `${at}[${i}]`));
  if (!schema || typeof schema !== 'object') return [];
  const keys = Object.keys(schema).filter((k) => k !== 'description');
  if (keys.length === 0) return [at || '(root)'];
  return Object.entries(schema).flatMap(([k, v]) => (k === 'description' || k === 'enum' || k === 'const' ? [] : undescribed(v, `${at}/${k}`)));
}

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type Paths = Record<string, Record<string, Operation>>;

const jsonAnswer = (operation: Operation) =>
  Object.entries(operation.responses).find(([status, r]) => /^2/.test(status) && r.content?.['application/json']);

function undescribedAnswers(paths: Paths): string[] {
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).flatMap(([method, operation]) => {
      const answer = jsonAnswer(operation);
      if (!answer) return [];
      const [status, response] = answer;
      return undescribed(response.content!['application/json']!.schema, '').map((where) => `${method.toUpperCase()} ${path} ${status}: ${where}`);
    }),
  );
}

describe('every response schema describes its answer', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t?.stop());

  it('leaves no part of a success answer undescribed in the OpenAPI document (no z.unknown, no record of unknowns)', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Paths };
    const answers = Object.values(doc.paths).flatMap((operations) => Object.values(operations)).filter((o) => jsonAnswer(o) !== undefined);
    const problems = undescribedAnswers(doc.paths);
    expect(problems).toEqual([]);
    expect(answers.length).toBeGreaterThan(30);
  });

  // The walk, on what the same generator makes of the shapes it must refuse.
  it('finds what a response schema leaves open', () => {
    const registry = new OpenAPIRegistry();
    const schema = z.object({ known: z.string().describe('fine'), open: z.unknown(), bag: z.record(z.string(), z.unknown()), list: z.array(z.any()) });
    registry.registerPath({ method: 'get', path: '/x', responses: { 200: { description: 'ok', content: { 'application/json': { schema } } } } });
    // As the node serves it: JSON.
    const doc = JSON.parse(JSON.stringify(openApiDocument(registry, { title: 't', version: '0', server: 'http://localhost' }))) as { paths: Paths };
    expect(undescribedAnswers(doc.paths)).toEqual([
      'GET /x 200: /properties/open',
      'GET /x 200: /properties/bag/additionalProperties',
      'GET /x 200: /properties/list/items',
    ]);
  });
});
