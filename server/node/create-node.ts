import { join } from 'node:path';
import compression from 'compression';
import express from 'express';
import { createHttpApp } from '../core/http-app.js';
import { version } from '../core/version.js';
import { authorizer, type AccessLevel } from './auth.js';
import { openNodeContext, type NodeContext, type NodeContextOptions } from './context.js';
import { NODE_STATUSES } from './errors.js';
import { API_BASE, appDir, localesDir as defaultLocalesDir } from './paths.js';
import { adminRoutes } from './routes/admin.js';
import { consentRoutes } from './routes/consent.js';
import { contributorRoutes } from './routes/contributors.js';
import { datasetRoutes } from './routes/datasets.js';
import { metaRoutes } from './routes/meta.js';
import { operatorRoutes } from './routes/operator.js';
import { promptRoutes } from './routes/prompts.js';
import { sampleRoutes } from './routes/samples.js';
import { speechRoutes } from './routes/speech.js';
import { nodeStats } from './services/stats.js';
import { ActivityStore } from './stores/activity.js';
import type { Contributor } from './stores/contributors.js';
import { createUploads, type Uploads } from './uploads.js';

export interface NodeOptions extends NodeContextOptions {
  /** Check every JSON answer against its route's response schema (tests). */
  checkResponses?: boolean;
}

export interface Node {
  context: NodeContext;
  app: express.Express;
  uploads: Uploads;
  close(): Promise<void>;
}

/** A node serving HTTP: its context, the start-up work of a serving node, and its routes and pages. */
export function createNode(options: NodeOptions): Node {
  const context = openNodeContext(options);
  const { config, log } = context;
  context.consent.recordNotices();
  // Records that left releases while the node was down (or before a crash let it say so) are
  // announced now; their rebuilds are scheduled once the node serves.
  context.notices.issuePending();

  const uploads = createUploads({
    path: `${API_BASE}/uploads`,
    maxBytes: config.audio.maxBytes,
    contributors: context.contributors,
    speechIntake: context.speechIntake,
    unfinished: context.unfinishedUploads,
    sampleOfUpload: (contributor, uploadId) => context.myData.sampleOfUpload(contributor, uploadId),
    blobs: context.blobs,
    log,
  });
  const http = createHttpApp<Contributor, AccessLevel>({
    log,
    statuses: NODE_STATUSES,
    apiBase: API_BASE,
    trustProxy: config.http.trustProxy,
    rateLimits: {
      windowSeconds: config.limits.rateWindowSeconds,
      perAddress: config.limits.ratePerAddress,
      perToken: config.limits.ratePerToken,
    },
    bodyBytes: config.limits.bodyBytes,
    authorize: authorizer(context.contributors),
    rawHandlers: [{ path: '/uploads', handler: uploads.handler }],
    openApi: { title: `Tributary node: ${config.name}`, publicUrl: config.url },
    checkResponses: options.checkResponses,
  });
  const { app, route } = http;
  contributorRoutes(route, context);
  consentRoutes(route, context.consent);
  promptRoutes(route, context);
  sampleRoutes(route, context);
  speechRoutes(route, context, config.audio.maxBytes);
  datasetRoutes(route, context);
  adminRoutes(route, context);
  operatorRoutes(route, { ...context, activity: new ActivityStore(context.db) });
  metaRoutes(route, () => nodeStats(context.stats, context.languages), config);

  // A DID document, so that did:web resolvers find the node's keys where the spec looks: the
  // current signing key (assertionMethod) and the rotation key (capabilityInvocation), the same
  // two keys as tributary.json. Keys replaced by a rotation are named in tributary.json's
  // keyRotations, whose statements a verifier checks before trusting an old key.
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
      // Oldest first; each signed by the rotation key, so a peer that pinned an earlier signing
      // key can follow the chain to the current one (pipelines/signing/key-rotation.ts).
      keyRotations: context.identity.keyRotations,
      name: config.name,
      languages: config.languages,
      api: base + API_BASE,
      openapi: base + '/openapi.json',
      software: { name: 'tributary', version },
      withdrawals: base + API_BASE + '/withdrawals',
      // Every signed notice: withdrawals, retractions and access changes, in one feed.
      notices: base + API_BASE + '/notices',
      datasets: base + API_BASE + '/datasets',
      indexes: config.indexes,
    });
  });

  // The contributor app and its translations, served by the node itself, compressed: on a slow
  // phone link the app's script and strings are most of the wait (gzip roughly thirds them).
  // Only what is served from here on: the API, the well-known documents, clips and shards are
  // answered above and left as they are (shards are already compressed, and Range requests must
  // see their bytes).
  app.use(compression({ threshold: 1024 }));
  app.use('/locales', express.static(options.localesDir ?? defaultLocalesDir, { maxAge: '1h' }));
  // No max-age: the app's files keep their names across upgrades, so browsers revalidate (ETag).
  app.use(express.static(appDir, { index: 'index.html', maxAge: 0 }));
  app.get(/^\/(?!api\/|\.well-known\/|openapi\.json).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.sendFile(join(appDir, 'index.html'), (error) => error && next());
  });
  http.finish();
  context.publisher.start();
  context.redactions.start();
  void context.authority.clearRetracted().catch((error: unknown) => context.log.warn({ err: error }, 'could not clear retracted datasets’ files'));

  return {
    context,
    app,
    uploads,
    async close() {
      uploads.close();
      await context.close();
    },
  };
}
