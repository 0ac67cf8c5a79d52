import { join } from 'node:path';
import type { BlobStore } from '../core/blob-store.js';
import { openDatabase, type Db } from '../core/db.js';
import { createLogger, type Logger } from '../core/log.js';
import { AnalysisPool } from './audio/analysis-pool.js';
import type { NodeConfig } from './config.js';
import { nodeIdentity, type NodeIdentity } from './identity.js';
import { NodeLanguages } from './languages.js';
import { nodeMigrations } from './migrations/index.js';
import { localesDir as defaultLocalesDir } from './paths.js';
import { SampleWriter } from './sample-writer.js';
import type { NodeSecrets } from './secrets.js';
import { loadNotices } from './services/consent-notices.js';
import { ConsentService } from './services/consent.js';
import { ContributorService } from './services/contributors.js';
import { DatasetService } from './services/datasets.js';
import { MyDataService } from './services/my-data.js';
import { PromptService } from './services/prompts.js';
import { ReleaseBuilder } from './services/release-builder.js';
import { SpeechIntake } from './services/speech-intake.js';
import { TextIntake } from './services/text-intake.js';
import { UnfinishedUploads } from './services/unfinished-uploads.js';
import { ValidationService } from './services/validation.js';
import { WithdrawalFollowUp } from './services/withdrawal-cleanup.js';
import { WithdrawalNotices } from './services/withdrawal-notices.js';
import { DatasetAuthority } from './services/dataset-authority.js';
import { RedactionScheduler } from './services/redaction-scheduler.js';
import { Redactor } from './services/redaction.js';
import { ReleaseActivity } from './services/release-activity.js';
import { AccessStore } from './stores/access.js';
import { ConsentStore } from './stores/consents.js';
import { ContributorStore } from './stores/contributors.js';
import { PromptStore } from './stores/prompts.js';
import { ReleaseStore } from './stores/releases.js';
import { ReportStore } from './stores/reports.js';
import { SampleStore } from './stores/samples.js';
import { StatsStore } from './stores/stats.js';
import { UnfinishedUploadStore } from './stores/unfinished-uploads.js';
import { VoteStore } from './stores/votes.js';
import { NoticeStore } from './stores/notices.js';
import { DeliveryStore } from './stores/deliveries.js';
import { Publisher } from './services/publisher.js';
import { LearnedModelFolder, NodeLanguageId } from './services/node-language-id.js';
import { NodeSpeechLanguageId } from './services/node-speech-language-id.js';
import { openNodeStorage, type NodeStorage } from './storage.js';

/** Everything a node's routes and commands need, built once by `openNodeContext`. */
export interface NodeContext {
  dir: string;
  config: NodeConfig;
  log: Logger;
  db: Db;
  blobs: BlobStore;
  /** Resumable uploads not yet finished: their files and disk claims. */
  unfinishedUploads: UnfinishedUploads;
  analysis: AnalysisPool;
  /** Writes samples on a thread of its own. */
  writer: SampleWriter;
  languages: NodeLanguages;
  /** Language ID for the node's languages, with its learned model when one is current. */
  langid: NodeLanguageId;
  speechLangid: NodeSpeechLanguageId;
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
  /** Retraction and access changes: the community's authority over a dataset as a whole. */
  authority: DatasetAuthority;
  /** Rebuilds releases without withdrawn records when due (started by a serving node). */
  redactions: RedactionScheduler;
  /** Where releases are published and served from (`<dataset>/<version>/<name>`). */
  releaseFiles: BlobStore;
  /** The node's folder or its bucket, holding `blobs` and `releaseFiles`. */
  storage: NodeStorage;
  /** Sends manifests, notices and heartbeats to the indexes in node.json (started by a serving node). */
  publisher: Publisher;
  /** Stops the worker threads and closes the database, in the order they depend on each other. */
  close(): Promise<void>;
}

export interface NodeContextOptions {
  dir: string;
  config: NodeConfig;
  secrets: NodeSecrets;
  localesDir?: string;
  /** Where log lines go; JSON lines on stdout at info level by default. */
  logger?: Logger;
}

/**
 * Builds the services of a node over its directory (config → secrets → context). Opening has
 * no effect beyond bringing the database schema up to date: work a running node does at start
 * (recording its consent notices) is `createNode`'s. Threads start only when first used.
 */
