import { PURPOSES, type Purpose } from './purposes.js';

/**
 * A consent record as it is shown and exported, shaped after ISO/IEC TS 27560 with W3C DPV
 * terms: who (by contributor id: a pseudonym is a display name the person may change, and has
 * no place in a legal record), what notice (version + hash), which purposes, on what legal basis,
 * where, and every event with its time.
 */
export interface ConsentRecordView {
  schema: 'tributary:consent-record/1';
  recordId: string;
  dataSubject: { id: string };
  controller: { name: string; jurisdiction: string };
  notice: { id: string; language: string; version: string; sha256: string };
  purposes: Array<{ id: string; dpv: string }>;
  lawfulBasis: string;
  jurisdiction: string;
  license: string;
  status: 'dpv:ConsentGiven' | 'dpv:ConsentWithdrawn';
  active: boolean;
  events: Array<{ type: 'dpv:ConsentGiven' | 'dpv:ConsentWithdrawn'; at: string; reason?: string }>;
}

export interface ConsentRecordParts {
  record: {
    id: string;
    purposes: string[];
    lawfulBasis: string;
    jurisdiction: string;
    license: string;
    withdrawnAt: string | null;
  };
  contributorId: string;
  controllerName: string;
  notice: { id: string; language: string; version: string; sha256: string };
  events: Array<{ type: 'given' | 'withdrawn'; at: string; reason: string | null }>;
}

const EVENT_TYPES = { given: 'dpv:ConsentGiven', withdrawn: 'dpv:ConsentWithdrawn' } as const;

export function consentRecordView(parts: ConsentRecordParts): ConsentRecordView {
  const { record } = parts;
  const active = record.withdrawnAt === null;
  return {
    schema: 'tributary:consent-record/1',
    recordId: record.id,
    dataSubject: { id: parts.contributorId },
    controller: { name: parts.controllerName, jurisdiction: record.jurisdiction },
    notice: parts.notice,
    purposes: record.purposes.map((id) => ({ id, dpv: PURPOSES[id as Purpose]?.dpv ?? 'dpv:Purpose' })),
    lawfulBasis: record.lawfulBasis,
    jurisdiction: record.jurisdiction,
    license: record.license,
    status: active ? 'dpv:ConsentGiven' : 'dpv:ConsentWithdrawn',
    active,
    events: parts.events.map((e) => ({ type: EVENT_TYPES[e.type], at: e.at, ...(e.reason ? { reason: e.reason } : {}) })),
  };
}
