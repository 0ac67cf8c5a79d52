import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { isTsvName, parsePromptText, type PromptFile } from '../../node/services/prompt-file.js';
import { checkLicense, type ImportOutcome } from '../../node/services/prompts.js';
import { printJson, printTable } from '../output.js';
import { nodeDir, withNode } from '../with-node.js';

const SHOWN_LINES = 50;

function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new ConfigError(`cannot read ${file}: ${reason}`);
  }
  try {
    // Strict: a file in another encoding would otherwise import as replacement characters.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ConfigError(`${file} is not UTF-8 text; save it as UTF-8 and import it again`);
  }
}

/** Reads a .txt (one sentence a line) or .tsv file as the node's prompt-file reader does. */
export function readPromptFile(file: string): PromptFile {
  return parsePromptText(readText(file), isTsvName(file));
}

/** `--license` is checked before the node is opened: a wrong one would refuse every line. */
function parseLicenseOption(value: string): string {
  const checked = checkLicense(value);
  if (!checked.ok) throw new InvalidArgumentError(checked.detail);
  return checked.license;
}

type Listed = { line: number; outcome: string; problem: string; text: string };

/** Refused and flagged lines in file order, as the table shows them. */
function problemLines(outcome: ImportOutcome): Listed[] {
  return [
    ...outcome.refused.map((r) => ({ line: r.line, outcome: 'refused', problem: `${r.problem}: ${r.detail}`, text: r.text })),
    ...outcome.flagged.map((f) => ({
      line: f.line,
      outcome: f.imported ? 'flagged, imported' : 'flagged, skipped',
      problem: `${f.mismatch === 'script' ? 'script' : 'language'} looks like ${f.detected} (score ${f.score.toFixed(2)})`,
      text: f.text,
    })),
  ].sort((a, b) => a.line - b.line);
}

const clip = (text: string, length: number): string => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

export function registerPromptCommands(program: Command): void {
  program
    .command('prompts')
    .description('sentences for volunteers to read aloud')
    .command('import <file>')
    .description(
      'import sentences from a .txt (one a line) or .tsv (sentence, source, license; a header line naming ' +
        'the columns is recognised) file. Each is checked against the language’s rules and its licence; ' +
        'sentences that language ID places in another language are flagged and imported only with --force',
    )
    .requiredOption('--lang <tag>', 'BCP-47 tag of the sentences’ language')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--source <source>', 'where the sentences come from, for each line without its own')
    .option('--license <spdx>', 'SPDX license id (or LicenseRef-…) of the sentences, for each line without its own', parseLicenseOption)
    .option('--force', 'import flagged sentences too, once you have checked them')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { lang: string; dir?: string; source?: string; license?: string; force?: boolean; json?: boolean }) => {
      const { items, header } = readPromptFile(file);
      const defaults = {
        ...(options.source ? { source: options.source } : {}),
        ...(options.license ? { license: options.license } : {}),
      };
      const outcome = await withNode(nodeDir(options.dir), (context) =>
        context.prompts.import(options.lang, items.map((item) => ({ ...defaults, ...item })), { force: options.force ?? false }),
      );
      if (options.json) return printJson({ ...outcome, headerSkipped: header });

      const skipped = outcome.flagged.filter((f) => !f.imported).length;
      printTable(
        ['imported', 'duplicates', 'refused', 'flagged'],
        [[outcome.imported, outcome.duplicates, outcome.refused.length, outcome.flagged.length]],
      );
      const listed = problemLines(outcome);
      if (listed.length > 0) {
        printTable(
          ['line', 'outcome', 'why', 'sentence'],
          listed.slice(0, SHOWN_LINES).map((l) => [l.line, l.outcome, clip(l.problem, 70), clip(l.text, 60)]),
        );
        if (listed.length > SHOWN_LINES) console.log(`… and ${listed.length - SHOWN_LINES} more (use --json)`);
      }
      if (header) console.error('The first line names the columns; it was not imported.');
      if (skipped > 0) {
        console.error(
          `${skipped} flagged sentence${skipped === 1 ? ' was' : 's were'} not imported: language ID places ` +
            `${skipped === 1 ? 'it' : 'them'} outside ${options.lang}. Check, then run again with --force to import ${skipped === 1 ? 'it' : 'them'} anyway.`,
        );
      }
    });
}
