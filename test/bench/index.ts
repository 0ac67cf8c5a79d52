/**
 * The index's figures (issue 9), each beside a baseline measured in the same run:
 * - intake: signed manifests pushed over HTTP per second (signature, schema, rev, log append,
 *   commit), against verifying the signature and parsing the payload alone;
 * - search: p50/p95 of GET /api/v1/manifests over a mix of queries, with `manifests` signed
 *   manifests from `nodes` registered nodes, each with keys of its own (`seedCatalogue`; goal
 *   p95 ≤ 10 ms); beside them the first search (which loads the in-memory catalogue), the
 *   catalogue's bytes per dataset, and intake into that full index (`intake` more manifests);
 * - feed: reading `feedEvents` events through GET /feed pages of 1000, against the store's reads;
 * - proofs: inclusion and consistency proofs at `logEntries` entries (goal ≤ 1 ms each).
 * Sizes scale down with BENCH_INDEX_MANIFESTS, _NODES, _FEED, _LOG, _INTAKE.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PAYLOAD_TYPES, signStatement } from '../../pipelines/federation/statements.js';
import { parseLanguageTag } from '../../pipelines/language/tags.js';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { buildManifest, MANIFEST_PAYLOAD_TYPE, manifestBytes } from '../../pipelines/release/manifest/croissant.js';
import type { ReleaseDescription, UsageAction } from '../../pipelines/release/manifest/types.js';
import { signedManifestSchema } from '../../pipelines/release/verify/manifest-schema.js';
import { nodeDid } from '../../pipelines/signing/did.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { generateNodeKeys, keyId, publicKeyMultibase } from '../../pipelines/signing/keys.js';
import { appendLeaves } from '../../pipelines/transparency/append.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { silentLogger } from '../../server/core/log.js';
import { createIndex, type Index } from '../../server/index/create-index.js';
import { sha256Hex, storedEnvelope } from '../../server/index/domain/envelope.js';
import { manifestFacts } from '../../server/index/domain/manifest-facts.js';
import { initIndex } from '../../server/index/init.js';
import { loadIndexSecrets } from '../../server/index/secrets.js';
import type { DatasetRecord, IndexStore } from '../../server/index/store/index-store.js';
import { PostgresIndexStore } from '../../server/index/store/postgres-index-store.js';
import { SqliteIndexStore } from '../../server/index/store/sqlite-index-store.js';
import { speechRelease, textRelease } from '../fixtures/sample-release.js';
import { startServer, type ServerProcess } from './servers.js';

export interface IndexBenchOptions {
  manifests: number;
  nodes: number;
  feedEvents: number;
  logEntries: number;
  intake: number;
  /** A new PostgreSQL database for each index the bench serves; without it, SQLite in the index's folder. */
  database?: () => Promise<string>;
}

const percentile = (times: number[], q: number) => {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (value: number) => Math.round(value * 1000) / 1000;

interface Served {
  index: Index;
  url: string;
  server: Server;
  dir: string;
  /** The PostgreSQL database's URL; undefined on SQLite. */
  database?: string;
}

async function serve(name: string, database?: () => Promise<string>): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), `bench-index-${name}-`));
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = initIndex(dir, {
    name: 'Bench index',
    url,
    limits: { ratePerAddress: 100_000_000, ratePerToken: 100_000_000 },
    nodes: { confirmWellKnown: false },
    ...(database ? { database: await database() } : {}),
  });
  const index = createIndex({ dir, config, secrets: loadIndexSecrets(dir), logger: silentLogger, staleChecks: false, harvests: false });
  server.on('request', index.app);
  return { index, url, server, dir, ...(config.database ? { database: config.database } : {}) };
}

async function stop(served: Served): Promise<void> {
  await new Promise<void>((resolve) => {
    served.server.close(() => resolve());
    served.server.closeAllConnections();
  });
  await served.index.close();
  rmSync(served.dir, { recursive: true, force: true });
}

interface BenchNode {
  did: string;
  url: string;
  signing: KeyObject;
  keyid: string;
  registration: DsseEnvelope;
}

