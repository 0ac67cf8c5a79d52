import { signedManifestSchema } from '../../../pipelines/release/verify/manifest-schema.js';
import { InvalidRequestError } from '../../core/errors.js';
import { manifestFacts, type ManifestFacts } from '../domain/manifest-facts.js';
import { ManifestNotFoundError, NodeNotFoundError } from '../errors.js';
import { API_BASE } from '../paths.js';
import type { AccessClass, DatasetMatch, DatasetQuery, IndexStore, ManifestRecord, SearchPosition, SearchTotals } from '../store/index-store.js';

/** A search as a caller asks it: the route's parsed query, before it becomes a store query. */
export interface SearchRequest {
  lang?: string;
  modality?: 'text' | 'speech';
  license?: string;
  permits?: string;
  access?: string;
  minHours?: number;
  minRecords?: number;
  node?: string;
  q?: string;
  cursor?: string;
  limit: number;
}

export interface ManifestItem {
  id: string;
  dataset: string;
  version: string;
  rev: number;
  name: string;
  description: string;
  language: { tag: string | null; iso639_3: string | null };
  modality: 'text' | 'speech';
  license: string;
  accessClass: AccessClass;
  permits: string[];
  records: number;
  hours: number | null;
  speakers: number | null;
  published: string;
  expires: string;
  node: { did: string; name: string; url: string; stale: boolean; lastHeardAt: string };
  logIndex: number;
  envelope: string;
}

export interface SearchPage {
  manifests: ManifestItem[];
  next: string | null;
  totals: SearchTotals;
}

export type ManifestStatus = 'current' | 'superseded' | 'retracted' | 'suspended' | 'expired';

export interface ManifestView extends ManifestItem {
  status: ManifestStatus;
  supersededBy: string | null;
}

export interface NodeView {
  did: string;
  name: string;
  url: string;
  languages: string[];
  status: 'active' | 'stale' | 'suspended';
  suspended: { at: string; reason: string } | null;
  lastHeardAt: string;
  registeredAt: string;
  signingKeys: Array<{ keyId: string; publicKey: string; since: number; current: boolean }>;
  rotationKey: { keyId: string; publicKey: string };
  keyRotations: unknown[];
  registration: string;
}

const MAX_WORDS = 10;

/**
 * What the index tells readers: search over current manifests, one manifest with its status,
 * one node with the keys a trainer checks envelopes against. Read only; every answer is built
 * from committed state.
 */
export class Catalogue {
  private readonly store: IndexStore;
  private readonly now: () => Date;

  constructor(deps: { store: IndexStore; now?: () => Date }) {
    this.store = deps.store;
    this.now = deps.now ?? (() => new Date());
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    const query = this.storeQuery(request);
    const { datasets, totals } = await this.store.searchDatasets({ ...query, limit: query.limit + 1 });
    const page = datasets.slice(0, query.limit);
    const last = page.at(-1);
    return {
      manifests: page.map(itemOf),
      next: datasets.length > query.limit && last ? encodeCursor({ published: last.published, manifest: last.manifest }) : null,
      totals,
    };
  }

