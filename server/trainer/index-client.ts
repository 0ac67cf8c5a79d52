import { createHash } from 'node:crypto';
import { z } from 'zod';
import { askPeer, PeerUnreachableError, type PeerAnswer } from '../core/http-client.js';
import { ConfigError } from '../core/errors.js';
import { IndexAnswerInvalidError, IndexRequestRefusedError, IndexUnreachableError } from './errors.js';
import type { searchQuery } from '../index/routes/catalogue.schema.js';

/**
 * The trainer's client of a global index (server/index/README.md, "HTTP API"): every request
 * bounded in time and in the bytes read, every answer checked against the shape the index
 * promises before anything reads it. Nothing here is trusted yet: envelopes are checked against
 * node keys and feed entries against signed checkpoints by the callers (`log-trust.ts`,
 * `node-keys.ts`).
 */

export interface IndexClientOptions {
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** Largest JSON answer read (a search or feed page). Default 8 MiB. */
  maxBytes?: number;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();

export const indexDocumentSchema = z.looseObject({
  type: z.literal('tributary-index'),
  name: z.string(),
  url: z.string(),
  origin: z.string().min(1),
  logKey: z.string().min(1),
});
export type IndexDocument = z.output<typeof indexDocumentSchema>;

const accessClass = z.enum(['open', 'gated', 'on-request']);

export const searchManifestSchema = z.looseObject({
  id: sha256Hex,
  dataset: z.string().min(1),
  version: z.string().min(1),
  rev: z.number().int(),
  name: z.string(),
  description: z.string().optional(),
  language: z.looseObject({ tag: z.string().nullable(), iso639_3: z.string().nullable() }),
  modality: z.enum(['text', 'speech']),
  license: z.string(),
  accessClass,
  permits: z.array(z.string()),
  records: count,
  hours: z.number().nonnegative().nullable(),
  speakers: count.nullable(),
  published: z.string(),
  expires: z.string(),
  node: z.looseObject({
    did: z.string().startsWith('did:'),
    name: z.string(),
    url: z.string(),
    stale: z.boolean(),
    lastHeardAt: z.string().nullable().optional(),
  }),
  logIndex: count,
  envelope: z.string(),
});
export type SearchManifest = z.output<typeof searchManifestSchema>;

const manifestStatusSchema = searchManifestSchema.extend({
  status: z.enum(['current', 'superseded', 'retracted', 'suspended', 'expired']),
  supersededBy: sha256Hex.nullable(),
});
export type ManifestStatus = z.output<typeof manifestStatusSchema>;

const totalsSchema = z.looseObject({ datasets: count, records: count, hours: z.number().nonnegative(), speakers: count, nodes: count });
export type SearchTotals = z.output<typeof totalsSchema>;

const searchPageSchema = z.looseObject({
  manifests: z.array(searchManifestSchema),
  next: z.string().nullable(),
  totals: totalsSchema,
});
export type SearchPage = z.output<typeof searchPageSchema>;

/** The filters `GET /api/v1/manifests` takes (the index's own query schema); each maps to its query parameter. */
export type SearchFilters = Omit<z.input<typeof searchQuery>, 'cursor' | 'limit'>;

/**
 * `GET /api/v1/nodes/:did`: what the index pinned for a node. The keys are not taken on the
 * index's word: `node-keys.ts` follows the rotation chain from the first signing key.
 */
export const nodeRecordSchema = z.looseObject({
  did: z.string().startsWith('did:'),
  name: z.string(),
  url: z.string(),
  status: z.enum(['active', 'stale', 'suspended']),
  suspended: z.looseObject({ at: z.string(), reason: z.string() }).nullable().optional(),
  lastHeardAt: z.string().nullable().optional(),
  signingKeys: z
    .array(z.looseObject({ keyId: z.string(), publicKey: z.string(), since: count, current: z.boolean() }))
    .min(1),
  rotationKey: z.looseObject({ keyId: z.string(), publicKey: z.string() }),
  /** The node's key-rotation statements (DSSE envelopes signed by its rotation key), oldest first. */
  keyRotations: z.array(z.unknown()).default([]),
  /** sha256 of the node's registration envelope (`GET /envelopes/:sha256`): what the node itself signed. */
  registration: sha256Hex,
});
export type NodeRecord = z.output<typeof nodeRecordSchema>;

/** A feed entry as served: `event` kept as the exact JSON value, since its leaf is its canonical JSON. */
export interface FeedEntry {
  index: number;
  event: Record<string, unknown> & { type: string; node: string };
}
const feedPageSchema = z.object({
  events: z.array(z.object({ index: count, event: z.looseObject({ type: z.string(), node: z.string() }) })),
  next: count,
  size: count,
});
export interface FeedPage {
  events: FeedEntry[];
  next: number;
  size: number;
}

const proofSchema = z.array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'a base64 SHA-256 hash'));
const inclusionSchema = z.looseObject({ index: count, size: count, proof: proofSchema });
const consistencySchema = z.looseObject({ from: count, to: count, proof: proofSchema });

