import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadNodeConfig } from '../node/config.js';
import { createNodeContext } from '../node/create-node.js';
import type { PromptInput } from '../node/services/prompts.js';
import { printJson, printTable } from './output.js';

function openNode(dirOption: string) {
  const dir = resolve(dirOption);
  return createNodeContext({ dir, config: loadNodeConfig(dir) });
}

/** One sentence a line; a .tsv file may add source and license columns after the sentence. */
export function readPromptFile(file: string): PromptInput[] {
  const isTsv = extname(file).toLowerCase() === '.tsv';
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      if (!isTsv) return { text: line };
      const [text = '', source, license] = line.split('\t');
      return { text, ...(source ? { source } : {}), ...(license ? { license } : {}) };
    });
}

export function registerAdminCommands(program: Command): void {
  program
    .command('admin')
    .description('node administration')
    .command('token')
    .description('print a new admin bearer token (the admin is created on first use)')
    .requiredOption('--dir <dir>', 'data directory of the node')
    .option('--json', 'print JSON')
    .action((options) => {
      const context = openNode(options.dir);
      const { contributor, token } = context.contributors.issueAdminToken();
      context.db.close();
      if (options.json) return printJson({ contributorId: contributor.id, token });
      console.log(token);
    });

  program
    .command('prompts')
    .description('sentences for volunteers to read aloud')
    .command('import <file>')
    .description('import sentences from a .txt (one a line) or .tsv (sentence, source, license) file')
    .requiredOption('--lang <tag>', 'BCP-47 tag of the sentences’ language')
    .requiredOption('--dir <dir>', 'data directory of the node')
    .option('--source <source>', 'where the sentences come from, for each line without its own')
    .option('--license <spdx>', 'license of the sentences, for each line without its own')
    .option('--json', 'print JSON')
    .action((file, options) => {
      const context = openNode(options.dir);
      const items = readPromptFile(file).map((item) => ({
        source: options.source,
        license: options.license,
        ...item,
      }));
      const outcome = context.prompts.import(options.lang, items);
      context.db.close();
      if (options.json) return printJson(outcome);
      printTable(
        ['imported', 'duplicates', 'refused'],
        [[outcome.imported, outcome.duplicates, outcome.refused.length]],
      );
      if (outcome.refused.length > 0) {
        printTable(
          ['line', 'problem', 'sentence'],
          outcome.refused.slice(0, 50).map((r) => [r.line, r.problem, r.text.slice(0, 60)]),
        );
        if (outcome.refused.length > 50) console.log(`… and ${outcome.refused.length - 50} more (use --json)`);
      }
    });
}
