import type { BlobStore } from '../core/blob-store.js';
import type { Db } from '../core/db.js';
import type { Logger } from '../core/log.js';
import type { AnalysisPool } from './audio/analysis-pool.js';
import type { SampleWriter } from './sample-writer.js';
import type { SpeechIntake } from './services/speech-intake.js';
import type { NodeIdentity } from './identity.js';
import type { DatasetService } from './services/datasets.js';
import type { ReleaseBuilder } from './services/release-builder.js';
import type { WithdrawalNotices } from './services/withdrawal-notices.js';
import type { NodeConfig } from './config.js';
import type { NodeLanguages } from './languages.js';
import type { ConsentService } from './services/consent.js';
import type { ContributorService } from './services/contributors.js';
import type { MyDataService } from './services/my-data.js';
import type { PromptService } from './services/prompts.js';
import type { TextIntake } from './services/text-intake.js';
import type { ValidationService } from './services/validation.js';
import type { StatsStore } from './stores/stats.js';
import type { UnfinishedUploads } from './services/unfinished-uploads.js';

/** Everything a node's routes and commands need, built once by `createNode`. */
export interface NodeContext {
  dir: string;
  config: NodeConfig;
  log: Logger;
  db: Db;
  blobs: BlobStore;
  /** Resumable uploads not yet finished: their files and disk claims. */
  unfinishedUploads: UnfinishedUploads;
  analysis: AnalysisPool;
  /** Writes samples on a thread of its own; close it before the database. */
  writer: SampleWriter;
  languages: NodeLanguages;
  contributors: ContributorService;
  consent: ConsentService;
  prompts: PromptService;
  textIntake: TextIntake;
  speechIntake: SpeechIntake;
  validation: ValidationService;
  myData: MyDataService;
  stats: StatsStore;
  identity: NodeIdentity;
  notices: WithdrawalNotices;
  releaseBuilder: ReleaseBuilder;
  datasets: DatasetService;
  /** The releases folder as a blob store, for serving release files. */
  releaseFiles: BlobStore;
}
