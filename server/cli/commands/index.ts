import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../../core/env.js';
import { ConfigError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { backupIndex, restoreIndex } from '../../index/backup.js';
import { loadIndexConfig, type IndexConfig } from '../../index/config.js';
import { DATABASE_FILE, openIndexContext, type IndexContext } from '../../index/context.js';
import { createIndex } from '../../index/create-index.js';
import { initIndex } from '../../index/init.js';
import { KEYS_DIR, loadIndexSecrets } from '../../index/secrets.js';
import { redactDatabaseUrl } from '../../index/store/postgres-index-store.js';
import { archiveRows, fileBar, printJson, printTable } from '../output.js';

/** Where an index lives when neither --dir nor TRIBUTARY_DIR says. */
export const DEFAULT_INDEX_DIR = './data/index';

/** The index directory a command works on: `--dir`, else `TRIBUTARY_DIR`, else ./data/index. */
export function indexDir(option: string | undefined): string {
  return resolve(option ?? readEnv().dir ?? DEFAULT_INDEX_DIR);
}

/** index.json, with `--database` and `--read-database` (postgres:// URLs) in place of its settings when given. */
function indexConfig(dir: string, options: { database?: string; readDatabase?: string; maxReplicaLag?: number }): IndexConfig {
  const config = loadIndexConfig(dir);
  const database = options.database ?? config.database;
  const readDatabase = options.readDatabase ?? config.readDatabase;
  for (const [flag, url] of [['--database', options.database], ['--read-database', options.readDatabase]] as const) {
    if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
      console.error(`tributary: ${flag} takes a postgres:// URL (without --database, the index uses index.sqlite in its directory)`);
      process.exit(2);
    }
  }
  if (readDatabase !== undefined && database === undefined) {
    console.error('tributary: --read-database names a replica of the index database: give --database too');
    process.exit(2);
  }
  if (options.maxReplicaLag !== undefined && !(options.maxReplicaLag > 0)) {
    console.error('tributary: --max-replica-lag takes a number of seconds above 0');
    process.exit(2);
  }
  return {
    ...config,
    ...(database ? { database } : {}),
    ...(readDatabase ? { readDatabase } : {}),
    ...(options.maxReplicaLag !== undefined ? { readDatabaseMaxLagSeconds: options.maxReplicaLag } : {}),
  };
}

/** Where the index keeps its state, for messages: never the database password. */
function describeDatabase(dir: string, config: IndexConfig): string {
  if (!config.database) return dir;
  const replica = config.readDatabase ? `, reads from the replica ${redactDatabaseUrl(config.readDatabase)}` : '';
  return `${redactDatabaseUrl(config.database)}${replica}`;
}

