import type { DatasetQuery } from './index-store.js';
import { SearchCatalogue, type CatalogueAnswer, type CatalogueRow } from './search-catalogue.js';

/**
 * The datasets' columns search reads, as both stores name them. `retracted` is 0/1 from SQLite and
 * a boolean from PostgreSQL.
 */
export const CATALOGUE_COLUMNS = `id, node_did, language_tag, license, terms, modality, access_class,
  retracted_at IS NOT NULL AS retracted, records, hours, speakers, expires, published, manifest, search_seq, name, description`;

export interface CatalogueSqlRow {
  id: number;
  node_did: string;
  language_tag: string | null;
  license: string;
  terms: string;
  modality: 'text' | 'speech';
  access_class: CatalogueRow['accessClass'];
  retracted: number | boolean;
  records: number;
  hours: number | null;
  speakers: number | null;
  expires: string;
  published: string;
  manifest: string;
  search_seq: number;
  name: string;
  description: string;
}

/** ASCII only, as SQLite's lower() folds and the catalogue compares (query ranges come lower-cased the same way). */
const lowerAscii = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/** A dataset row, as either store reads it, for the catalogue. */
export function datasetChange(row: CatalogueSqlRow): DatasetChange {
  return {
    id: row.id,
    nodeDid: row.node_did,
    language: row.language_tag === null ? null : lowerAscii(row.language_tag),
    license: lowerAscii(row.license),
    terms: row.terms,
    modality: row.modality,
    accessClass: row.access_class,
    retracted: row.retracted === true || row.retracted === 1,
    records: row.records,
    hours: row.hours,
    speakers: row.speakers,
    expires: row.expires,
    published: row.published,
    manifest: row.manifest,
    text: `${row.name}\n${row.description}`,
    seq: row.search_seq,
  };
}

/** A node's row as search needs it, with the `search_seq` its last change was given. */
export interface NodeChange {
  did: string;
  suspended: boolean;
  seq: number;
}

/** A dataset's row as search needs it, with the `search_seq` its last change was given. */
export type DatasetChange = CatalogueRow & { seq: number };

/** Where a store's next read of changes starts: above these `search_seq`s (datasets: null on the first read, which takes every row in search order). */
export interface ChangesSince {
  nodes: number;
  datasets: number | null;
}

/**
 * A `SearchCatalogue` kept up with a store's committed rows, for both stores: each search first
 * hands over the node and dataset rows whose `search_seq` is above the highest taken so far (the
 * writer sets the number in its transaction, so it grows in commit order whichever process wrote).
 * The store reads the changes in the same snapshot as the search that follows.
 */
export class FollowedCatalogue {
  #catalogue = new SearchCatalogue();
  #datasetSeq = -1;
  #nodeSeq = -1;

  get since(): ChangesSince {
    return { nodes: this.#nodeSeq, datasets: this.#datasetSeq < 0 ? null : this.#datasetSeq };
  }

  /** Applies changes read from `since`; they may be read lazily, as the store iterates its rows. */
  take(nodes: Iterable<NodeChange>, datasets: Iterable<DatasetChange>): void {
    try {
      for (const node of nodes) {
        this.#catalogue.setNode(node.did, node.suspended);
        if (node.seq > this.#nodeSeq) this.#nodeSeq = node.seq;
      }
      for (const { seq, ...row } of datasets) {
        this.#catalogue.upsert(row);
        if (seq > this.#datasetSeq) this.#datasetSeq = seq;
      }
      this.#catalogue.settle();
    } catch (error) {
      // Half-taken changes would leave the catalogue unlike any committed state: start over next time.
      this.#catalogue = new SearchCatalogue();
      this.#datasetSeq = -1;
      this.#nodeSeq = -1;
      throw error;
    }
  }

  search(query: DatasetQuery): CatalogueAnswer {
    return this.#catalogue.search(query);
  }

  /** The catalogue's size and its arrays' bytes, for measurements. */
  memory(): { datasets: number; bytes: number } {
    return { datasets: this.#catalogue.size, bytes: this.#catalogue.bytes() };
  }
}
