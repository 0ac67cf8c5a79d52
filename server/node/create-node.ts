import { join } from 'node:path';
import express from 'express';
import { FileStore } from '@tus/file-store';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createApi, openApiDocument } from '../core/api.js';
import { openDatabase } from '../core/db.js';
import { DiskBlobStore } from '../core/disk-blob-store.js';
import { AnalysisPool } from './audio/analysis-pool.js';
import { speechRoutes } from './routes/speech.js';
import { SampleWriter } from './sample-writer.js';
import { SpeechIntake } from './services/speech-intake.js';
import { createUploads, type Uploads } from './uploads.js';
import { ensureNodeKeys, loadIdentity } from './identity.js';
import { datasetRoutes } from './routes/datasets.js';
import { DatasetService } from './services/datasets.js';
import { ReleaseBuilder } from './services/release-builder.js';
import { WithdrawalNotices } from './services/withdrawal-notices.js';
import { AccessStore } from './stores/access.js';
import { ReleaseStore } from './stores/releases.js';
import { WithdrawalNoticeStore } from './stores/withdrawal-notices.js';
import { UnfinishedUploadStore } from './stores/unfinished-uploads.js';
import { UnfinishedUploads } from './services/unfinished-uploads.js';
import { WithdrawalFollowUp } from './services/withdrawal-cleanup.js';
import { errorHandler, jsonBody, notFound, requestIds, securityHeaders } from '../core/http.js';
import { createLogger, type Logger } from '../core/log.js';
import { rateLimit } from '../core/rate-limit.js';
import { API_BASE, appDir, localesDir as defaultLocalesDir } from '../core/paths.js';
import { version } from '../core/version.js';
import { authorizer } from './auth.js';
import type { NodeConfig } from './config.js';
import type { NodeContext } from './context.js';
import { NodeLanguages } from './languages.js';
import { nodeMigrations } from './migrations/index.js';
import { adminRoutes } from './routes/admin.js';
import { consentRoutes } from './routes/consent.js';
import { contributorRoutes } from './routes/contributors.js';
import { metaRoutes } from './routes/meta.js';
import { promptRoutes } from './routes/prompts.js';
import { sampleRoutes } from './routes/samples.js';
import { loadNotices } from './services/consent-notices.js';
import { ConsentService } from './services/consent.js';
import { ContributorService } from './services/contributors.js';
import { MyDataService } from './services/my-data.js';
import { PromptService } from './services/prompts.js';
import { nodeStats } from './services/stats.js';
import { TextIntake } from './services/text-intake.js';
import { ValidationService } from './services/validation.js';
import { ConsentStore } from './stores/consents.js';
import { ContributorStore } from './stores/contributors.js';
import { PromptStore } from './stores/prompts.js';
import { ReportStore } from './stores/reports.js';
import { SampleStore } from './stores/samples.js';
import { StatsStore } from './stores/stats.js';
import { VoteStore } from './stores/votes.js';

export { API_BASE };

export interface NodeOptions {
  dir: string;
  config: NodeConfig;
  localesDir?: string;
  /** Where log lines go; JSON lines on stdout at info level by default. */
  logger?: Logger;
}

export interface Node {
  context: NodeContext;
  app: express.Express;
  uploads: Uploads;
  close(): Promise<void>;
}

/** Builds the services of a node over its directory. Tests call this with a temp dir. */
export function createNodeContext(options: NodeOptions): NodeContext {
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
    notices: new WithdrawalNoticeStore(db),
  };
  // Nodes made before releases existed get their identity on first start.
  ensureNodeKeys(dir);
  const identity = loadIdentity(dir, config);
  const notices = new WithdrawalNotices(identity, stores.releases, stores.notices);
  const consentNotices = loadNotices(config, options.localesDir ?? defaultLocalesDir);
  const blobs = new DiskBlobStore(join(dir, 'blobs'));
  const releasesDir = join(dir, 'releases');
  const releaseFiles = new DiskBlobStore(releasesDir);
  const writer = new SampleWriter(databaseFile);
  const analysis = new AnalysisPool(config.audio.analysisThreads);
  const uploadFiles = new FileStore({
    directory: join(dir, 'uploads'),
    expirationPeriodInMilliseconds: config.audio.uploadExpiryHours * 3600_000,
  });
  const unfinishedUploads = new UnfinishedUploads(db, new UnfinishedUploadStore(db), uploadFiles, config.audio, log);
  const followUp = new WithdrawalFollowUp({ blobs, notices, uploads: unfinishedUploads, log });
  const consent = new ConsentService(db, config, consentNotices, stores.consents, stores.samples, unfinishedUploads, followUp);
  return {
    dir,
    config,
    log,
    db,
    blobs,
    unfinishedUploads,
    analysis,
    languages,
    contributors: new ContributorService(db, stores.contributors),
    consent,
    prompts: new PromptService(db, config, languages, stores.prompts, stores.promptVotes),
    writer,
    textIntake: new TextIntake(writer, config, languages, consent),
    speechIntake: new SpeechIntake(writer, config, languages, consent, stores.prompts, blobs, analysis, log),
    validation: new ValidationService(
      db,
      config,
      languages,
      stores.samples,
      stores.sampleVotes,
      stores.reports,
      stores.prompts,
    ),
    myData: new MyDataService(db, config, stores, consent, unfinishedUploads, followUp),
    identity,
    notices,
    releaseBuilder: new ReleaseBuilder(db, releasesDir, config, languages, identity, blobs, stores.releases, notices),
    datasets: new DatasetService(db, releaseFiles, stores.releases, stores.access),
    releaseFiles,
    stats: new StatsStore(db),
  };
}

