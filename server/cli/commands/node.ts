import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../../core/env.js';
import { createLogger } from '../../core/log.js';
import { backupNode, restoreNode } from '../../node/backup.js';
import { recoverWithdrawals } from '../../node/services/withdrawal-recovery.js';
import { CONFIG_FILE, loadNodeConfig, type NodeConfigInput } from '../../node/config.js';
import { createNode } from '../../node/create-node.js';
import { initNode, newNodeIdentity, rotateNodeKey } from '../../node/init.js';
import { KEYS_DIR, loadNodeSecrets } from '../../node/secrets.js';
import { STARTER_PROMPTS } from '../../node/starter-prompts.js';
import { archiveRows, fileBar, printJson, printTable } from '../output.js';
import { list, nodeDir, withNode } from '../with-node.js';

/** What `npm start` initialises on first run when nothing else is said; its URL is where it listens. */
export function defaultNode(port: number): NodeConfigInput {
  return { name: 'Tributary community node', languages: ['sw', 'yo'], url: `http://localhost:${port}` };
}

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a community node');

  node
    .command('init')
    .description('create a node: its config, its keys and its data directory')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .requiredOption('--name <name>', 'name the community knows the node by')
    .requiredOption('--languages <tags>', 'BCP-47 tags of the languages collected, comma-separated (sw,yo,pa-Arab)')
    .option('--url <url>', 'public URL of the node (needed before its first release)')
    .option('--jurisdiction <cc>', 'ISO 3166-1 country code whose law governs consent (KE)')
    .option('--license <spdx>', 'license of contributions, an SPDX id', 'CC-BY-4.0')
    .option('--json', 'print JSON')
    .action((options) => {
      const dir = nodeDir(options.dir);
      const config = initNode(dir, {
        name: options.name,
        languages: list(options.languages),
        url: options.url,
        jurisdiction: options.jurisdiction,
        license: options.license,
      });
      if (options.json) return printJson({ dir, config });
      printTable(
        ['setting', 'value'],
        [
          ['directory', dir],
          ['name', config.name],
          ['languages', config.languages.join(', ')],
          ['jurisdiction', config.jurisdiction],
          ['license', config.license],
          ['url', config.url ?? '(none: set one before the first release)'],
        ],
      );
      console.log(`\nBack up ${join(dir, 'keys')}/: the keys are the node's identity.`);
      console.log(`Next: tributary admin token --dir ${dir}   then   tributary node start --dir ${dir}`);
    });

  node
    .command('start')
    .description('serve the node over HTTP')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--port <port>', 'port to listen on (default: $TRIBUTARY_PORT, else 8080)', (v) => Number.parseInt(v, 10))
    .option('--host <host>', 'address to listen on, 0.0.0.0 for every interface (default: $TRIBUTARY_HOST, else 127.0.0.1)')
    .option('--init-if-missing', 'initialise a node with default settings if the directory has none')
    .action(async (options) => {
      const env = readEnv();
      const dir = nodeDir(options.dir);
      const port: number = options.port ?? env.port ?? 8080;
      const host: string = options.host ?? env.host ?? '127.0.0.1';
      const fresh = options.initIfMissing && !existsSync(join(dir, CONFIG_FILE));
      if (fresh) {
        initNode(dir, defaultNode(port));
        console.log(`Initialised a new node in ${dir} with default settings (edit ${CONFIG_FILE} to change them).`);
      }
      const config = loadNodeConfig(dir);
      const secrets = loadNodeSecrets(dir);
      const logger = createLogger({ service: 'node', level: env.logLevel });
      const node = createNode({ dir, config, secrets, logger });
      if (fresh) {
        for (const [language, sentences] of Object.entries(STARTER_PROMPTS)) {
          node.context.prompts.import(language, sentences.map((text) => ({ text, source: 'tributary starter set', license: 'CC0-1.0' })));
        }
      }
      void node.uploads.sweepExpired().catch((error: unknown) => logger.warn({ err: error }, 'sweeping expired uploads failed'));
      await new Promise<void>((resolve) => {
        const server = node.app.listen(port, host, () => {
          const address = server.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          console.log(
            `Tributary node "${config.name}" listening on http://${host}:${actualPort} ` +
              `(languages ${config.languages.join(', ')}; data in ${dir}` +
              `${config.storage.kind === 's3' ? `, audio and releases in ${node.context.storage.description}` : ''})`,
          );
          resolve();
        });
        // Longer than the idle timeouts of common clients and proxies, so they close idle
        // connections first and never reuse one the node is closing.
        server.keepAliveTimeout = 65_000;
        server.headersTimeout = 66_000;
        server.on('error', (error) => {
          console.error(`tributary: cannot listen on ${host}:${port}: ${error.message}`);
          process.exit(1);
        });
        const stop = () => {
          server.close(() => {
            void node.close().then(() => process.exit(0));
          });
          server.closeAllConnections();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  node
    .command('backup')
    .description('write the node (database, settings, keys, clips, releases) to one file; the node may keep running')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .requiredOption('--out <file>', 'the backup file to write (a tar archive)')
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; out: string; json?: boolean }) => {
      const dir = nodeDir(options.dir);
      const bar = fileBar(!options.json && process.stderr.isTTY === true);
      const summary = await backupNode(dir, resolve(options.out), bar.update).finally(bar.stop);
      if (options.json) return printJson(summary);
      printTable(
        ['backup', 'value'],
        [
          ['file', summary.file],
          ...archiveRows(summary),
          ['samples', summary.samples],
        ],
      );
      console.log('\nIt holds the node\'s keys: keep it as safe as keys/ itself.');
    });

  node
    .command('restore')
    .description('make a node from a backup, in a folder that holds no node')
    .requiredOption('--from <file>', 'the backup file (from `node backup`)')
    .option('--dir <dir>', 'data directory of the restored node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--index <url...>', 'also read withdrawal notices from these indexes (besides the ones in node.json)')
    .option('--no-recover', 'do not ask any index for withdrawals made after the backup')
    .option('--json', 'print JSON')
    .action(async (options: { from: string; dir?: string; index?: string[]; recover: boolean; json?: boolean }) => {
      const dir = nodeDir(options.dir);
      const bar = fileBar(!options.json && process.stderr.isTTY === true);
      const summary = await restoreNode(resolve(options.from), dir, bar.update).finally(bar.stop);
      // Withdrawals made after the backup, from the notices the node left at its indexes; before
      // the node ever starts, so nothing is served or released again in between.
      const recovery = options.recover
        ? await withNode(dir, (context) => {
            const indexes = [...new Set([...context.config.indexes, ...(options.index ?? [])])];
            return recoverWithdrawals(context, indexes, (url) => {
              if (!options.json) console.error(`reading withdrawal notices at ${url}…`);
            });
          })
        : null;
      if (options.json) return printJson({ ...summary, withdrawals: recovery });
      printTable(
        ['restored', 'value'],
        [
          ['directory', summary.dir],
          ...archiveRows(summary, 'backup taken at'),
          ['clips recorded after the backup, left out', summary.leftOut],
          ...(recovery
            ? [
                ['withdrawals after the backup, applied again (notices)', recovery.notices],
                ['  consent records withdrawn / samples withdrawn', `${recovery.consentRecords} / ${recovery.samples}`],
              ]
            : []),
        ],
      );
      if (recovery && recovery.indexes.length === 0) console.log('\nNo index to ask for withdrawals made after the backup (node.json lists none; --index names one).');
      for (const index of recovery?.indexes ?? []) {
        if (index.error) console.log(`\n${index.index} could not be read (${index.error}): delete ${dir} and restore again once it can.`);
      }
      if (recovery && recovery.unverified > 0) console.log(`\n${recovery.unverified} notices signed by an earlier key were not applied.`);
      console.log(`\nNext: tributary node start --dir ${dir}`);
    });

  node
    .command('rotate-key')
    .description('replace the signing key, announced in a statement signed by the rotation key')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--json', 'print JSON')
    .action((options) => {
      const dir = nodeDir(options.dir);
      const report = rotateNodeKey(dir);
      if (options.json) return printJson({ dir, ...report, restartRequired: true });
      if (report.kind === 'finished') console.log(`Finished key rotation ${report.sequence}, which had been interrupted.\n`);
      printTable(
        ['key rotation', 'value'],
        [
          ['node', report.did],
          ['sequence', report.sequence],
          ['previous signing key', report.previousKeyId],
          ['new signing key', report.newKeyId],
          ['statement', join(dir, KEYS_DIR, 'rotations.json')],
          ['previous key kept in', report.retiredKey],
        ],
      );
      console.log('\nRestart the node to sign with the new key; it then publishes the statement at /.well-known/tributary.json.');
      console.log(`Back up ${join(dir, KEYS_DIR)}/ again now: older backups do not have the new signing key.`);
    });

  node
    .command('new-identity')
    .description('new keys for a node whose keys are lost or unreadable (what it signed before stops verifying)')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--yes', 'confirm that keys/ cannot be restored from a backup')
    .option('--json', 'print JSON')
    .action((options) => {
      const dir = nodeDir(options.dir);
      const report = newNodeIdentity(dir, { confirmed: options.yes === true });
      // On stderr, so that it is seen with --json too.
      console.error(
        `WARNING: the node in ${dir} now has new keys. Manifests and withdrawal notices it signed before no longer ` +
          `verify against them, and indexes will see a new node (one that kept its did:web is refused by indexes ` +
          `that pinned the old keys until their operators accept the new ones).`,
      );
      if (options.json) return printJson({ dir, ...report });
      printTable(
        ['new identity', 'value'],
        [
          ['node', report.did],
          ['signing key', report.keyId],
          ['old keys were', report.problem],
          ['old key files moved to', report.setAside ?? '(none)'],
        ],
      );
      console.log(`\nBack up ${join(dir, KEYS_DIR)}/ now, and keep a copy of rotation.key offline, apart from your other backups.`);
    });
}
