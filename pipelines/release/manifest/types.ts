/**
 * Everything the manifest and the dataset card say about one release, as plain data. The release
 * builder on the node fills this in; `buildManifest` and `datasetCard` only format it.
 */
export interface ReleaseDescription {
  datasetId: string;
  name: string;
  description: string;
  /** Semantic version; a release that drops withdrawn records is a new MAJOR version. */
  version: string;
  /** Monotonic per dataset: the index refuses a manifest whose rev is not above the last one. */
  rev: number;
  /** ISO 8601 date-time. */
  published: string;
  /** ISO 8601 date-time after which the index treats the manifest as stale unless re-signed. */
  expires: string;
  /** sha256 (hex) of the previous release's manifest bytes, null for the first release. */
  previousManifest: string | null;
  node: {
    did: string;
    name: string;
    /**
     * The node's API base as trainers reach it, e.g. https://sauti.example.org/api/v1; shard URLs
     * and the citation hang off it. Always absolute: a signed manifest is copied (indexes, pulled
     * folders), and a link without a host would point wherever the copy is read from.
     */
    url: string;
  };
  language: { tag: string; iso639_3: string; name: string };
  modality: Modality;
  license: { spdx: string; url: string };
  accessClass: AccessClass;
  usage: {
    permitted: UsageAction[];
    duties: UsageDuty[];
    /** Consent purposes every record in the release was given for (e.g. train-asr, evaluate). */
    purposes: string[];
  };
  localContexts?: Array<{ label: string; url: string }>;
  counts: {
    records: number;
    hours: number | null;
    speakers: number;
    bySplit: Record<string, SplitCounts>;
  };
  /** All cells; cells under the k-anonymity threshold are dropped when the manifest is built. */
  demographics: DemographicCell[];
  shards: Shard[];
  /** stage → version, e.g. { langid: 'franc-all@7.2.0+contact.1', audio: 'tributary-audio@1' }. */
  pipeline: Record<string, string>;
  /** Free text for the RAI fields. Dates are ISO 8601 dates or date-times. */
  collection: { method: string; consent: string; validation: string; startDate: string | null; endDate: string | null };
  /** Records of the previous release left out of this one because their contributors withdrew. */
  withdrawnSincePrevious: number;
}

export type Modality = 'text' | 'speech';
export type AccessClass = 'open' | 'gated' | 'on-request';
export type UsageAction = 'train' | 'evaluate' | 'commercial-model' | 'redistribute';
export type UsageDuty = 'attribute' | 'notify-use';
export type DemographicField = 'age_band' | 'gender' | 'variant' | 'accent';

export interface SplitCounts {
  records: number;
  hours: number | null;
  speakers: number;
}

export interface DemographicCell {
  field: DemographicField;
  value: string;
  speakers: number;
}

export interface Shard {
  /** Path-like name, e.g. data/train-00000-of-00003.parquet; also its path under /shards/. */
  name: string;
  split: string;
  sha256: string;
  bytes: number;
  records: number;
  encodingFormat: ShardFormat;
}

export type ShardFormat = 'application/x-parquet' | 'application/x-tar';

export const USAGE_ACTIONS = ['train', 'evaluate', 'commercial-model', 'redistribute'] as const satisfies readonly UsageAction[];
export const USAGE_DUTIES = ['attribute', 'notify-use'] as const satisfies readonly UsageDuty[];
export const DEMOGRAPHIC_FIELDS = ['age_band', 'gender', 'variant', 'accent'] as const satisfies readonly DemographicField[];

/** Sample rate of the normalised clips in speech shards (DESIGN "Audio": mono, 16 kHz). */
export const SPEECH_SAMPLING_RATE = 16_000;