function benchNode(i: number): BenchNode {
  const keys = generateNodeKeys();
  const signingPublic = createPublicKey(keys.signing);
  const rotationPublic = createPublicKey(keys.rotation);
  const did = nodeDid({ signingKey: signingPublic });
  const url = `https://node-${i}.example.org`;
  const key = (k: KeyObject, use: 'signing' | 'rotation') => ({ id: keyId(k), type: 'Ed25519VerificationKey2020' as const, use, publicKeyMultibase: publicKeyMultibase(k) });
  const registration = signStatement(
    PAYLOAD_TYPES.registration,
    {
      type: 'tributary:node-registration/1',
      node: did,
      name: `Node ${i}`,
      url,
      languages: ['sw'],
      publicKeys: [key(signingPublic, 'signing'), key(rotationPublic, 'rotation')],
      keyRotations: [],
      issued: new Date().toISOString(),
    } as never,
    keys.signing,
    keyId(signingPublic),
  );
  return { did, url, signing: keys.signing, keyid: keyId(signingPublic), registration };
}

/** Dataset `n` of `node` (`benchRelease`), signed by the node: every manifest the bench pushes or seeds. */
function signedManifest(node: BenchNode, n: number): DsseEnvelope {
  return signEnvelope(manifestBytes(buildManifest(benchRelease(node, n))), MANIFEST_PAYLOAD_TYPE, node.signing, node.keyid);
}

/** Pushes `bodies` (signed manifests) to POST /manifests, 8 at a time: manifests per second. */
async function push(url: string, bodies: string[]): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const answer = await fetch(`${url}/api/v1/manifests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (answer.status !== 200) throw new Error(`intake: ${answer.status} ${await answer.text()}`);
        await answer.arrayBuffer();
      }
    }),
  );
  return bodies.length / ((performance.now() - start) / 1000);
}

/** Manifests pushed over HTTP, 8 at a time, against signature verification and JSON parsing alone. */
async function benchIntake(count: number, database?: () => Promise<string>) {
  const served = await serve('intake', database);
  try {
    const nodes = Array.from({ length: 10 }, (_, i) => benchNode(i));
    for (const node of nodes) {
      const answer = await fetch(`${served.url}/api/v1/nodes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(node.registration) });
      if (answer.status !== 200) throw new Error(`registration: ${answer.status} ${await answer.text()}`);
    }
    const bodies = Array.from({ length: count }, (_, i) => JSON.stringify(signedManifest(nodes[i % nodes.length]!, i)));

    const keys = new Map(nodes.map((n) => [n.keyid, createPublicKey(n.signing)]));
    const start = performance.now();
    for (const body of bodies) {
      const envelope = JSON.parse(body) as DsseEnvelope;
      if (!verifyEnvelope(envelope, keys).ok) throw new Error('baseline: signature');
      JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    }
    const baselinePerSecond = count / ((performance.now() - start) / 1000);

    const intakePerSecond = await push(served.url, bodies);
    return { manifests: count, intakePerSecond: Math.round(intakePerSecond), baselinePerSecond: Math.round(baselinePerSecond), ratio: intakePerSecond / baselinePerSecond };
  } finally {
    await stop(served);
  }
}

const LANGUAGES = ['sw', 'sw-KE', 'sw-TZ', 'yo', 'ha', 'ig', 'am', 'pa', 'pa-Arab', 'pa-Guru', 'ur', 'hi', 'bn', 'ta', 'te', 'ff', 'wo', 'zu', 'xh', 'so', 'om', 'ti', 'rw', 'lg', 'ln', 'kg', 'mg', 'ny', 'sn', 'tw'];
const LICENSES = ['CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-NC-4.0', 'CC0-1.0'];
const ACCESS = ['open', 'gated', 'on-request'] as const;
const WORDS = ['voices', 'stories', 'market', 'radio', 'farming', 'health', 'school', 'river', 'songs', 'news', 'proverbs', 'weather'];

