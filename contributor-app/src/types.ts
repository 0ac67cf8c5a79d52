/** The node's answers, as the app reads them (see the node's /openapi.json). */

export interface NodeInfo {
  name: string;
  languages: string[];
}

export interface Profile {
  id: string;
  pseudonym: string;
  role: 'volunteer' | 'reviewer' | 'admin';
  ageBand: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
  createdAt: string;
}

export interface Registered {
  contributor: Profile;
  token: string;
}

export interface NoticePurpose {
  id: string;
  label: string;
  dpv: string;
  required: boolean;
}

export interface ConsentNotice {
  id: string;
  sha256: string;
  language: string;
  version: string;
  title: string;
  text: string;
  purposes: NoticePurpose[];
  license: string;
  controller: { name: string; jurisdiction: string; url: string | null };
}

export interface ConsentEvent {
  type: string;
  at: string;
  reason?: string;
}

export interface ConsentRecord {
  recordId: string;
  notice: { id: string; language: string; version: string; sha256: string };
  purposes: Array<{ id: string; dpv: string }>;
  license: string;
  jurisdiction: string;
  active: boolean;
  status: 'dpv:ConsentGiven' | 'dpv:ConsentWithdrawn';
  events: ConsentEvent[];
}

export interface Withdrawal {
  record: ConsentRecord;
  withdrawnSamples: number;
}

export interface Erasure {
  withdrawnConsentRecords: number;
  withdrawnSamples: number;
  erasedAt: string;
}

export interface Prompt {
  id: string;
  language: string;
  text: string;
}

export interface Lid {
  code: string;
  score: number;
  script: string;
  model: string;
  mismatch: 'language' | 'script' | null;
}

export interface Sample {
  id: string;
  modality: 'text' | 'speech';
  language: string;
  iso639_3: string;
  text: string | null;
  promptId: string | null;
  lid: Lid | null;
  audio: {
    url: string;
    type: string;
    facts: { durationSeconds: number; speechSeconds: number; snrDb: number; peakDbfs: number };
  } | null;
  flags: string[];
  status: 'pending' | 'validated' | 'rejected' | 'withdrawn';
  createdAt: string;
}

export type VoteValue = 'up' | 'down' | 'skip';

export const REPORT_REASONS = [
  'offensive',
  'wrong-language',
  'personal-data',
  'spam',
  'poor-quality',
  'copyright',
  'other',
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export const AGE_BANDS = ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75+'] as const;
