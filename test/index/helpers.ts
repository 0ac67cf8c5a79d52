import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAYLOAD_TYPES, signStatement, type StatementType } from '../../pipelines/federation/statements.js';
import { buildManifest, MANIFEST_PAYLOAD_TYPE, manifestBytes } from '../../pipelines/release/manifest/croissant.js';
import type { ReleaseDescription } from '../../pipelines/release/manifest/types.js';
import { nodeDid } from '../../pipelines/signing/did.js';
import { signEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { signKeyRotation } from '../../pipelines/signing/key-rotation.js';
import { generateNodeKeys, keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import { silentLogger } from '../../server/core/log.js';
import type { IndexConfigInput } from '../../server/index/config.js';
import { createIndex, type Index } from '../../server/index/create-index.js';
import { initIndex } from '../../server/index/init.js';
import { loadIndexSecrets } from '../../server/index/secrets.js';
import type { StoreCounts } from '../../server/index/store/index-store.js';
import { loadNodeConfig, type NodeConfigInput } from '../../server/node/config.js';
import { createNode, type Node } from '../../server/node/create-node.js';
import type { NodeIdentity } from '../../server/node/identity.js';
import { initNode } from '../../server/node/init.js';
import { loadNodeSecrets } from '../../server/node/secrets.js';
import { speechRelease, textRelease } from '../fixtures/sample-release.js';
import { apiClient, TEST_CONFIG, type ApiClient, type TestNode } from '../helpers/node.js';
import { cliArgv } from '../helpers/cli.js';

export interface TestIndex {
  index: Index;
  dir: string;
  url: string;
  api: ApiClient;
  /** What a refusal must leave as it was: every table's row count and the log's size. */
  state(): Promise<StoreCounts & { logSize: number }>;
  stop(): Promise<void>;
}

/** Binds a server on 127.0.0.1 first, so a service's public URL (what it signs or names) is real. */
async function listen(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A real index on 127.0.0.1 with a real SQLite file in a fresh temp dir; staleness is driven by the test. */
export async function startTestIndex(
  overrides: Partial<IndexConfigInput> = {},
  options: { now?: () => Date; staleChecks?: boolean } = {},
): Promise<TestIndex> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-index-'));
  const { server, url } = await listen();
  const config = initIndex(dir, {
    name: 'Test index',
    url,
    limits: { ratePerAddress: 1_000_000, ratePerToken: 1_000_000 },
    ...overrides,
  });
  const index = createIndex({ dir, config, secrets: loadIndexSecrets(dir), logger: silentLogger, checkResponses: true, staleChecks: options.staleChecks ?? false, now: options.now });
  server.on('request', index.app);
  return {
    index,
    dir,
    url,
    api: apiClient(url + '/api/v1'),
    async state() {
      const { store } = index.context;
      return { ...(await store.counts()), logSize: await store.logSize() };
    },
    async stop() {
      await close(server);
      await index.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** A node whose keys can change under it: `restart` serves a fresh `createNode` over the same directory. */
export interface RestartableNode {
  dir: string;
  url: string;
  api: ApiClient;
  current(): Node;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartableNode(overrides: Partial<NodeConfigInput> = {}): Promise<RestartableNode> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-node-'));
  const { server, url } = await listen();
  initNode(dir, { ...TEST_CONFIG, url, ...overrides });
  const open = () => createNode({ dir, config: loadNodeConfig(dir), secrets: loadNodeSecrets(dir), logger: silentLogger, checkResponses: true });
  let node = open();
  server.on('request', (req, res) => node.app(req, res));
  return {
    dir,
    url,
    api: apiClient(url + '/api/v1'),
    current: () => node,
    async restart() {
      await node.close();
      node = open();
    },
    async stop() {
      await close(server);
      await node.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** Who signs for a node in these tests: its identity and the URL it registers. */
export interface Signer {
  identity: NodeIdentity;
  url: string;
  name?: string;
  languages?: string[];
}

export const signerOf = (t: TestNode | RestartableNode): Signer => ({
  identity: 'node' in t ? t.node.context.identity : t.current().context.identity,
  url: t.url,
});

/** A node's registration as its publisher would send it. */
export function registration(signer: Signer, changes: Record<string, unknown> = {}, key?: { key: KeyObject; keyid: string }): DsseEnvelope {
  const { identity } = signer;
  return signStatement(
    PAYLOAD_TYPES.registration,
    {
      type: 'tributary:node-registration/1',
      node: identity.did,
      name: signer.name ?? 'Test node',
      url: signer.url,
      languages: signer.languages ?? ['sw', 'yo', 'en'],
      publicKeys: identity.publicKeys,
      keyRotations: identity.keyRotations,
      issued: new Date().toISOString(),
      ...changes,
    } as never,
    key?.key ?? identity.signingKey,
    key?.keyid ?? identity.keyId,
  );
}

/** Any federation statement, signed by the node's key (or the key given). */
export function statement<T extends StatementType>(signer: Signer, type: T, body: Record<string, unknown>, key?: { key: KeyObject; keyid: string }): DsseEnvelope {
  return signStatement(type, { node: signer.identity.did, ...body } as never, key?.key ?? signer.identity.signingKey, key?.keyid ?? signer.identity.keyId);
}

export function heartbeat(signer: Signer, sequence: number, options: { expires?: Date; datasets?: unknown[] } = {}): DsseEnvelope {
  const issued = new Date();
  return statement(signer, PAYLOAD_TYPES.heartbeat, {
    type: 'tributary:heartbeat/1',
    sequence,
    issued: issued.toISOString(),
    expires: (options.expires ?? new Date(issued.getTime() + 15 * 60_000)).toISOString(),
    datasets: options.datasets ?? [],
  });
}

export function retraction(signer: Signer, dataset: string, id = randomBytes(16).toString('hex')): DsseEnvelope {
  return statement(signer, PAYLOAD_TYPES.retraction, {
    type: 'tributary:retraction/1',
    id,
    dataset,
    reason: 'The community asked for it back.',
    issued: new Date().toISOString(),
  });
}

export function accessChange(signer: Signer, dataset: string, accessClass: 'open' | 'gated' | 'on-request', issued = new Date()): DsseEnvelope {
  return statement(signer, PAYLOAD_TYPES.accessChange, {
    type: 'tributary:access-change/1',
    id: randomBytes(16).toString('hex'),
    dataset,
    accessClass,
    issued: issued.toISOString(),
  });
}

/**
 * A manifest as the node's release builder writes it (buildManifest over a release description,
 * links under the node's URL), signed with the node's key unless another is given: for pushing
 * many datasets, and for attacks that need a manifest the node itself signed.
 */
export function craftedManifest(
  signer: Signer,
  change: (release: ReleaseDescription) => void = () => {},
  options: { key?: { key: KeyObject; keyid: string }; modality?: 'text' | 'speech' } = {},
): { envelope: DsseEnvelope; release: ReleaseDescription; manifest: Record<string, unknown> } {
  const release = options.modality === 'speech' ? speechRelease() : textRelease();
  release.node = { did: signer.identity.did, name: 'Test node', url: signer.identity.apiBase };
  release.published = new Date().toISOString();
  release.expires = new Date(Date.now() + 365 * 86_400_000).toISOString();
  release.datasetId = `crafted-${release.modality}`;
  change(release);
  const manifest = buildManifest(release);
  const envelope = signEnvelope(manifestBytes(manifest), MANIFEST_PAYLOAD_TYPE, options.key?.key ?? signer.identity.signingKey, options.key?.keyid ?? signer.identity.keyId);
  return { envelope, release, manifest };
}

/** Builds a release on a real node and returns its signed manifest as the node serves it. */
export async function buildRelease(t: TestNode, modality: 'text' | 'speech', admin: string): Promise<{ datasetId: string; envelope: DsseEnvelope; text: string }> {
  const built = await t.api.post('/admin/releases', { language: 'sw', modality }, admin);
  if (built.status !== 201) throw new Error(`release build failed: ${JSON.stringify(built.body)}`);
  const datasetId = `sw-${modality}`;
  const served = await fetch(`${t.url}/api/v1/datasets/${datasetId}/manifest`);
  const text = await served.text();
  return { datasetId, envelope: JSON.parse(text) as DsseEnvelope, text };
}

export const payloadOf = (envelope: DsseEnvelope): Record<string, unknown> =>
  JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;

export interface IndexProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote, for failure messages. */
  output(): string;
}

const root = join(fileURLToPath(import.meta.url), '../../..');

/**
 * Starts `tributary index start` (with `args`, e.g. `--database URL`) as its own process on a free
 * port; resolves once it listens.
 */
export function startIndexProcess(dir: string, options: { preload?: string[]; env?: Record<string, string>; args?: string[] } = {}): Promise<IndexProcess> {
  // With TRIBUTARY_DIR/TRIBUTARY_PORT given, the command line leaves them out.
  const where = [...(options.env?.TRIBUTARY_DIR ? [] : ['--dir', dir]), ...(options.env?.TRIBUTARY_PORT ? [] : ['--port', '0'])];
  const child = spawn(process.execPath, cliArgv(['index', 'start', ...where, ...(options.args ?? [])], options.preload), {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', TRIBUTARY_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the index did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the index exited with ${code}:\n${output}`));
    });
  });
}

/** Resolves with the signal that ended the process (waiting for it to end). */
export function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

/** What a fake node answers for a path under its URL (query included); undefined is a 404. */
export type FakeRoute = (path: string) => { status?: number; body: unknown } | string | undefined | Promise<{ status?: number; body: unknown } | string | undefined>;

/**
 * A hostile or broken "node": a small HTTP server on 127.0.0.1 with its own keys (a did:web of
 * its URL), serving its well-known document and whatever `route` answers. `rotate()` moves it to
 * a new signing key with a statement signed by its rotation key, as `node rotate-key` would.
 */
export interface FakeNode {
  url: string;
  signer: Signer;
  /** Every path asked for, in order. */
  requests: string[];
  route: FakeRoute;
  rotate(): void;
  stop(): Promise<void>;
}

export async function startFakeNode(route: FakeRoute = () => undefined): Promise<FakeNode> {
  const { server, url } = await listen();
  const keys = generateNodeKeys();
  const publicKey = (key: KeyObject, use: 'signing' | 'rotation') => ({ id: keyId(key), type: 'Ed25519VerificationKey2020' as const, use, publicKeyMultibase: publicKeyMultibase(key) });
  const did = nodeDid({ url, signingKey: keys.signing });
  const identity: NodeIdentity = {
    did,
    keyId: keyId(keys.signing),
    signingKey: keys.signing,
    apiBase: url + '/api/v1',
    publicKeys: [publicKey(keys.signing, 'signing'), publicKey(keys.rotation, 'rotation')],
    keyRotations: [],
  };
  const fake: FakeNode = {
    url,
    signer: { identity, url },
    requests: [],
    route,
    rotate() {
      const fresh = generateKeyPairSync('ed25519').privateKey;
      const statement = signKeyRotation({
        did,
        rotationKey: keys.rotation,
        previousKey: identity.signingKey,
        newKey: fresh,
        rotatedAt: new Date(),
        previous: identity.keyRotations.at(-1) ?? null,
      });
      identity.signingKey = fresh;
      identity.keyId = keyId(fresh);
      identity.publicKeys = [publicKey(fresh, 'signing'), publicKey(keys.rotation, 'rotation')];
      identity.keyRotations = [...identity.keyRotations, statement];
    },
    async stop() {
      await close(server);
    },
  };
  server.on('request', (req, res) => {
    const path = req.url ?? '/';
    fake.requests.push(path);
    void (async () => {
      const answer =
        path === '/.well-known/tributary.json'
          ? { body: { type: 'tributary-node', did, publicKeys: identity.publicKeys, keyRotations: identity.keyRotations } }
          : await fake.route(path);
      if (answer === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NotFound', message: 'no' } }));
      } else if (typeof answer === 'string') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
      } else {
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      }
    })().catch(() => res.destroy());
  });
  return fake;
}
