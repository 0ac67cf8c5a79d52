import type express from 'express';
import { createHttpApp } from '../core/http-app.js';
import { version } from '../core/version.js';
import { openIndexContext, type IndexContext, type IndexContextOptions } from './context.js';
import { INDEX_STATUSES } from './errors.js';
import { API_BASE, WELL_KNOWN_PATH } from './paths.js';
import { browseRoutes } from './routes/browse.js';
import { catalogueRoutes } from './routes/catalogue.js';
import { feedRoutes } from './routes/feed.js';
import { healthRoutes } from './routes/health.js';
import { intakeRoutes } from './routes/intake.js';
import { nodeRoutes } from './routes/nodes.js';

export interface IndexOptions extends IndexContextOptions {
  /** Check every JSON answer against its route's response schema (tests). */
  checkResponses?: boolean;
  /** Look for stale nodes every `nodes.staleCheckSeconds` (on unless turned off, as tests do to drive it themselves). */
  staleChecks?: boolean;
  /** Harvest every node every `harvest.everyMinutes` (on unless turned off; 0 minutes turns it off too). */
  harvests?: boolean;
}

export interface Index {
  context: IndexContext;
  app: express.Express;
  close(): Promise<void>;
}

/** An index serving HTTP: its context, its routes and well-known document, and its periodic staleness check. */
export function createIndex(options: IndexOptions): Index {
  const context = openIndexContext(options);
  const { config, log } = context;
  const http = createHttpApp<undefined, never>({
    log,
    statuses: INDEX_STATUSES,
    apiBase: API_BASE,
    trustProxy: config.http.trustProxy,
    rateLimits: {
      windowSeconds: config.limits.rateWindowSeconds,
      perAddress: config.limits.ratePerAddress,
      perToken: config.limits.ratePerToken,
    },
    bodyBytes: config.limits.bodyBytes,
    authorize: () => undefined,
    openApi: { title: `Tributary index: ${config.name}`, publicUrl: config.url },
    checkResponses: options.checkResponses,
  });
  const { app, route } = http;
  nodeRoutes(route, context.registry);
  intakeRoutes(route, context.intake);
  feedRoutes(route, context);
  catalogueRoutes(route, context.catalogue);
  healthRoutes(route, context.store);

  app.get(WELL_KNOWN_PATH, (_req, res) => {
    res.json({
      type: 'tributary-index',
      name: config.name,
      url: config.url,
      api: config.url + API_BASE,
      openapi: config.url + '/openapi.json',
      // The log: trainers pin `logKey` once and open every checkpoint with it.
      origin: context.identity.origin,
      logKey: context.identity.verifierKey,
      feed: config.url + API_BASE + '/feed',
      checkpoint: config.url + API_BASE + '/log/checkpoint',
      software: { name: 'tributary', version },
    });
  });
  browseRoutes(app, { catalogue: context.catalogue, indexName: config.name, rateLimit: http.rateLimit });
  http.finish();

  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<unknown> = Promise.resolve();
  if (options.staleChecks !== false) {
    timer = setInterval(() => {
      checking = context.registry
        .markStale()
        .then((marked) => marked.length > 0 && log.info({ nodes: marked }, 'nodes marked stale'))
        .catch((error: unknown) => log.warn({ err: error }, 'the staleness check failed'));
    }, config.nodes.staleCheckSeconds * 1000);
    timer.unref();
  }

  // Harvests one at a time: a slow round is not overlapped by the next. Closing stops a round
  // under way at once (what it took so far stays, cursors included).
  let harvestTimer: NodeJS.Timeout | undefined;
  let harvesting: Promise<unknown> | null = null;
  const stopHarvest = new AbortController();
  if (options.harvests !== false && config.harvest.everyMinutes > 0) {
    harvestTimer = setInterval(() => {
      if (harvesting) return;
      harvesting = context.harvester
        .harvest(undefined, stopHarvest.signal)
        .then((reports) => {
          for (const report of reports) {
            const { node, status, fetched, new: taken, unchanged, refused, error } = report;
            const line = { node, status, fetched, new: taken, unchanged, refused: refused.map((r) => r.code), refusedTotal: report.refusedTotal, error: error?.message };
            if (status === 'unreachable' || status === 'failed' || refused.length > 0) log.warn(line, 'harvest');
            else log.info(line, 'harvest');
          }
        })
        .catch((error: unknown) => log.warn({ err: error }, 'the harvest failed'))
        .finally(() => (harvesting = null));
    }, config.harvest.everyMinutes * 60_000);
    harvestTimer.unref();
  }

  return {
    context,
    app,
    async close() {
      if (timer) clearInterval(timer);
      if (harvestTimer) clearInterval(harvestTimer);
      stopHarvest.abort();
      await checking;
      await harvesting;
      await context.close();
    },
  };
}