/** A varied release of bench node `node`: one of the datasets the catalogue is seeded with. */
function benchRelease(node: BenchNode, n: number): ReleaseDescription {
  const speech = n % 3 === 0;
  const release = speech ? speechRelease() : textRelease();
  const tag = LANGUAGES[n % LANGUAGES.length]!;
  const spdx = LICENSES[n % LICENSES.length]!;
  const permitted: UsageAction[] =
    n % 4 === 0 ? ['evaluate'] : n % 4 === 1 ? ['train', 'evaluate'] : n % 4 === 2 ? ['train', 'evaluate', 'redistribute'] : ['train', 'evaluate', 'commercial-model', 'redistribute'];
  return {
    ...release,
    datasetId: `dataset-${n}`,
    name: `${WORDS[n % WORDS.length]} ${WORDS[(n * 7) % WORDS.length]} ${n}`,
    description: `Volunteers recorded ${WORDS[(n * 3) % WORDS.length]} and ${WORDS[(n * 5) % WORDS.length]} in their language.`,
    version: '1.0.0',
    rev: 1,
    previousManifest: null,
    withdrawnSincePrevious: 0,
    published: new Date(Date.parse('2026-01-01T00:00:00Z') + n * 60_000).toISOString(),
    expires: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    node: { did: node.did, name: `Node ${node.did.slice(-6)}`, url: `${node.url}/api/v1` },
    language: { tag, iso639_3: parseLanguageTag(tag)!.iso639_3, name: tag },
    license: { spdx, url: `https://spdx.org/licenses/${spdx}.html` },
    accessClass: ACCESS[n % ACCESS.length]!,
    usage: { permitted, duties: [], purposes: permitted.includes('train') ? [speech ? 'train-asr' : 'train-lm', 'evaluate'] : ['evaluate'] },
    ...scaled(release, 1 + (n % 30)),
  };
}

/** The release's counts, splits and shards `k` times as large (whole numbers stay whole, sums stay sums). */
function scaled(release: ReleaseDescription, k: number): Pick<ReleaseDescription, 'counts' | 'shards'> {
  const hours = (value: number | null) => (value === null ? null : value * k);
  const { counts } = release;
  return {
    counts: {
      records: counts.records * k,
      hours: hours(counts.hours),
      speakers: counts.speakers * k,
      bySplit: Object.fromEntries(Object.entries(counts.bySplit).map(([split, c]) => [split, { records: c.records * k, hours: hours(c.hours), speakers: c.speakers * k }])),
    },
    shards: release.shards.map((shard) => ({ ...shard, records: shard.records * k, bytes: shard.bytes * k })),
  };
}

/**
 * Seeds the catalogue an index serving `nodeCount` nodes and `manifests` datasets holds: every
 * node with keys of its own, registered through the index's registry (signed registration, log
 * entry and all); every manifest built from a release of its node and signed with the node's
 * key, then stored as intake stores it (the envelope, the manifest and the facts search reads,
 * `manifestFacts`), in transactions of 2,000 rather than one per push: what intake adds per
 * push (verification, log append, HTTP) is measured on its own (`benchIntake`). Every tenth node
 * is stale, every hundredth suspended, one dataset in fifty retracted.
 */
export async function seedCatalogue(index: Index, manifests: number, nodeCount: number, onProgress: (line: string) => void = () => {}): Promise<BenchNode[]> {
  const { store, registry } = index.context;
  const nodes = Array.from({ length: nodeCount }, (_, i) => benchNode(i));
  for (const node of nodes) await registry.register(node.registration);
  for (const [i, node] of nodes.entries()) {
    if (i % 100 === 99) await registry.suspend(node.did, 'bench');
    else if (i % 10 === 0) await store.transaction(async (tx) => tx.putNode({ ...(await tx.node(node.did))!, stale: true }));
  }
  onProgress(`  registered ${nodeCount} nodes`);
  const now = new Date().toISOString();
  const BATCH = 2_000;
  for (let from = 0; from < manifests; from += BATCH) {
    const signed = Array.from({ length: Math.min(BATCH, manifests - from) }, (_, i) => {
      const n = from + i;
      const node = nodes[n % nodeCount]!;
      const envelope = signedManifest(node, n);
      const payload = Buffer.from(envelope.payload, 'base64');
      return { n, node, envelope, sha256: sha256Hex(payload), manifest: signedManifestSchema.parse(JSON.parse(payload.toString('utf8'))) };
    });
    await store.transaction(async (tx) => {
      for (const { n, node, envelope, sha256, manifest } of signed) {
        const stored = storedEnvelope(envelope);
        await tx.putEnvelope({ ...stored, payloadType: envelope.payloadType, nodeDid: node.did, receivedAt: now });
        const facts = manifestFacts(manifest);
        await tx.putManifest(
          { sha256, nodeDid: node.did, datasetId: manifest.datasetId, version: manifest.version, rev: manifest.rev, envelope: stored.sha256, published: facts.published, expires: manifest.expires, receivedAt: now, logIndex: nodeCount + n, supersededBy: null },
          manifest.shards.map((shard) => ({ name: shard.name, sha256: shard.sha256 })),
        );
        const record: DatasetRecord = {
          nodeDid: node.did,
          datasetId: manifest.datasetId,
          manifest: sha256,
          version: manifest.version,
          rev: manifest.rev,
          ...facts,
          accessChanged: null,
          retracted: n % 50 === 7 ? { at: now, notice: 'x' } : null,
          updatedAt: now,
        };
        await tx.putDataset(record);
      }
    });
    if ((from / BATCH) % 10 === 9) onProgress(`  seeded ${from + BATCH} signed manifests`);
  }
  return nodes;
}

