import { once } from 'node:events';
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { identifyLines } from '../../../pipelines/language/batch.js';
import { createLanguageIdentifier, type IdentifyOptions } from '../../../pipelines/language/identify.js';
import { parseLanguageTag, type LanguageTag } from '../../../pipelines/language/tags.js';
import { loadNodeConfig } from '../../node/config.js';
import { InvalidLanguageTagError } from '../../node/errors.js';
import { rescoreTextSamples } from '../../node/services/lid-rescore.js';
import { printJson, printTable } from '../output.js';
import { list, nodeDir, withNode } from '../with-node.js';

const dirHelp = 'data directory of a node whose languages and LID settings to use (default for rescore: $TRIBUTARY_DIR, else ./data/node)';

function parseCandidates(value: string | undefined): LanguageTag[] {
  return list(value ?? '').map((tag) => {
    const parsed = parseLanguageTag(tag);
    if (!parsed) throw new InvalidLanguageTagError(`"${tag}" is not a language tag`);
    return parsed;
  });
}

/**
 * `--candidates` when given; else the node's languages and LID settings when `--dir` names a
 * node; else no candidates, which leaves the contact languages to choose among.
 */
function identifyOptions(options: { candidates?: string; dir?: string }): IdentifyOptions {
  const candidates = parseCandidates(options.candidates);
  if (!options.dir) return { candidates };
  const config = loadNodeConfig(nodeDir(options.dir));
  return {
    candidates: candidates.length > 0 ? candidates : config.languages,
    contactLanguages: config.lid.contactLanguages,
    minLength: config.lid.minLength,
  };
}

/** JSON lines from stdin to stdout, one answer per line, waiting for stdout to drain. */
async function runBatch(options: IdentifyOptions): Promise<void> {
  const identify = createLanguageIdentifier(options);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const answer of identifyLines(lines, identify)) {
    if (!process.stdout.write(JSON.stringify(answer) + '\n')) await once(process.stdout, 'drain');
  }
}

export function registerLangidCommand(program: Command): void {
  const langid = program
    .command('langid')
    .argument('[text]', 'the text to identify (leave out with --batch)')
    .description(
      'identify the language of a text, as the node does for text contributions; with --batch, of each ' +
        'JSON line {"id":…,"text":…} on stdin, one JSON line out per line in',
    )
    .option('--candidates <tags>', 'languages to choose among (BCP-47 or ISO 639-3), comma-separated')
    .option('--dir <dir>', dirHelp)
    .option('--batch', 'read JSON lines from stdin and write one JSON line per input')
    .option('--json', 'print JSON')
    .action(async (text: string | undefined, options: { candidates?: string; dir?: string; batch?: boolean; json?: boolean }) => {
      const identifyWith = identifyOptions(options);
      if (options.batch) return runBatch(identifyWith);
      if (text === undefined) langid.error('error: give a text to identify, or --batch to read JSON lines from stdin');
      const result = createLanguageIdentifier(identifyWith)(text!);
      if (options.json) return printJson(result);
      printTable(
        ['language', 'tag', 'confidence', 'script', 'model'],
        [
          [result.code, result.bcp47, result.confidence.toFixed(3), result.script, result.model],
          ...result.alternatives.map((a) => [a.code, a.bcp47, a.score.toFixed(3), '', '']),
        ],
      );
      if (result.reason) console.error(`und: ${result.reason}`);
    });

  langid
    .command('rescore')
    .description('re-run language ID on the node’s stored text samples and update their flags, recording the model version')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--json', 'print JSON')
    .action(async (_own: unknown, command: Command) => {
      // `--dir` and `--json` after `rescore` may be taken by `langid`'s own options of the same names.
      const options = command.optsWithGlobals<{ dir?: string; json?: boolean }>();
      const showBar = !options.json && process.stderr.isTTY;
      const bar = showBar
        ? new cliProgress.SingleBar({ format: 'rescoring [{bar}] {percentage}% | {value}/{total} samples', hideCursor: true }, cliProgress.Presets.shades_classic)
        : undefined;
      let started = false;
      const summary = await withNode(nodeDir(options.dir), (context) =>
        rescoreTextSamples(context.db, context.languages, context.config.lid, ({ done, total }) => {
          if (!bar) return;
          if (!started) bar.start(total, done);
          else bar.update(done);
          started = true;
        }),
      );
      if (started) bar?.stop();
      if (options.json) return printJson(summary);
      printTable(
        ['model', 'scanned', 'relabelled', 'newly flagged', 'unflagged', 'unchanged'],
        [[summary.model, summary.scanned, summary.relabelled, summary.newlyFlagged, summary.unflagged, summary.unchanged]],
      );
      if (summary.byLanguage.length > 0) {
        printTable(
          ['language', 'samples', 'flagged before', 'flagged after'],
          summary.byLanguage.map((l) => [l.language, l.scanned, l.flaggedBefore, l.flaggedAfter]),
        );
      }
    });
}
