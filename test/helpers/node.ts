import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import type { NodeConfigInput } from '../../server/node/config.js';
import { initNode } from '../../server/node/init.js';
import { createNode, type Node } from '../../server/node/create-node.js';
import { silentLogger, type Logger } from '../../server/core/log.js';
import { loadNodeConfig } from '../../server/node/config.js';
import { openNodeContext, type NodeContext } from '../../server/node/context.js';
import { loadNodeSecrets } from '../../server/node/secrets.js';
import { listPrefix, mirrorPrefix, startS3Server, type S3TestServer } from './s3.js';

export interface TestNode {
  node: Node;
  dir: string;
  url: string;
  api: ApiClient;
  /** Opens the node's SQLite file with a separate connection, as an outside observer would. */
  inspect<T>(fn: (db: Database.Database) => T): T;
  /** Where its audio and releases are: the node folder, or a bucket (see `storageUnderTest`). */
  storage: 'disk' | 's3';
  /** The keys of every audio blob the node holds (`samples/<id>/…`), sorted. */
  blobKeys(): Promise<string[]>;
  /** The bytes of an audio blob (`samples/<id>/…`), wherever the node keeps them. */
  blob(key: string): Promise<Buffer>;
  /**
   * A release's folder (croissant.dsse.json, data/…) on the local disk: the node's own on disk
   * storage, a copy of the bucket's objects on S3 (taken when asked, so ask again after a change).
   */
  releaseFolder(datasetId: string, version: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Where test nodes keep audio and releases: in the node folder, or with TRIBUTARY_TEST_STORAGE=s3
 * (vitest's `s3` project, which runs the speech and release suites again) under a prefix of their
 * own in a bucket of an S3 test server that this worker starts on first use. A test that sets
 * `storage` itself keeps what it set.
 */
export const storageUnderTest: 'disk' | 's3' = process.env.TRIBUTARY_TEST_STORAGE === 's3' ? 's3' : 'disk';
let workerS3: Promise<S3TestServer> | undefined;

async function s3Storage(): Promise<NonNullable<NodeConfigInput['storage']>> {
  workerS3 ??= startS3Server().then((server) => {
    // As a deployed node reads them, and the CLI processes the tests start inherit them.
    Object.assign(process.env, server.env);
    return server;
  });
  const server = await workerS3;
  return { kind: 's3', endpoint: server.endpoint, bucket: server.bucket, prefix: `nodes/${randomBytes(6).toString('hex')}/`, forcePathStyle: true };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export type ApiClient = ReturnType<typeof apiClient>;

export function apiClient(base: string) {
  async function request(
    method: string,
    path: string,
    options: { token?: string; json?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(base + path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
  return {
    request,
    get: (path: string, token?: string) => request('GET', path, { token }),
    post: (path: string, json: unknown, token?: string) => request('POST', path, { json, token }),
    patch: (path: string, json: unknown, token?: string) => request('PATCH', path, { json, token }),
    put: (path: string, json: unknown, token?: string) => request('PUT', path, { json, token }),
    delete: (path: string, token?: string, json?: unknown) => request('DELETE', path, { token, json }),
  };
}

export const TEST_CONFIG: NodeConfigInput = {
  name: 'Test node',
  languages: ['sw', 'yo', 'en'],
  jurisdiction: 'KE',
  limits: { ratePerAddress: 100_000, ratePerToken: 100_000 },
};

/** A real node on 127.0.0.1 with a real SQLite file in a fresh temp dir. */
export async function startTestNode(overrides: Partial<NodeConfigInput> = {}, options: { logger?: Logger } = {}): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-node-'));
  // The port is known before the node is made, so its public URL (what it signs) is real.
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const storage = overrides.storage ?? (storageUnderTest === 's3' ? await s3Storage() : undefined);
  // Written to disk like `node init` does, so CLI commands can open the same node.
  const config = initNode(dir, { ...TEST_CONFIG, url, ...overrides, ...(storage ? { storage } : {}) });
  const node = createNode({ dir, config, secrets: loadNodeSecrets(dir), logger: options.logger ?? silentLogger, checkResponses: true });
  server.on('request', node.app);
  return {
    node,
    dir,
    url,
    api: apiClient(url + '/api/v1'),
    inspect(fn) {
      const db = new Database(join(dir, 'node.sqlite'), { readonly: true });
      try {
        return fn(db);
      } finally {
        db.close();
      }
    },
    storage: config.storage.kind,
    async blobKeys() {
      if (config.storage.kind === 's3') return listPrefix((await workerS3)!, `${config.storage.prefix}blobs/`);
      // Asked once the node has stored audio: a missing folder means the store moved, not "nothing left".
      return readdirSync(join(dir, 'blobs'), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(join(dir, 'blobs'), join(entry.parentPath, entry.name)))
        .sort();
    },
    blob: async (key) => Buffer.from(await node.context.storage.blobs.get(key)),
    async releaseFolder(datasetId, version) {
      if (config.storage.kind === 'disk') return join(dir, 'releases', datasetId, version);
      const folder = join(dir, 'bucket-copy', datasetId, version);
      rmSync(folder, { recursive: true, force: true });
      await mirrorPrefix((await workerS3)!, `${config.storage.prefix}releases/${datasetId}/${version}/`, folder);
      return folder;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await node.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export interface Volunteer {
  id: string;
  token: string;
  consentRecordId: string;
}

/** Registers a contributor and gives the node's required consent, as the app does. */
export async function joinWithConsent(api: ApiClient, locale = 'en', extraPurposes: string[] = []): Promise<Volunteer> {
  const joined = await api.post('/contributors', {});
  const token = joined.body.token as string;
  const notice = (await api.get(`/consent/notice?lang=${locale}`)).body;
  const required = [
    ...notice.purposes.filter((p: { required: boolean }) => p.required).map((p: { id: string }) => p.id),
    ...extraPurposes,
  ];
  const consent = await api.post(
    '/consents',
    { noticeId: notice.id, noticeSha256: notice.sha256, purposes: required },
    token,
  );
  if (consent.status !== 201) throw new Error(`consent failed: ${JSON.stringify(consent.body)}`);
  return { id: joined.body.contributor.id, token, consentRecordId: consent.body.recordId };
}

/** Counts rows in every table the API writes to: a refused request must change none of them. */
export function rowCounts(db: Database.Database): Record<string, number> {
  const tables = ['contributors', 'tokens', 'consent_records', 'consent_events', 'prompts', 'samples', 'votes', 'reports'];
  return Object.fromEntries(
    tables.map((t) => [t, db.prepare(`SELECT count(*) AS n FROM ${t}`).pluck().get() as number]),
  );
}

/**
 * The services of a node made by `initNode`, without HTTP, as a command opens them; its consent
 * notices are recorded as a starting node does. Close it when done.
 */
export function openTestContext(dir: string): NodeContext {
  const context = openNodeContext({ dir, config: loadNodeConfig(dir), secrets: loadNodeSecrets(dir), logger: silentLogger });
  context.consent.recordNotices();
  return context;
}
