import type { DatasetMatch, DatasetRecord } from './index-store.js';

/** A row of `datasets` as SQLite gives it. */
export interface DatasetRow {
  node_did: string;
  dataset_id: string;
  manifest: string;
  version: string;
  rev: number;
  name: string;
  description: string;
  language_tag: string | null;
  iso639_3: string | null;
  modality: 'text' | 'speech';
  license: string;
  license_url: string;
  access_class: DatasetRecord['accessClass'];
  permitted_actions: string;
  purposes: string;
  records: number;
  hours: number | null;
  speakers: number | null;
  published: string;
  expires: string;
  access_changed: string | null;
  retracted_at: string | null;
  retraction: string | null;
  updated_at: string;
}

/** The columns of a `DatasetRow`, each prefixed with `alias.` when one is given. */
export function datasetColumns(alias?: string): string {
  const columns = ['node_did', 'dataset_id', 'manifest', 'version', 'rev', 'name', 'description', 'language_tag', 'iso639_3', 'modality', 'license', 'license_url',
    'access_class', 'permitted_actions', 'purposes', 'records', 'hours', 'speakers', 'published', 'expires', 'access_changed', 'retracted_at', 'retraction', 'updated_at'];
  return columns.map((column) => (alias ? `${alias}.${column}` : column)).join(', ');
}

export function datasetFromRow(row: DatasetRow): DatasetRecord {
  return {
    nodeDid: row.node_did,
    datasetId: row.dataset_id,
    manifest: row.manifest,
    version: row.version,
    rev: row.rev,
    name: row.name,
    description: row.description,
    languageTag: row.language_tag,
    iso639_3: row.iso639_3,
    modality: row.modality,
    license: row.license,
    licenseUrl: row.license_url,
    accessClass: row.access_class,
    permittedActions: JSON.parse(row.permitted_actions) as string[],
    purposes: JSON.parse(row.purposes) as string[],
    records: row.records,
    hours: row.hours,
    speakers: row.speakers,
    published: row.published,
    expires: row.expires,
    accessChanged: row.access_changed,
    retracted: row.retracted_at ? { at: row.retracted_at, notice: row.retraction ?? '' } : null,
    updatedAt: row.updated_at,
  };
}

/** A dataset's row with its current manifest's log index and envelope, and its node. */
export interface MatchRow extends DatasetRow {
  m_log_index: number;
  m_envelope: string;
  n_name: string;
  n_url: string;
  n_stale: number;
  n_last_heard_at: string;
}


export function matchFromRow(row: MatchRow): DatasetMatch {
  return {
    ...datasetFromRow(row),
    logIndex: row.m_log_index,
    envelope: row.m_envelope,
    node: { name: row.n_name, url: row.n_url, stale: row.n_stale === 1, lastHeardAt: row.n_last_heard_at },
  };
}

/** The `terms` column: what the permits filter finds with `instr`, each term between spaces. */
export function searchTerms(dataset: DatasetRecord): string {
  return ` ${[...dataset.permittedActions, ...dataset.purposes.map((p) => `purpose:${p}`)].join(' ')} `;
}