export function createNode(options: NodeOptions): Node {
  const context = createNodeContext(options);
  const { config, log } = context;

  const app = express();
  app.disable('x-powered-by');
  // Which hops may say who the client is (X-Forwarded-For): none unless the operator names the
  // reverse proxy, or any local program could pick its own rate-limit bucket.
  app.set('trust proxy', config.http.trustProxy);
  app.set('json escape', true);
  // API answers are per caller and mostly writes: hashing every body for a weak ETag bought
  // nothing. Release files and the app's static files carry their own validators.
  app.set('etag', false);
  app.use(requestIds(log));
  app.use(securityHeaders());

  // One budget for the whole API, resumable uploads included.
  app.use(
    API_BASE,
    rateLimit({
      windowSeconds: config.limits.rateWindowSeconds,
      perAddress: config.limits.ratePerAddress,
      perToken: config.limits.ratePerToken,
    }),
  );
  // tus reads the raw request body itself, so it is mounted before any body parser.
  const uploads = createUploads({
    path: `${API_BASE}/uploads`,
    maxBytes: config.audio.maxBytes,
    contributors: context.contributors,
    speechIntake: context.speechIntake,
    unfinished: context.unfinishedUploads,
    log,
  });
  app.use(`${API_BASE}/uploads`, uploads.handler);

  const registry = new OpenAPIRegistry();
  const api = express.Router();
  api.use(jsonBody(config.limits.bodyBytes));
  const route = createApi({ router: api, registry, authorize: authorizer(context.contributors) });
  contributorRoutes(route, context);
  consentRoutes(route, context.consent);
  promptRoutes(route, context);
  sampleRoutes(route, context);
  speechRoutes(route, context, config.audio.maxBytes);
  datasetRoutes(route, context);
  adminRoutes(route, context);
  metaRoutes(route, () => nodeStats(context.stats, context.languages));
  app.use(API_BASE, api);

  let openApi: unknown;
  app.get('/openapi.json', (req, res) => {
    openApi ??= openApiDocument(registry, {
      title: `Tributary node: ${config.name}`,
      version,
      server: (config.url ?? `${req.protocol}://${req.get('host')}`) + API_BASE,
    });
    res.json(openApi);
  });
  // A DID document, so that did:web resolvers find the node's keys where the spec looks.
  app.get('/.well-known/did.json', (_req, res) => {
    const { did, publicKeys } = context.identity;
    const methods = publicKeys.map((k) => ({ id: `${did}#${k.id}`, type: k.type, controller: did, publicKeyMultibase: k.publicKeyMultibase }));
    res.type('application/did+json').json({
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/ed25519-2020/v1'],
      id: did,
      verificationMethod: methods,
      assertionMethod: methods.filter((_, i) => publicKeys[i]!.use === 'signing').map((m) => m.id),
      capabilityInvocation: methods.filter((_, i) => publicKeys[i]!.use === 'rotation').map((m) => m.id),
    });
  });
  app.get('/.well-known/tributary.json', (req, res) => {
    const base = config.url ?? `${req.protocol}://${req.get('host')}`;
    res.json({
      type: 'tributary-node',
      did: context.identity.did,
      publicKeys: context.identity.publicKeys,
      name: config.name,
      languages: config.languages,
      api: base + API_BASE,
      openapi: base + '/openapi.json',
      software: { name: 'tributary', version },
      withdrawals: base + API_BASE + '/withdrawals',
      datasets: base + API_BASE + '/datasets',
      indexes: [],
    });
  });

  // The contributor app and its translations, served by the node itself.
  app.use('/locales', express.static(options.localesDir ?? defaultLocalesDir, { maxAge: '1h' }));
  // No max-age: the app's files keep their names across upgrades, so browsers revalidate (ETag).
  app.use(express.static(appDir, { index: 'index.html', maxAge: 0 }));
  app.get(/^\/(?!api\/|\.well-known\/|openapi\.json).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.sendFile(join(appDir, 'index.html'), (error) => error && next());
  });

  app.use(notFound);
  app.use(errorHandler(log));
  return {
    context,
    app,
    uploads,
    async close() {
      uploads.close();
      await context.analysis.close();
      await context.writer.close();
      context.db.close();
    },
  };
}