/**
 * On PostgreSQL, what autovacuum and the checkpointer do within minutes of a bulk load (table
 * statistics, the gigabytes of new pages written out), done now: an index takes its manifests
 * over months, and searches measured while the checkpointer writes out the load measure the load.
 */
async function settle(served: Served): Promise<void> {
  if (!served.database) return;
  const client = new pg.Client({ connectionString: served.database });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}

async function benchSearch(manifests: number, nodes: number, intake: number, database?: () => Promise<string>) {
  const served = await serve('search', database);
  try {
    const started = performance.now();
    const registered = await seedCatalogue(served.index, manifests, nodes, console.log);
    const dids = registered.map((node) => node.did);
    await settle(served);
    const seedSeconds = (performance.now() - started) / 1000;
    const queries: Record<string, string[]> = {
      all: [''],
      language: ['lang=sw', 'lang=pa', 'lang=sw-KE', 'lang=yo,ha'],
      'language+permits': ['lang=sw&permits=train', 'lang=pa&permits=train-lm', 'lang=am&permits=commercial-model'],
      'modality+hours': ['modality=speech&minHours=10', 'modality=speech&minHours=20&access=open'],
      licence: ['license=CC-BY-NC-4.0', 'license=cc0-1.0&access=gated'],
      node: dids.slice(0, 5).map((did) => `node=${encodeURIComponent(did)}`),
      text: ['q=radio', 'q=river%20songs', 'q=prov'],
      permits: ['permits=redistribute', 'permits=train-asr'],
    };
    const times: Record<string, number[]> = {};
    const all: number[] = [];
    const get = async (query: string) => {
      const start = performance.now();
      const answer = await fetch(`${served.url}/api/v1/manifests?${query}`);
      const body = (await answer.json()) as { next: string | null };
      if (answer.status !== 200) throw new Error(`search ${query}: ${answer.status}`);
      return { elapsed: performance.now() - start, next: body.next };
    };
    // The first search after start loads the catalogue of searchable columns (store/search-catalogue.ts).
    const firstSearchMs = (await get('')).elapsed;
    for (const list of Object.values(queries)) for (const q of list) await get(q); // warm up
    for (let round = 0; round < 20; round += 1) {
      for (const [kind, list] of Object.entries(queries)) {
        for (const q of list) {
          const first = await get(q);
          (times[kind] ??= []).push(first.elapsed);
          all.push(first.elapsed);
          if (first.next && kind === 'language') {
            const second = await get(`${q}&cursor=${encodeURIComponent(first.next)}`);
            (times['second page'] ??= []).push(second.elapsed);
            all.push(second.elapsed);
          }
        }
      }
    }
    // Intake into the full index: new datasets from its nodes (the suspended ones left out).
    const pushing = registered.filter((_, i) => i % 100 !== 99);
    const bodies = Array.from({ length: intake }, (_, i) => JSON.stringify(signedManifest(pushing[i % pushing.length]!, manifests + i)));
    const intakePerSecond = await push(served.url, bodies);

    const store = served.index.context.store;
    const memory = store instanceof SqliteIndexStore || store instanceof PostgresIndexStore ? store.searchMemory() : null;
    return {
      manifests,
      nodes,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      firstSearchMs: ms(firstSearchMs),
      intake: { manifests: intake, intakePerSecond: Math.round(intakePerSecond) },
      catalogue: memory && { datasets: memory.datasets, megabytes: Math.round(memory.bytes / 1e5) / 10, bytesPerDataset: Math.round(memory.bytes / memory.datasets) },
      requests: all.length,
      p50Ms: ms(percentile(all, 0.5)),
      p95Ms: ms(percentile(all, 0.95)),
      byKind: Object.fromEntries(Object.entries(times).map(([kind, t]) => [kind, { p50Ms: ms(percentile(t, 0.5)), p95Ms: ms(percentile(t, 0.95)) }])),
    };
  } finally {
    await stop(served);
  }
}

