/**
 * The node's answers, as the app reads them: derived from the node's own response schemas, so a
 * change to what the node answers is a compile error here rather than a surprise in a browser.
 *
 * Only types cross over (`import type`): esbuild drops these imports, so neither zod nor server
 * code reaches the bundle. The schema files imported here use nothing but zod, so this tsconfig
 * (DOM, no Node types) can check them.
 */
import type { z } from 'zod';
import type { consentRecordSchema } from '../../server/node/domain/consent-record.js';
import type { reportBody, voteBody } from '../../server/node/routes/common.schema.js';
import type { consentListView, noticeView, withdrawalView } from '../../server/node/routes/consent.schema.js';
import type { demographicsBody, erasureView, mySamplesView, profileView, registeredView } from '../../server/node/routes/contributors.schema.js';
import type { limitsView, statsView } from '../../server/node/routes/meta.schema.js';
import type { promptListView, promptView } from '../../server/node/routes/prompts.schema.js';
import type { queueView, sampleView } from '../../server/node/routes/samples.schema.js';

/**
 * The input side of a schema: the node sends what its handler returned (typed `z.input`), it does
 * not parse its own answer, so a field with a default may really be missing on the wire.
 */
export type Answer<S extends z.ZodType> = z.input<S>;

export type Profile = Answer<typeof profileView>;
export type Registered = Answer<typeof registeredView>;
export type ConsentNotice = Answer<typeof noticeView>;
export type ConsentRecord = Answer<typeof consentRecordSchema>;
export type ConsentList = Answer<typeof consentListView>;
export type Withdrawal = Answer<typeof withdrawalView>;
export type Erasure = Answer<typeof erasureView>;
export type Prompt = Answer<typeof promptView>;
export type PromptList = Answer<typeof promptListView>;
export type Sample = Answer<typeof sampleView>;
export type SampleQueue = Answer<typeof queueView>;
export type MySamples = Answer<typeof mySamplesView>;
export type Limits = Answer<typeof limitsView>;
export type Stats = Answer<typeof statsView>;
export type SampleStatus = Sample['status'];

export type VoteValue = z.input<typeof voteBody>['value'];
export type ReportReason = z.input<typeof reportBody>['reason'];
export type AgeBand = NonNullable<z.input<typeof demographicsBody>['ageBand']>;

/**
 * The node's name and languages from /.well-known/tributary.json, which the node answers outside
 * its declared routes (no schema to derive from yet); the app reads only these two fields.
 */
export interface NodeInfo {
  name: string;
  languages: string[];
}

/**
 * Lists the app shows as choices, in the app's order. The values cannot come from the server
 * without bundling its schemas, so the compiler holds them to the schema both ways: no value the
 * node would refuse, and none of the node's values missing.
 */
export const REPORT_REASONS = [
  'offensive',
  'wrong-language',
  'personal-data',
  'spam',
  'poor-quality',
  'copyright',
  'other',
] as const satisfies readonly ReportReason[];

export const AGE_BANDS = ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75+'] as const satisfies readonly AgeBand[];

/** Compiles only when `Missing` is `never`, i.e. the list names every value the node accepts. */
type Covers<Missing extends never> = Missing;
type ReportReasonsCovered = Covers<Exclude<ReportReason, (typeof REPORT_REASONS)[number]>>;
type AgeBandsCovered = Covers<Exclude<AgeBand, (typeof AGE_BANDS)[number]>>;
