import { z } from 'zod';
import { PURPOSES, type Purpose } from './purposes.js';

const EVENT_TYPES = { given: 'dpv:ConsentGiven', withdrawn: 'dpv:ConsentWithdrawn' } as const;
const consentStatus = z.enum([EVENT_TYPES.given, EVENT_TYPES.withdrawn]);

/**
 * A consent record as it is shown and exported, shaped after ISO/IEC TS 27560 with W3C DPV
 * terms: who (by contributor id: a pseudonym is a display name the person may change, and has
 * no place in a legal record), what notice (version + hash), which purposes, on what legal basis,
 * where, and every event with its time.
 *
 * The format is the domain's, so its one definition lives here: the API's response schemas,
 * the OpenAPI document and the contributor app's types all come from this schema. It imports
 * nothing but zod and the purposes, so the app can type-check against it without Node.
 */
export const consentRecordSchema = z.object({
  schema: z.literal('tributary:consent-record/1'),
  recordId: z.string(),
  dataSubject: z.object({ id: z.string() }),
  controller: z.object({ name: z.string(), jurisdiction: z.string() }),
  notice: z.object({ id: z.string(), language: z.string(), version: z.string(), sha256: z.string() }),
  purposes: z.array(z.object({ id: z.string(), dpv: z.string() })),
  lawfulBasis: z.string(),
  jurisdiction: z.string(),
  license: z.string(),
  status: consentStatus,
  active: z.boolean(),
  events: z.array(z.object({ type: consentStatus, at: z.string(), reason: z.string().optional() })),
});

export type ConsentRecordView = z.output<typeof consentRecordSchema>;

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
    status: active ? EVENT_TYPES.given : EVENT_TYPES.withdrawn,
    active,
    events: parts.events.map((e) => ({ type: EVENT_TYPES[e.type], at: e.at, ...(e.reason ? { reason: e.reason } : {}) })),
  };
}
