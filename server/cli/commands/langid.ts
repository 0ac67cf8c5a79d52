import type { Command } from 'commander';
import { identifyLanguage } from '../../../pipelines/language/identify.js';
import { parseLanguageTag } from '../../../pipelines/language/tags.js';
import { InvalidLanguageTagError } from '../../node/errors.js';
import { printJson, printTable } from '../output.js';

export function registerLangidCommand(program: Command): void {
  program
    .command('langid <text>')
    .description('identify the language of a text, as the node does for text contributions')
    .option('--candidates <tags>', 'languages to choose among (BCP-47 or ISO 639-3), comma-separated')
    .option('--json', 'print JSON')
    .action((text, options) => {
      const candidates = String(options.candidates ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((tag) => {
          const parsed = parseLanguageTag(tag);
          if (!parsed) throw new InvalidLanguageTagError(`"${tag}" is not a language tag`);
          return parsed.iso639_3;
        });
      const result = identifyLanguage(text, { candidates });
      if (options.json) return printJson(result);
      printTable(
        ['language', 'score', 'script', 'model'],
        [
          [result.code, result.score.toFixed(3), result.script, result.model],
          ...result.alternatives.map((a) => [a.code, a.score.toFixed(3), '', '']),
        ],
      );
    });
}
