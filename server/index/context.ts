import { join } from 'node:path';
import { createLogger, type Logger } from '../core/log.js';
import type { IndexConfig } from './config.js';
import { indexIdentity, type IndexIdentity } from './identity.js';
import type { IndexSecrets } from './secrets.js';
import { Catalogue } from './services/catalogue.js';
import { FeedLog } from './services/feed-log.js';
import { Harvester } from './services/harvest.js';
import { Intake } from './services/intake.js';
import { NodeRegistry } from './services/registry.js';
import type { IndexStore } from './store/index-store.js';
import { PostgresIndexStore } from './store/postgres-index-store.js';
import { SqliteIndexStore } from './store/sqlite-index-store.js';

export const DATABASE_FILE = 'index.sqlite';

/** Everything an index's routes and commands need, built once by `openIndexContext`. */
export interface IndexContext {
  dir: string;
  config: IndexConfig;
  log: Logger;
  store: IndexStore;
  identity: IndexIdentity;
  feed: FeedLog;
  registry: NodeRegistry;
  intake: Intake;
  catalogue: Catalogue;
  harvester: Harvester;
  close(): Promise<void>;
}

export interface IndexContextOptions {
  dir: string;
  config: IndexConfig;
  secrets: IndexSecrets;
  /** Where log lines go; JSON lines on stdout at info level by default. */
  logger?: Logger;
  /** The clock services judge expiry and staleness by (tests move it). */
  now?: () => Date;
}

/**
 * Builds the services of an index over its directory (config → secrets → context). Opening has
 * no effect beyond bringing the database schema up to date; the periodic staleness check is
 * `createIndex`'s, which serves.
 */
export function openIndexContext(options: IndexContextOptions): IndexContext {
  const { dir, config } = options;
  const log = options.logger ?? createLogger({ service: 'index' });
  const store = openIndexStore(dir, config);
  const identity = indexIdentity(config, options.secrets);
  const feed = new FeedLog(store, identity);
  const registry = new NodeRegistry({ store, feed, settings: config.nodes, now: options.now });
  const intake = new Intake({ store, feed, registry, now: options.now });
  const catalogue = new Catalogue({ store, now: options.now });
  const harvester = new Harvester({
    store,
    intake,
    registry,
    settings: config.harvest,
    envelopeBytes: config.limits.bodyBytes,
    // Every fetch of a harvest is bounded by harvest.timeoutMs, the well-known document's too.
    wellKnown: { timeoutMs: Math.min(config.nodes.wellKnownTimeoutMs, config.harvest.timeoutMs), maxBytes: config.nodes.wellKnownMaxBytes },
    now: options.now,
  });
  return {
    dir,
    config,
    log,
    store,
    identity,
    feed,
    registry,
    intake,
    catalogue,
    harvester,
    close: () => store.close(),
  };
}

/** The store `config.database` names: PostgreSQL for a postgres:// URL, else SQLite in the index directory. */
export function openIndexStore(dir: string, config: Pick<IndexConfig, 'database' | 'readDatabase' | 'readDatabaseMaxLagSeconds'>): IndexStore {
  if (config.database) {
    return new PostgresIndexStore(
      config.database,
      config.readDatabase ? { replica: config.readDatabase, maxReplicaLagSeconds: config.readDatabaseMaxLagSeconds } : {},
    );
  }
  return new SqliteIndexStore(join(dir, DATABASE_FILE));
}