/** Opens an index (config → secrets → context), runs `fn`, and closes it whatever happens. */
async function withIndex<T>(dir: string, database: string | undefined, fn: (context: IndexContext) => T | Promise<T>): Promise<T> {
  const config = indexConfig(dir, { database });
  const secrets = loadIndexSecrets(dir);
  const logger = createLogger({ service: 'index', level: 'warn', destination: process.stderr });
  const context = openIndexContext({ dir, config, secrets, logger });
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

export function registerIndexCommands(program: Command): void {
  const index = program.command('index').description('run a global index of nodes, manifests and notices');
  const dirOption = '--dir <dir>';
  const dirHelp = 'data directory of the index (default: $TRIBUTARY_DIR, else ./data/index)';
  const databaseOption = '--database <url>';
  const databaseHelp = 'PostgreSQL database, postgres://user@host:port/name (password from PGPASSWORD); default: index.json, else index.sqlite in the directory';

  index
    .command('init')
    .description('create an index: its config and the key that signs its log')
    .option(dirOption, dirHelp)
    .requiredOption('--name <name>', 'what the index is called')
    .requiredOption('--url <url>', 'public URL of the index (its log origin is made from it)')
    .option('--json', 'print JSON')
    .action((options) => {
      const dir = indexDir(options.dir);
      const config = initIndex(dir, { name: options.name, url: options.url });
      if (options.json) return printJson({ dir, config });
      printTable(
        ['setting', 'value'],
        [
          ['directory', dir],
          ['name', config.name],
          ['url', config.url],
          ['log origin', config.origin],
        ],
      );
      console.log(`\nBack up ${join(dir, KEYS_DIR)}/: the log key is what trainers pin to check the index's history.`);
      console.log(`Next: tributary index start --dir ${dir}`);
    });

  index
    .command('start')
    .description('serve the index over HTTP')
    .option(dirOption, dirHelp)
    .option(databaseOption, databaseHelp)
    .option('--read-database <url>', 'a read replica of the PostgreSQL database (hot standby): the feed, proofs and search read from it')
    .option('--max-replica-lag <seconds>', 'read from the primary while the replica is more than this far behind (default 30)', Number)
    .option('--port <port>', 'port to listen on (default: $TRIBUTARY_PORT, else 8090)', (v) => Number.parseInt(v, 10))
    .option('--host <host>', 'address to listen on, 0.0.0.0 for every interface (default: $TRIBUTARY_HOST, else 127.0.0.1)')
    .action(async (options) => {
      const env = readEnv();
      const dir = indexDir(options.dir);
      const port: number = options.port ?? env.port ?? 8090;
      const host: string = options.host ?? env.host ?? '127.0.0.1';
      const config = indexConfig(dir, { database: options.database, readDatabase: options.readDatabase, maxReplicaLag: options.maxReplicaLag });
      const secrets = loadIndexSecrets(dir);
      const logger = createLogger({ service: 'index', level: env.logLevel });
      const served = createIndex({ dir, config, secrets, logger });
      // Reach the database (and bring its schema up to date) before listening: a wrong URL stops here.
      try {
        await served.context.store.logSize();
        await served.context.store.replica.logSize();
      } catch (error) {
        console.error(`tributary: cannot open the index database ${describeDatabase(dir, config)}: ${(error as Error).message}`);
        await served.close().catch(() => undefined);
        process.exit(1);
      }
      await new Promise<void>((resolveListening) => {
        const server = served.app.listen(port, host, () => {
          const address = server.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          console.log(`Tributary index "${config.name}" listening on http://${host}:${actualPort} (log ${config.origin}; data in ${describeDatabase(dir, config)})`);
          resolveListening();
        });
        server.keepAliveTimeout = 65_000;
        server.headersTimeout = 66_000;
        server.on('error', (error) => {
          console.error(`tributary: cannot listen on ${host}:${port}: ${error.message}`);
          process.exit(1);
        });
        const stop = () => {
          server.close(() => {
            void served.close().then(() => process.exit(0));
          });
          server.closeAllConnections();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  index
    .command('suspend')
    .description('refuse everything a node sends from now on (a node.suspended event in the feed)')
    .argument('<did>', 'the node’s DID')
    .requiredOption('--reason <reason>', 'why, as the feed will show it')
    .option(dirOption, dirHelp)
    .option(databaseOption, databaseHelp)
    .option('--json', 'print JSON')
    .action(async (did: string, options) => {
      const dir = indexDir(options.dir);
      const outcome = await withIndex(dir, options.database, (context) => context.registry.suspend(did, options.reason));
      if (options.json) return printJson(outcome);
      if (outcome.status === 'unchanged') console.log(`${did} was already suspended.`);
      else console.log(`Suspended ${did} (feed event ${outcome.logIndices[0]}).`);
    });

  index
    .command('harvest')
    .description('pull what registered nodes publish (current manifests, notices since the last harvest) through the same intake as a push')
    .option('--node <did>', 'only this node')
    .option(dirOption, dirHelp)
    .option(databaseOption, databaseHelp)
    .option('--json', 'print JSON')
    .action(async (options) => {
      const dir = indexDir(options.dir);
      const reports = await withIndex(dir, options.database, (context) => context.harvester.harvest(options.node));
      if (options.json) printJson({ nodes: reports });
      else if (reports.length === 0) console.log('No registered node to harvest.');
      else {
        printTable(
          ['node', 'status', 'fetched', 'new', 'unchanged', 'refused'],
          reports.map((r) => [
            r.node,
            r.status,
            String(r.fetched),
            String(r.new),
            String(r.unchanged),
            r.refused.length === 0 ? '0' : `${r.refused.length} (${[...new Set(r.refused.map((x) => x.code))].join(', ')})`,
          ]),
        );
        for (const r of reports) {
          if (r.error) console.log(`\n${r.node}: ${r.error.message}`);
          for (const refused of r.refused) console.log(`${r.node}: ${refused.what}: ${refused.code}: ${refused.message}`);
        }
      }
      // Reported, not fatal: a node that could not be reached makes the exit status 1 for scripts.
      if (reports.some((r) => r.status === 'unreachable' || r.status === 'unknown' || r.status === 'failed')) process.exitCode = 1;
    });

  index
    .command('backup')
    .description('write an index on SQLite (database, settings, log key) to one file; the index may keep running')
    .option(dirOption, dirHelp)
    .requiredOption('--out <file>', 'the backup file to write (a tar archive)')
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; out: string; json?: boolean }) => {
      const dir = indexDir(options.dir);
      // An index on PostgreSQL has no index.sqlite: its database is backed up by PostgreSQL's tools.
      if (loadIndexConfig(dir).database || !existsSync(join(dir, DATABASE_FILE))) {
        throw new ConfigError(
          `the index in ${dir} keeps its data in PostgreSQL (no ${DATABASE_FILE}): back the database up with PostgreSQL's tools (pg_dump, or continuous archiving), and ${join(dir, KEYS_DIR)}/ and index.json with it (docs/deployment.md)`,
        );
      }
      const bar = fileBar(!options.json && process.stderr.isTTY === true);
      const summary = await backupIndex(dir, resolve(options.out), bar.update).finally(bar.stop);
      if (options.json) return printJson(summary);
      printTable(
        ['backup', 'value'],
        [
          ['file', summary.file],
          ...archiveRows(summary),
          ['log entries', summary.logSize],
          ['manifests', summary.manifests],
        ],
      );
      console.log("\nIt holds the index's log key: keep it as safe as keys/ itself.");
    });

  index
    .command('restore')
    .description('make an index from a backup (from `index backup`), in a folder that holds no index')
    .requiredOption('--from <file>', 'the backup file')
    .option(dirOption, dirHelp)
    .option('--json', 'print JSON')
    .action(async (options: { from: string; dir?: string; json?: boolean }) => {
      const dir = indexDir(options.dir);
      const bar = fileBar(!options.json && process.stderr.isTTY === true);
      const summary = await restoreIndex(resolve(options.from), dir, bar.update).finally(bar.stop);
      if (options.json) return printJson(summary);
      printTable(
        ['restored', 'value'],
        [
          ['directory', summary.dir],
          ...archiveRows(summary, 'backup taken at'),
        ],
      );
      console.log(`\nNext: tributary index start --dir ${dir}`);
    });
}
