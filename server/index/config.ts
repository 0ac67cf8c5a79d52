import { join } from 'node:path';
import { z } from 'zod';
import { isValidKeyName } from '../../pipelines/transparency/signed-note.js';
import { readConfigFile, trustProxySchema, writeConfigFile } from '../core/config.js';

export const CONFIG_FILE = 'index.json';

const DEFAULT_LIMITS = { bodyBytes: 1024 * 1024, rateWindowSeconds: 60, ratePerAddress: 1200, ratePerToken: 600 };
const DEFAULT_HARVEST = {
  everyMinutes: 60,
  timeoutMs: 10_000,
  maxBytes: 8 * 1024 * 1024,
  noticePage: 100,
  maxDatasets: 1000,
  maxNotices: 1000,
  maxRefusals: 50,
  nodeDeadlineMs: 300_000,
  concurrency: 4,
  heldBytes: 16 * 1024 * 1024,
};
const DEFAULT_NODES = { staleAfterMinutes: 30, staleCheckSeconds: 60, confirmWellKnown: true, wellKnownTimeoutMs: 5000, wellKnownMaxBytes: 1024 * 1024 };

export const indexConfigSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    // Without a trailing slash, so every link built on it has exactly one.
    url: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, '')),
    /**
     * The log's identity: the first line of every checkpoint and the name of the key that signs
     * them. Fixed at init (from the URL) and kept when the index moves, since trainers pin it.
     */
    origin: z.string().max(200).refine(isValidKeyName, 'one word: no spaces and no "+"'),
    limits: z
      .object({
        /**
         * Largest body accepted: a manifest envelope is about 1.4 × the manifest (base64), and a
         * withdrawal notice about 40 bytes per record; 1 MiB takes both with room to spare.
         */
        bodyBytes: z.number().int().min(16 * 1024).max(16 * 1024 * 1024).default(DEFAULT_LIMITS.bodyBytes),
        rateWindowSeconds: z.number().int().min(1).max(3600).default(DEFAULT_LIMITS.rateWindowSeconds),
        ratePerAddress: z.number().int().min(1).default(DEFAULT_LIMITS.ratePerAddress),
        ratePerToken: z.number().int().min(1).default(DEFAULT_LIMITS.ratePerToken),
      })
      .strict()
      .default(DEFAULT_LIMITS),
    nodes: z
      .object({
        /** A node not heard from for this long gets a `node.stale` event. */
        staleAfterMinutes: z.number().min(1).max(60 * 24 * 30).default(DEFAULT_NODES.staleAfterMinutes),
        /** How often the running index looks for stale nodes. */
        staleCheckSeconds: z.number().int().min(1).max(3600).default(DEFAULT_NODES.staleCheckSeconds),
        /** Fetch `<url>/.well-known/tributary.json` at registration and require the same DID and keys. */
        confirmWellKnown: z.boolean().default(DEFAULT_NODES.confirmWellKnown),
        wellKnownTimeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_NODES.wellKnownTimeoutMs),
        wellKnownMaxBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(DEFAULT_NODES.wellKnownMaxBytes),
      })
      .strict()
      .default(DEFAULT_NODES),
    /** Pulling what registered nodes publish (`tributary index harvest`, and on a schedule). */
    harvest: z
      .object({
        /** How often the running index harvests every node; 0 turns the schedule off. */
        everyMinutes: z.number().min(0).max(60 * 24 * 7).default(DEFAULT_HARVEST.everyMinutes),
        /** Each fetch from a node: time allowed and bytes read at most. */
        timeoutMs: z.number().int().min(100).max(120_000).default(DEFAULT_HARVEST.timeoutMs),
        maxBytes: z.number().int().min(16 * 1024).max(64 * 1024 * 1024).default(DEFAULT_HARVEST.maxBytes),
        /** Notices asked for per page of a node's notice feed. */
        noticePage: z.number().int().min(1).max(1000).default(DEFAULT_HARVEST.noticePage),
        /** Datasets read from one node per harvest at most. */
        maxDatasets: z.number().int().min(1).max(100_000).default(DEFAULT_HARVEST.maxDatasets),
        /** Notices read from one node per harvest at most; the next harvest goes on from the cursor. */
        maxNotices: z.number().int().min(1).max(1_000_000).default(DEFAULT_HARVEST.maxNotices),
        /** Refusals listed per node in a harvest's report; the rest are only counted. */
        maxRefusals: z.number().int().min(0).max(10_000).default(DEFAULT_HARVEST.maxRefusals),
        /** Time one node's harvest may take in all; what it took by then is kept. */
        nodeDeadlineMs: z.number().int().min(1000).max(24 * 3_600_000).default(DEFAULT_HARVEST.nodeDeadlineMs),
        /** Nodes harvested at once, so that one slow node does not hold up the others. */
        concurrency: z.number().int().min(1).max(64).default(DEFAULT_HARVEST.concurrency),
        /**
         * Bytes of manifest envelopes one node's harvest keeps between reading and taking them;
         * beyond it a manifest is read again when its turn comes.
         */
        heldBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(DEFAULT_HARVEST.heldBytes),
      })
      .strict()
      .default(DEFAULT_HARVEST),
    /**
     * The index's database: unset, SQLite in the index directory (index.sqlite); a
     * `postgres://` URL, PostgreSQL, which several index processes may share. Keep the password
     * out of this file: libpq's PGPASSWORD (or ~/.pgpass) supplies it; `index start --database`
     * overrides this setting.
     */
    database: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .optional(),
    /**
     * A read replica of `database` (a PostgreSQL hot standby), for the reads that may trail the
     * latest commit by the replica's lag: the feed, checkpoints, proofs, envelopes and search.
     * A proof or envelope the replica does not hold yet is read from `database`. Writes, and the
     * reads that decide them, always go to `database`. `index start --read-database` overrides it.
     */
    readDatabase: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .optional(),
    /**
     * A replica whose oldest missing log entry is older than this many seconds, or that cannot be
     * reached, is passed over for `database` until it has caught up (checked every second; shown
     * at GET /api/v1/health).
     */
    readDatabaseMaxLagSeconds: z.number().positive().default(30),
    http: z
      .object({ trustProxy: trustProxySchema.default(false) })
      .strict()
      .default({ trustProxy: false }),
  })
  .strict()
  .refine((config) => config.readDatabase === undefined || config.database !== undefined, {
    message: 'readDatabase is a replica of database: set database too',
    path: ['readDatabase'],
  });

export type IndexConfig = z.output<typeof indexConfigSchema>;
export type IndexConfigInput = z.input<typeof indexConfigSchema>;

/** The origin a new index gets: its URL without the scheme, then `/feed` (`index.example.org/feed`). */
export function defaultOrigin(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname.replace(/\/+$/, '')}/feed`;
}

export function loadIndexConfig(dir: string): IndexConfig {
  return readConfigFile(indexConfigSchema, join(dir, CONFIG_FILE), `run \`tributary index init --dir ${dir} …\` first`);
}

/** Writes a new index's config; refuses to overwrite one. */
export function writeIndexConfig(dir: string, input: Omit<IndexConfigInput, 'origin'> & { origin?: string }): IndexConfig {
  let origin = input.origin;
  if (origin === undefined) {
    try {
      origin = defaultOrigin(input.url);
    } catch {
      origin = '';
    }
  }
  return writeConfigFile(indexConfigSchema, join(dir, CONFIG_FILE), { ...input, origin }, 'this directory holds an index already');
}