export function openNodeContext(options: NodeContextOptions): NodeContext {
  const { dir, config } = options;
  const log = options.logger ?? createLogger({ service: 'node' });
  const databaseFile = join(dir, 'node.sqlite');
  const db = openDatabase(databaseFile, nodeMigrations);
  const languages = new NodeLanguages(config.languages);
  const stores = {
    contributors: new ContributorStore(db),
    consents: new ConsentStore(db),
    samples: new SampleStore(db),
    sampleVotes: new VoteStore(db, 'votes'),
    promptVotes: new VoteStore(db, 'prompt_votes'),
    reports: new ReportStore(db),
    prompts: new PromptStore(db),
    releases: new ReleaseStore(db),
    access: new AccessStore(db),
    notices: new NoticeStore(db),
  };
  const identity = nodeIdentity(config, options.secrets);
  const notices = new WithdrawalNotices(db, identity, stores.releases, stores.notices);
  const consentNotices = loadNotices(config, options.localesDir ?? defaultLocalesDir);
  const storage = openNodeStorage(dir, config.storage);
  const { blobs, releaseFiles } = storage;
  const writer = new SampleWriter(databaseFile);
  const analysis = new AnalysisPool(config.audio.analysisThreads);
  const unfinishedUploads = new UnfinishedUploads(db, new UnfinishedUploadStore(db), join(dir, 'uploads'), config.audio, log);
  const activity = new ReleaseActivity();
  // Local and outside the served store: a build is written here, then published file by file.
  const buildsDir = join(dir, 'tmp');
  const authority = new DatasetAuthority({
    db,
    identity,
    releases: stores.releases,
    notices: stores.notices,
    releaseFiles,
    activity,
    redactAfterSeconds: config.releases.redactAfterSeconds,
    log,
  });
  const langid = new NodeLanguageId(languages, config.lid, new LearnedModelFolder(dir), (error) =>
    log.error({ err: error }, 'the learned language model cannot be read; language ID uses the base alone'),
  );
  const speechLangid = new NodeSpeechLanguageId(dir, config, languages, log);
  const releaseDeps = { db, config, identity, blobs, releaseFiles, releases: stores.releases, notices, activity, buildsDir, langid, speechLangid };
  const redactions = new RedactionScheduler({
    releases: stores.releases,
    redactor: new Redactor({ ...releaseDeps, authority }),
    redactAfterSeconds: config.releases.redactAfterSeconds,
    log,
  });
  const followUp = new WithdrawalFollowUp({ blobs, notices, redactions, uploads: unfinishedUploads, log });
  const consent = new ConsentService(db, config, consentNotices, stores.consents, stores.samples, unfinishedUploads, followUp);
  const publisher = new Publisher({ config, identity, deliveries: new DeliveryStore(db), releases: stores.releases, notices: stores.notices, log });
  return {
    dir,
    config,
    log,
    db,
    blobs,
    unfinishedUploads,
    analysis,
    languages,
    langid,
    speechLangid,
    contributors: new ContributorService(db, stores.contributors),
    consent,
    prompts: new PromptService(db, config, languages, langid, stores.prompts, stores.promptVotes),
    writer,
    textIntake: new TextIntake(writer, config, languages, langid, consent),
    speechIntake: new SpeechIntake(writer, config, languages, speechLangid, consent, stores.prompts, blobs, analysis, log),
    validation: new ValidationService(db, config, languages, stores.samples, stores.sampleVotes, stores.reports, stores.prompts, followUp),
    myData: new MyDataService(db, config, stores, consent, unfinishedUploads, followUp),
    identity,
    notices,
    releaseBuilder: new ReleaseBuilder({ ...releaseDeps, authority, languages, nodeDir: dir }),
    datasets: new DatasetService(db, releaseFiles, stores.releases, stores.access, stores.notices, identity.apiBase),
    authority,
    redactions,
    releaseFiles,
    storage,
    stats: new StatsStore(db),
    publisher,
    async close() {
      await redactions.stop();
      await publisher.stop();
      await analysis.close();
      await writer.close();
      db.close();
      storage.close();
    },
  };
}