/** Appends `count` log entries (feed rows and subtree hashes) in large transactions, as FeedLog would one by one. */
async function seedLog(store: IndexStore, count: number, batch = 50_000): Promise<void> {
  const at = new Date().toISOString();
  for (let from = 0; from < count; from += batch) {
    const size = Math.min(batch, count - from);
    await store.transaction(async (tx) => {
      const entries = Array.from({ length: size }, (_, i) => {
        const event = { type: 'node.stale', v: 1, at, node: `did:web:node-${(from + i) % 1000}.example.org`, lastHeardAt: at };
        return { type: event.type, nodeDid: event.node, datasetId: null, at, leaf: canonicalJson(event) };
      });
      await tx.log.writeNodes(await appendLeaves(tx.log, from, entries.map((e) => hashLeaf(Buffer.from(e.leaf, 'utf8')))));
      await tx.appendFeed(from, entries);
    });
  }
}

async function benchFeedAndProofs(feedEvents: number, logEntries: number, database?: () => Promise<string>) {
  const served = await serve('log', database);
  try {
    const { store, feed } = served.index.context;
    let start = performance.now();
    await seedLog(store, logEntries);
    const seedSeconds = (performance.now() - start) / 1000;

    // Feed: the first `feedEvents` events, in pages of 1000, over HTTP, against the store's reads alone.
    start = performance.now();
    for (let cursor = 0; cursor < feedEvents; cursor += 1000) await store.feed(cursor, Math.min(1000, feedEvents - cursor));
    const storeSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    let read = 0;
    for (let cursor = 0; cursor < feedEvents; ) {
      const answer = await fetch(`${served.url}/api/v1/feed?cursor=${cursor}&limit=${Math.min(1000, feedEvents - cursor)}`);
      const page = (await answer.json()) as { events: unknown[]; next: number };
      read += page.events.length;
      cursor = page.next;
    }
    const httpSeconds = (performance.now() - start) / 1000;

    // Proofs at the full size, through the service (database reads included), one call at a time.
    let seed = 12345;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % below;
    };
    const inclusion: number[] = [];
    const consistency: number[] = [];
    for (let i = 0; i < 2200; i += 1) {
      const size = logEntries - random(1000);
      let t = performance.now();
      await feed.inclusion(random(size), size);
      if (i >= 200) inclusion.push(performance.now() - t);
      const from = 1 + random(logEntries - 1);
      t = performance.now();
      await feed.consistency(from, logEntries);
      if (i >= 200) consistency.push(performance.now() - t);
    }
    // And one over HTTP, for the cost a trainer sees on top.
    const http: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const t = performance.now();
      const answer = await fetch(`${served.url}/api/v1/log/inclusion?index=${random(logEntries)}&size=${logEntries}`);
      await answer.arrayBuffer();
      if (i >= 50) http.push(performance.now() - t);
    }
    return {
      feed: { events: read, eventsPerSecond: Math.round(read / httpSeconds), seconds: ms(httpSeconds), storeEventsPerSecond: Math.round(feedEvents / storeSeconds) },
      proofs: {
        logEntries,
        seedSeconds: Math.round(seedSeconds * 10) / 10,
        inclusion: { p50Ms: ms(percentile(inclusion, 0.5)), p95Ms: ms(percentile(inclusion, 0.95)) },
        consistency: { p50Ms: ms(percentile(consistency, 0.5)), p95Ms: ms(percentile(consistency, 0.95)) },
        inclusionOverHttp: { p50Ms: ms(percentile(http, 0.5)), p95Ms: ms(percentile(http, 0.95)) },
      },
    };
  } finally {
    await stop(served);
  }
}

/**
 * Two index processes (the CLI, as operators run it) on one PostgreSQL database under a mixed
 * load for `seconds`: `workers` clients in a loop, each request to either process at random —
 * pushes of new signed manifests from 100 registered nodes (40%), searches (40%), feed pages
 * (20%). Afterwards: every push either process acknowledged is in the feed exactly once, both
 * processes serve the same feed and the same checkpoint, and no request failed. The baseline is
 * one process under the same load on a database of its own.
 */