export class IndexClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(url: string, options: IndexClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`--index ${url} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`--index ${url} is not an http(s) URL`);
    this.url = parsed.href.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  /** `/.well-known/tributary-index.json`: the log's origin and the key that signs its checkpoints. */
  async document(): Promise<IndexDocument> {
    return this.json('/.well-known/tributary-index.json', indexDocumentSchema, 1024 * 1024);
  }

  async search(filters: SearchFilters, cursor?: string | null, limit?: number): Promise<SearchPage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) {
      if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
    }
    if (cursor) query.set('cursor', cursor);
    if (limit) query.set('limit', String(limit));
    const text = query.toString();
    return this.json(`/api/v1/manifests${text ? `?${text}` : ''}`, searchPageSchema);
  }

  /**
   * Every page of a search, in the index's order. Bounded: at most `maxManifests` kept, `maxPages`
   * pages and `maxBytes` read in all (IndexAnswerInvalid past the page or byte bound: narrow the
   * filters); a cursor the index gave before is refused, so a loop of cursors ends at once.
   */
  async searchAll(
    filters: SearchFilters,
    bounds: { maxManifests?: number; maxPages?: number; maxBytes?: number } = {},
  ): Promise<{ manifests: SearchManifest[]; totals: SearchTotals }> {
    const maxManifests = bounds.maxManifests ?? 100_000;
    const maxPages = bounds.maxPages ?? 1_000;
    const maxBytes = bounds.maxBytes ?? 256 * 1024 * 1024;
    const manifests: SearchManifest[] = [];
    const seen = new Set<string>();
    const cursors = new Set<string>();
    let read = 0;
    let pages = 0;
    const fetchPage = async (cursor: string | null): Promise<SearchPage> => {
      const answer = await this.searchPage(filters, cursor);
      read += answer.bytes;
      pages += 1;
      if (read > maxBytes) throw new IndexAnswerInvalidError(`the index's search ran past ${maxBytes} bytes in ${pages} pages; narrow the filters`);
      return answer.page;
    };
    let page = await fetchPage(null);
    const totals = page.totals;
    for (;;) {
      for (const manifest of page.manifests) {
        if (seen.has(manifest.id)) continue;
        seen.add(manifest.id);
        manifests.push(manifest);
      }
      if (!page.next || manifests.length >= maxManifests) break;
      if (cursors.has(page.next)) throw new IndexAnswerInvalidError(`the index's search gives cursor ${page.next} a second time`);
      if (pages >= maxPages) throw new IndexAnswerInvalidError(`the index's search goes on past ${maxPages} pages; narrow the filters`);
      cursors.add(page.next);
      page = await fetchPage(page.next);
    }
    return { manifests, totals };
  }

  private async searchPage(filters: SearchFilters, cursor: string | null): Promise<{ page: SearchPage; bytes: number }> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) {
      if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
    }
    if (cursor) query.set('cursor', cursor);
    const text = query.toString();
    const path = `/api/v1/manifests${text ? `?${text}` : ''}`;
    const answer = await this.get(path, this.maxBytes);
    const parsed = searchPageSchema.safeParse(parseJson(answer.text, path));
    if (!parsed.success) throw new IndexAnswerInvalidError(`/api/v1/manifests: ${issue(parsed.error)}`);
    return { page: parsed.data, bytes: Buffer.byteLength(answer.text, 'utf8') };
  }

  /** One manifest by id, whatever its status (current, superseded, retracted, suspended, expired). */
  async manifest(id: string): Promise<ManifestStatus> {
    return this.json(`/api/v1/manifests/${encodeURIComponent(id)}`, manifestStatusSchema);
  }

  async node(did: string): Promise<NodeRecord> {
    return this.json(`/api/v1/nodes/${encodeURIComponent(did)}`, nodeRecordSchema);
  }

  /** An envelope the log names, as bytes the caller hashes; refused unless its sha256 is the one asked for. */
  async envelope(sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new IndexAnswerInvalidError(`${sha256} is not a sha256`);
    const answer = await this.get(`/api/v1/envelopes/${sha256}`, 16 * 1024 * 1024);
    const got = createHash('sha256').update(answer.text, 'utf8').digest('hex');
    if (got !== sha256) throw new IndexAnswerInvalidError(`the index served envelope ${sha256} with other bytes (sha256 ${got})`);
    return answer.text;
  }

  async feed(cursor: number, limit = 1000): Promise<FeedPage> {
    const answer = await this.get(`/api/v1/feed?cursor=${cursor}&limit=${limit}`, this.maxBytes);
    const json = parseJson(answer.text, '/api/v1/feed');
    const parsed = feedPageSchema.safeParse(json);
    if (!parsed.success) throw new IndexAnswerInvalidError(`/api/v1/feed: ${issue(parsed.error)}`);
    // The events as sent (not zod's copy, which could drop keys): the leaf is their exact JSON.
    const raw = (json as { events: Array<{ index: number; event: FeedEntry['event'] }> }).events;
    raw.forEach((entry, i) => {
      if (entry.index !== cursor + i) throw new IndexAnswerInvalidError(`/api/v1/feed: entry ${i} has index ${entry.index}, not ${cursor + i}`);
    });
    // The next page starts right after this one: a `next` further on would skip entries unread.
    if (parsed.data.next !== cursor + raw.length) {
      throw new IndexAnswerInvalidError(`/api/v1/feed: a page of ${raw.length} entries from ${cursor} gives next ${parsed.data.next}, not ${cursor + raw.length}`);
    }
    return { events: raw.map((entry) => ({ index: entry.index, event: entry.event })), next: parsed.data.next, size: parsed.data.size };
  }

  async checkpoint(): Promise<string> {
    return (await this.get('/api/v1/log/checkpoint', 64 * 1024)).text;
  }

  async inclusion(index: number, size: number): Promise<Uint8Array[]> {
    const answer = await this.json(`/api/v1/log/inclusion?index=${index}&size=${size}`, inclusionSchema, 64 * 1024);
    if (answer.index !== index || answer.size !== size) throw new IndexAnswerInvalidError('the inclusion proof is for another entry or size');
    return answer.proof.map((hash) => Buffer.from(hash, 'base64'));
  }

  async consistency(from: number, to: number): Promise<Uint8Array[]> {
    const answer = await this.json(`/api/v1/log/consistency?from=${from}&to=${to}`, consistencySchema, 64 * 1024);
    if (answer.from !== from || answer.to !== to) throw new IndexAnswerInvalidError('the consistency proof is for other sizes');
    return answer.proof.map((hash) => Buffer.from(hash, 'base64'));
  }

  private async json<S extends z.ZodType>(path: string, schema: S, maxBytes = this.maxBytes): Promise<z.output<S>> {
    const answer = await this.get(path, maxBytes);
    const parsed = schema.safeParse(parseJson(answer.text, path));
    if (!parsed.success) throw new IndexAnswerInvalidError(`${path.split('?')[0]}: ${issue(parsed.error)}`);
    return parsed.data;
  }

  private async get(path: string, maxBytes: number): Promise<PeerAnswer> {
    const address = this.url + path;
    let answer: PeerAnswer;
    try {
      answer = await askPeer(address, { timeoutMs: this.timeoutMs, maxBytes });
    } catch (error) {
      if (error instanceof PeerUnreachableError) throw new IndexUnreachableError(error.message, { url: address });
      throw error;
    }
    if (answer.status !== 200) {
      const said = answer.code ? `${answer.code}: ${answer.message ?? ''}`.trim() : `status ${answer.status}`;
      throw new IndexRequestRefusedError(`the index answered ${path.split('?')[0]} with ${said}`, { status: answer.status, indexCode: answer.code });
    }
    return answer;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new IndexAnswerInvalidError(`${path.split('?')[0]}: the answer is not JSON`);
  }
}

function issue(error: z.ZodError): string {
  const first = error.issues[0];
  return `${first?.path.join('.') || '(root)'} ${first?.message ?? 'is not valid'}`;
}