  /** The route's query as a store query; what a schema cannot say (cursor, words, purposes) is checked here. */
  storeQuery(request: SearchRequest): DatasetQuery {
    const list = (value: string | undefined) => (value ? value.split(',').map((v) => v.trim()).filter((v) => v.length > 0) : []);
    const languages = list(request.lang).map((range) => range.toLowerCase());
    const actions = new Set<string>();
    const purposes = new Set<string>();
    for (const wanted of list(request.permits)) {
      // A consent purpose (train-asr) is the train action, limited to that purpose.
      if (wanted.startsWith('train-')) {
        actions.add('train');
        purposes.add(wanted);
      } else actions.add(wanted);
    }
    let words: string[] = [];
    if (request.q !== undefined) {
      words = (request.q.normalize('NFC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.slice(0, 40));
      if (words.length === 0) throw new InvalidRequestError('q: give at least one word (letters or digits).');
      if (words.length > MAX_WORDS) throw new InvalidRequestError(`q: at most ${MAX_WORDS} words.`);
    }
    return {
      languages: languages.includes('*') ? [] : [...new Set(languages)],
      modality: request.modality ?? null,
      licenses: [...new Set(list(request.license).map((l) => l.toLowerCase()))],
      access: [...new Set(list(request.access))] as AccessClass[],
      actions: [...actions].sort(),
      purposes: [...purposes].sort(),
      minHours: request.minHours ?? null,
      minRecords: request.minRecords ?? null,
      node: request.node ?? null,
      words,
      at: this.now().toISOString(),
      after: request.cursor === undefined ? null : decodeCursor(request.cursor),
      limit: request.limit,
    };
  }

  /** One manifest the index took, current or not, with what has become of it. */
  async manifest(id: string): Promise<ManifestView> {
    const manifest = await this.store.manifest(id);
    if (!manifest) throw new ManifestNotFoundError(`The index holds no manifest ${id}.`);
    const [dataset, node] = await Promise.all([this.store.dataset(manifest.nodeDid, manifest.datasetId), this.store.node(manifest.nodeDid)]);
    if (!node) throw new ManifestNotFoundError(`The index holds no manifest ${id}.`);
    // The current manifest is described by its dataset's row (which access changes update);
    // an earlier one by its own signed document.
    const facts: Omit<ManifestFacts, 'licenseUrl' | 'purposes'> =
      dataset && dataset.manifest === id ? dataset : await this.factsFromEnvelope(manifest);
    const status: ManifestStatus = dataset?.retracted
      ? 'retracted'
      : manifest.supersededBy
        ? 'superseded'
        : // Search hides a suspended node's datasets; the manifest says why, not `current`.
          node.suspended
          ? 'suspended'
          : Date.parse(manifest.expires) <= this.now().getTime()
          ? 'expired'
          : 'current';
    return {
      ...itemOf({
        ...facts,
        nodeDid: manifest.nodeDid,
        datasetId: manifest.datasetId,
        manifest: manifest.sha256,
        version: manifest.version,
        rev: manifest.rev,
        published: manifest.published,
        expires: manifest.expires,
        logIndex: manifest.logIndex,
        envelope: manifest.envelope,
        node: { name: node.name, url: node.url, stale: node.stale, lastHeardAt: node.lastHeardAt },
      }),
      status,
      supersededBy: manifest.supersededBy,
    };
  }

  /** A node as a trainer checks it: its keys, and the rotation statements as it sent them. */
  async node(did: string): Promise<NodeView> {
    const node = await this.store.node(did);
    if (!node) throw new NodeNotFoundError(`The index knows no node ${did}.`);
    const [keys, registration] = await Promise.all([this.store.signingKeys(did), this.store.envelope(node.registration)]);
    return {
      did: node.did,
      name: node.name,
      url: node.url,
      languages: node.languages,
      status: node.suspended ? 'suspended' : node.stale ? 'stale' : 'active',
      suspended: node.suspended,
      lastHeardAt: node.lastHeardAt,
      registeredAt: node.registeredAt,
      signingKeys: keys.map((key) => ({ keyId: key.id, publicKey: key.publicKeyMultibase, since: key.sequence, current: key.id === node.signingKey.id })),
      rotationKey: { keyId: node.rotationKey.id, publicKey: node.rotationKey.publicKeyMultibase },
      keyRotations: registration ? keyRotationsOf(registration) : [],
      registration: node.registration,
    };
  }

  private async factsFromEnvelope(manifest: ManifestRecord): Promise<ManifestFacts> {
    const body = await this.store.envelope(manifest.envelope);
    // Verified when it was taken, so it parses; a row without its envelope is a broken store.
    const payload = JSON.parse(Buffer.from((JSON.parse(body!) as { payload: string }).payload, 'base64').toString('utf8')) as unknown;
    return manifestFacts(signedManifestSchema.parse(payload));
  }
}

/** The registration's rotation statements, exactly as the node signed them into it. */
function keyRotationsOf(registrationBody: string): unknown[] {
  const payload = JSON.parse(Buffer.from((JSON.parse(registrationBody) as { payload: string }).payload, 'base64').toString('utf8')) as {
    keyRotations?: unknown;
  };
  return Array.isArray(payload.keyRotations) ? payload.keyRotations : [];
}

type ItemSource = Pick<
  DatasetMatch,
  | 'nodeDid'
  | 'datasetId'
  | 'manifest'
  | 'version'
  | 'rev'
  | 'name'
  | 'description'
  | 'languageTag'
  | 'iso639_3'
  | 'modality'
  | 'license'
  | 'accessClass'
  | 'permittedActions'
  | 'records'
  | 'hours'
  | 'speakers'
  | 'published'
  | 'expires'
  | 'logIndex'
  | 'envelope'
  | 'node'
>;

function itemOf(source: ItemSource): ManifestItem {
  return {
    id: source.manifest,
    dataset: source.datasetId,
    version: source.version,
    rev: source.rev,
    name: source.name,
    description: source.description,
    language: { tag: source.languageTag, iso639_3: source.iso639_3 },
    modality: source.modality,
    license: source.license,
    accessClass: source.accessClass,
    permits: source.permittedActions,
    records: source.records,
    hours: source.hours,
    speakers: source.speakers,
    published: source.published,
    expires: source.expires,
    node: { did: source.nodeDid, ...source.node },
    logIndex: source.logIndex,
    envelope: `${API_BASE}/envelopes/${source.envelope}`,
  };
}

/** The cursor is opaque to callers: where the last page ended, in search order. */
function encodeCursor(position: SearchPosition): string {
  return Buffer.from(JSON.stringify([position.published, position.manifest])).toString('base64url');
}

function decodeCursor(cursor: string): SearchPosition {
  try {
    const [published, manifest] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof published === 'string' && published.length <= 40 && typeof manifest === 'string' && /^[0-9a-f]{64}$/.test(manifest)) {
      return { published, manifest };
    }
  } catch {
    // Reported below.
  }
  throw new InvalidRequestError('cursor: not a cursor this index gave (use the `next` of the previous page).');
}