export async function benchTwoProcesses(createDatabase: () => Promise<string>, seconds: number, workers: number) {
  const run = async (processes: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-index-processes-'));
    initIndex(dir, {
      name: 'Bench index',
      url: 'https://index.example.org',
      limits: { ratePerAddress: 100_000_000, ratePerToken: 100_000_000 },
      nodes: { confirmWellKnown: false },
      database: await createDatabase(),
    });
    const root = join(fileURLToPath(import.meta.url), '../../..');
    // One after the other, as a deployment starts them: the first migrates, the second finds the schema.
    const servers: ServerProcess[] = [];
    for (let p = 0; p < processes; p++) servers.push(await startServer([join(root, 'bin/tributary.js'), 'index', 'start', '--dir', dir, '--port', '0'], root));
    try {
      const nodes = Array.from({ length: 100 }, (_, i) => benchNode(i));
      for (const node of nodes) {
        const answer = await fetch(`${servers[0]!.url}/api/v1/nodes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(node.registration) });
        if (answer.status !== 200) throw new Error(`registration: ${answer.status} ${await answer.text()}`);
      }
      const acknowledged = new Set<string>();
      const times = { push: [] as number[], search: [] as number[], feed: [] as number[] };
      const errors: string[] = [];
      const queries = ['', '?q=radio', '?language=sw', '?q=voices&license=CC-BY-4.0', '?limit=5'];
      let pushed = 0;
      const until = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          let i = 0;
          while (performance.now() < until) {
            const server = servers[(w + i++) % servers.length]!;
            const roll = (w * 7919 + i * 104729) % 10;
            const kind = roll < 4 ? 'push' : roll < 8 ? 'search' : 'feed';
            const n = pushed++;
            const body = kind === 'push' ? JSON.stringify(signedManifest(nodes[n % nodes.length]!, n)) : undefined;
            const started = performance.now();
            const answer =
              kind === 'push'
                ? await fetch(`${server.url}/api/v1/manifests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
                : await fetch(`${server.url}/api/v1/${kind === 'search' ? `manifests${queries[i % queries.length]}` : `feed?cursor=${i * 37}&limit=100`}`);
            const text = await answer.text();
            times[kind].push(performance.now() - started);
            if (answer.status !== 200) errors.push(`${kind} ${answer.status} ${text.slice(0, 120)}`);
            else if (kind === 'push') acknowledged.add((JSON.parse(text) as { manifest: string }).manifest);
          }
        }),
      );
      const requests = times.push.length + times.search.length + times.feed.length;
      // Every acknowledged push in each process's feed, once; both feeds the same.
      const feedOf = async (url: string) => {
        const events: Array<{ index: number; event: { type: string; manifestSha256?: string } }> = [];
        for (let cursor = 0; ; ) {
          const page = (await (await fetch(`${url}/api/v1/feed?cursor=${cursor}&limit=1000`)).json()) as { events: typeof events; next?: number };
          events.push(...page.events);
          if (page.events.length < 1000) return events;
          cursor = page.events.at(-1)!.index + 1;
        }
      };
      const feeds = await Promise.all(servers.map((server) => feedOf(server.url)));
      const published = feeds[0]!.filter((e) => e.event.type === 'manifest.published').map((e) => e.event.manifestSha256!);
      const lost = [...acknowledged].filter((sha) => !published.includes(sha)).length;
      const duplicated = published.length - new Set(published).size;
      const sameFeed = feeds.every((feed) => JSON.stringify(feed) === JSON.stringify(feeds[0]));
      const checkpoints = await Promise.all(servers.map(async (server) => (await fetch(`${server.url}/api/v1/log/checkpoint`)).text()));
      const p95 = (values: number[]) => (values.length ? ms(percentile(values, 0.95)) : null);
      return {
        processes,
        workers,
        seconds,
        requests,
        requestsPerSecond: Math.round(requests / seconds),
        p95Ms: { push: p95(times.push), search: p95(times.search), feed: p95(times.feed) },
        acknowledgedPushes: acknowledged.size,
        lostWrites: lost,
        duplicatedWrites: duplicated,
        sameFeed,
        sameCheckpoint: checkpoints.every((c) => c === checkpoints[0]),
        errors: errors.length,
        firstErrors: errors.slice(0, 3),
      };
    } finally {
      for (const server of servers) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const baseline = await run(1);
  const two = await run(2);
  return { ...two, baseline };
}

export async function benchIndex(options: IndexBenchOptions) {
  const intake = await benchIntake(options.intake, options.database);
  const search = await benchSearch(options.manifests, options.nodes, options.intake, options.database);
  const { feed, proofs } = await benchFeedAndProofs(options.feedEvents, Math.max(options.logEntries, options.feedEvents), options.database);
  return { intake, search, feed, proofs };
}
