/** The admin routes' answers, derived from the node's schemas (types only; nothing is bundled). */
import type { openReportView } from '../../../../server/node/routes/common.schema.js';
import type {
  accessChangeView,
  buildsInProgressView,
  datasetStateView,
  grantView,
  noticeFeedView,
  receiptView,
  releaseSummaryView,
  retractionView,
} from '../../../../server/node/routes/datasets.schema.js';
import type { overviewView, promptFileView, publishingView, staffMemberView, staffView } from '../../../../server/node/routes/operator.schema.js';
import type { Answer } from '../../types.js';

export type Overview = Answer<typeof overviewView>;
export type PromptFileOutcome = Answer<typeof promptFileView>;
export type Publishing = Answer<typeof publishingView>;
export type Staff = Answer<typeof staffView>;
export type StaffMember = Answer<typeof staffMemberView>;
export type Report = Answer<typeof openReportView>;
export type DatasetState = Answer<typeof datasetStateView>;
export type Grant = Answer<typeof grantView>;
export type Receipt = Answer<typeof receiptView>;
export type ReleaseSummary = Answer<typeof releaseSummaryView>;
export type BuildsInProgress = Answer<typeof buildsInProgressView>;
export type Retraction = Answer<typeof retractionView>;
export type AccessChange = Answer<typeof accessChangeView>;
export type NoticeFeed = Answer<typeof noticeFeedView>;
export type AccessClass = DatasetState['accessClass'];
export type Role = Staff['contributors'][number]['role'];

export const ACCESS_CLASSES = ['open', 'gated', 'on-request'] as const satisfies readonly AccessClass[];
export const ROLES = ['volunteer', 'reviewer', 'admin'] as const satisfies readonly Role[];
