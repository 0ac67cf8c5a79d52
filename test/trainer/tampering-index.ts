import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { appendLeaves } from '../../pipelines/transparency/append.js';
import { signCheckpoint } from '../../pipelines/transparency/checkpoint.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { MemoryTreeStore } from '../../pipelines/transparency/memory-tree-store.js';
import { consistencyProof, inclusionProof, rootHash } from '../../pipelines/transparency/proofs.js';
import { loadIndexSecrets } from '../../server/index/secrets.js';
import type { TestIndex } from '../index/helpers.js';

export interface FeedPageJson {
  events: Array<{ index: number; event: Record<string, unknown> }>;
  next: number;
  size: number;
}

/**
 * An index in front of a real one that misbehaves as a test tells it to:
 * - `feed`: rewrites feed pages (skip entries, stop early, change an event);
 * - `json`: replaces the JSON answer of any other path (a node's keys);
 * - `forge(events, envelopes)`: extends the real log with made-up entries, signed with the
 *   index's own log key (what an index that holds its key could do), and serves the envelopes
 *   they name. The extension is consistent with everything the real index signed, so only the
 *   node signatures a trainer checks stand in the way.
 */
export interface TamperingIndex {
  url: string;
  feed: ((page: FeedPageJson, cursor: number) => FeedPageJson) | null;
  json: Map<string, unknown>;
  forge(events: Array<Record<string, unknown>>, envelopes?: Record<string, string>): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export async function tamperingIndex(ix: TestIndex): Promise<TamperingIndex> {
  let forged: { events: Array<Record<string, unknown>>; store: MemoryTreeStore; note: string; envelopes: Record<string, string> } | null = null;
  const { logKey } = loadIndexSecrets(ix.dir);
  const { origin } = (await (await fetch(`${ix.url}/.well-known/tributary-index.json`)).json()) as { origin: string };
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown, type = 'application/json') =>
    res.writeHead(status, { 'content-type': type }).end(typeof body === 'string' ? body : JSON.stringify(body));

  const proxy: TamperingIndex = {
    url: '',
    feed: null,
    json: new Map(),
    async forge(extra, envelopes = {}) {
      const real = (await ix.api.get('/feed?cursor=0&limit=1000')).body as FeedPageJson;
      const events = [...real.events.map((entry) => entry.event), ...extra];
      const store = new MemoryTreeStore();
      await store.writeNodes(await appendLeaves(store, 0, events.map((event) => hashLeaf(Buffer.from(canonicalJson(event), 'utf8')))));
      const note = signCheckpoint({ origin, size: events.length, rootHash: await rootHash(store, events.length) }, origin, logKey);
      forged = { events, store, note, envelopes };
    },
    reset() {
      forged = null;
      proxy.feed = null;
      proxy.json.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://proxy');
    const path = url.pathname;
    const number = (name: string) => Number(url.searchParams.get(name));
    const base64 = (hashes: Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('base64'));
    if (proxy.json.has(path)) return send(res, 200, proxy.json.get(path));
    if (forged) {
      const { events, store } = forged;
      if (path === '/api/v1/log/checkpoint') return send(res, 200, forged.note, 'text/plain; charset=utf-8');
      if (path === '/api/v1/log/consistency') {
        return send(res, 200, { from: number('from'), to: number('to'), proof: base64(await consistencyProof(store, number('from'), number('to'))) });
      }
      if (path === '/api/v1/log/inclusion') {
        return send(res, 200, { index: number('index'), size: number('size'), proof: base64(await inclusionProof(store, number('index'), number('size'))) });
      }
      if (path === '/api/v1/feed') {
        const cursor = number('cursor');
        const page = events.slice(cursor, cursor + (number('limit') || 100)).map((event, i) => ({ index: cursor + i, event }));
        return send(res, 200, { events: page, next: cursor + page.length, size: events.length });
      }
      const envelope = path.startsWith('/api/v1/envelopes/') ? forged.envelopes[path.slice('/api/v1/envelopes/'.length)] : undefined;
      if (envelope) return send(res, 200, envelope);
    }
    const answer = await fetch(ix.url + req.url);
    const body = Buffer.from(await answer.arrayBuffer());
    if (path === '/api/v1/feed' && proxy.feed && answer.status === 200) {
      return send(res, 200, proxy.feed(JSON.parse(body.toString('utf8')) as FeedPageJson, number('cursor')));
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
