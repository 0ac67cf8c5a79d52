import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../core/env.js';
import { createLogger } from '../core/log.js';
import { CONFIG_FILE, loadNodeConfig, type NodeConfigInput } from '../node/config.js';
import { initNode } from '../node/init.js';
import { STARTER_PROMPTS } from '../node/starter-prompts.js';
import { createNode } from '../node/create-node.js';
import { printJson, printTable } from './output.js';

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** What `npm start` initialises on first run when nothing else is said. */
export const DEFAULT_NODE: NodeConfigInput = { name: 'Tributary community node', languages: ['sw', 'yo'] };

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a community node');

  node
    .command('init')
    .description('create a node: its config and data directory')
    .requiredOption('--dir <dir>', 'data directory of the node')
    .requiredOption('--name <name>', 'name the community knows the node by')
    .requiredOption('--languages <tags>', 'BCP-47 tags of the languages collected, comma-separated (sw,yo,pa-Arab)')
    .option('--url <url>', 'public URL of the node, if it has one')
    .option('--jurisdiction <cc>', 'ISO 3166-1 country code whose law governs consent (KE)')
    .option('--license <spdx>', 'license of contributions, an SPDX id', 'CC-BY-4.0')
    .option('--json', 'print JSON')
    .action((options) => {
      const dir = resolve(options.dir);
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
          ['url', config.url ?? '(none)'],
        ],
      );
      console.log(`\nNext: tributary admin token --dir ${options.dir}   then   tributary node start --dir ${options.dir}`);
    });

  node
    .command('start')
    .description('serve the node over HTTP')
    .option('--dir <dir>', 'data directory of the node')
    .option('--port <port>', 'port to listen on', (v) => Number.parseInt(v, 10))
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)')
    .option('--init-if-missing', 'initialise a node with default settings if the directory has none')
    .action((options) => {
      const env = readEnv();
      const dir = resolve(options.dir ?? env.dir ?? './data/node');
      const port = options.port ?? env.port ?? 8080;
      const host = options.host ?? env.host ?? '127.0.0.1';
      const fresh = options.initIfMissing && !existsSync(join(dir, CONFIG_FILE));
      if (fresh) {
        initNode(dir, DEFAULT_NODE);
        console.log(`Initialised a new node in ${dir} with default settings (edit ${CONFIG_FILE} to change them).`);
      }
      const config = loadNodeConfig(dir);
      const node = createNode({ dir, config, logger: createLogger({ service: 'node', level: env.logLevel }) });
      if (fresh) {
        for (const [language, sentences] of Object.entries(STARTER_PROMPTS)) {
          node.context.prompts.import(language, sentences.map((text) => ({ text, source: 'tributary starter set', license: 'CC0-1.0' })));
        }
      }
      void node.uploads.sweepExpired().catch(() => {});
      const server = node.app.listen(port, host, () => {
        const address = server.address();
        const actualPort = typeof address === 'object' && address ? address.port : port;
        console.log(
          `Tributary node "${config.name}" listening on http://${host}:${actualPort} ` +
            `(languages ${config.languages.join(', ')}; data in ${dir})`,
        );
      });
      // Longer than the idle timeouts of common clients and proxies, so they close idle
      // connections first and never reuse one the node is closing.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      server.on('error', (error) => {
        console.error(`Cannot listen on ${host}:${port}: ${error.message}`);
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
}
