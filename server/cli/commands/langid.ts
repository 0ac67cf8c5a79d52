import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { decodeClip } from '../../../pipelines/audio/decode.js';
import { toTargetMono, TARGET_SAMPLE_RATE } from '../../../pipelines/audio/analyse.js';
import { baseLanguageModel, baseLanguageModelFor } from '../../../pipelines/language/base-model.js';
import { identifyLines } from '../../../pipelines/language/batch.js';
import { defaultContactLanguages } from '../../../pipelines/language/contact-languages.js';
import { createLanguageIdentifier, type IdentifyOptions } from '../../../pipelines/language/identify.js';
import { identifySpeechLanguage } from '../../../pipelines/language/speech-lid.js';
import { SpeechLanguageModel } from '../../../pipelines/language/speech-model.js';
import { parseLanguageTag, type LanguageTag } from '../../../pipelines/language/tags.js';
import { ConfigError } from '../../core/errors.js';
import { loadNodeConfig } from '../../node/config.js';
import { InvalidLanguageTagError } from '../../node/errors.js';
import { rescoreTextSamples } from '../../node/services/lid-rescore.js';
import { LearnedModelFolder, nodeTrainingTexts } from '../../node/services/node-language-id.js';
import { NodeSpeechLanguageId, nodeTrainingClips } from '../../node/services/node-speech-language-id.js';
import { NodeLanguages } from '../../node/languages.js';
import { createLogger } from '../../core/log.js';
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
 * node (with its learned model, when one was trained); else no candidates, which leaves the
 * contact languages to choose among.
 */
/** With the model shipped with Tributary, where it knows the candidates (as a node without its own). */
function withBaseModel(options: IdentifyOptions): IdentifyOptions {
  const learned = baseLanguageModelFor(options.candidates);
  return learned ? { ...options, learned } : options;
}

function identifyOptions(options: { candidates?: string; dir?: string }): IdentifyOptions {
  const candidates = parseCandidates(options.candidates);
  if (!options.dir) return withBaseModel({ candidates });
  const dir = nodeDir(options.dir);
  const config = loadNodeConfig(dir);
  const learned = new LearnedModelFolder(dir).current((error) => console.error(`tributary: the learned model is left out: ${error.message}`));
  const fromNode: IdentifyOptions = {
    candidates: candidates.length > 0 ? candidates : config.languages,
    contactLanguages: config.lid.contactLanguages,
    minLength: config.lid.minLength,
  };
  return learned ? { ...fromNode, learned } : withBaseModel(fromNode);
}

/** The speech model to use and the languages it may answer (undefined: every language of the model). */
function speechSetting(options: { dir?: string; model?: string }): { modelDir: string; candidates?: string[] } {
  if (options.model) return { modelDir: resolve(options.model) };
  const dir = nodeDir(options.dir);
  const config = loadNodeConfig(dir);
  const modelDir = new NodeSpeechLanguageId(dir, config, new NodeLanguages(config.languages), createLogger({ service: 'cli', level: 'warn', destination: process.stderr })).dir;
  if (!modelDir) throw new ConfigError(`the node in ${dir} has no speech model (lid.speechModel in node.json, or langid train-speech); give one with --model`);
  const candidates = [...config.languages.map((tag) => parseLanguageTag(tag)!.iso639_3), ...(config.lid.contactLanguages ?? defaultContactLanguages)];
  return { modelDir, candidates };
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
    .command('speech')
    .description('identify the spoken language of a recording with a speech model, as the node does for each clip')
    .argument('<file>', 'a recording, in any format the node takes')
    .option('--dir <dir>', 'a node: its lid.speechModel, and its languages and contact languages as candidates')
    .option('--model <dir>', 'a speech model folder (pipelines/language/speech-model.ts) instead of a node\'s')
    .option('--declared <tag>', 'the language the speaker declared: whether the node would flag the clip')
    .option('--json', 'print JSON')
    .action(async (file: string, _own: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dir?: string; model?: string; declared?: string; json?: boolean }>();
      const { modelDir, candidates } = speechSetting(options);
      const model = await SpeechLanguageModel.load(modelDir).catch((error: unknown) => {
        throw new ConfigError(error instanceof Error ? error.message : String(error));
      });
      const decoded = await decodeClip(new Uint8Array(await readFile(file)), { maxSeconds: 60 });
      if (!decoded.ok) throw new ConfigError(`${file}: ${decoded.reason}`);
      const scores = model.score(toTargetMono(decoded.clip), TARGET_SAMPLE_RATE);
      const codes = candidates ?? model.meta.labels.map((label) => label.code);
      // Without a declared language, the clip is judged as if declared in what the model heard most.
      const best = scores && model.meta.labels[scores.probabilities.indexOf(Math.max(...scores.probabilities))];
      const declared = parseLanguageTag(options.declared ?? best?.tag ?? 'und');
      if (!declared) throw new InvalidLanguageTagError(`"${options.declared}" is not a valid BCP-47 language tag.`);
      const result = identifySpeechLanguage(declared, scores, codes, model.version);
      model.dispose();
      if (options.json) return printJson(result);
      printTable(
        ['language', 'tag', 'confidence', 'model'],
        [[result.code, result.bcp47, result.confidence.toFixed(3), result.model], ...result.alternatives.map((a) => [a.code, a.bcp47, a.confidence.toFixed(3), ''])],
      );
      if (result.reason) console.error(`und: ${result.reason}`);
      if (options.declared) console.log(result.mismatch ? `Declared ${declared.tag}: the node would flag this clip for validators.` : `Declared ${declared.tag}: no flag.`);
    });

  langid
    .command('train')
    .description(
      'fit a language model on the node’s validated text and accepted prompts; from the next text on, the node ' +
        'weighs it with the base (run rescore to apply it to stored samples)',
    )
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--epochs <n>', 'at most this many passes over the training text (it stops sooner when held-out text stops improving; the best pass is kept)', '8')
    .option('--json', 'print JSON')
    .action(async (_own: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dir?: string; json?: boolean; epochs: string }>();
      const epochs = epochsOption(command, options.epochs, 100);
      const bar = !options.json && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'training [{bar}] {percentage}% | epoch {epoch}/{epochs} | loss {loss}', hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      // TensorFlow.js loads only for training, not with every command.
      const { trainLanguageModel } = await import('../../../pipelines/language/train.js');
      const { model, folder } = await withNode(nodeDir(options.dir), async (context) => {
        const examples = nodeTrainingTexts(context.db, context.languages);
        let started = false;
        const model = await trainLanguageModel(examples, {
          base: { candidates: context.languages.tags, contactLanguages: context.config.lid.contactLanguages, minLength: context.config.lid.minLength },
          // The node's languages the shipped model knows start from what it learned.
          start: baseLanguageModel(),
          epochs,
          onProgress: (p) => {
            if (!bar) return;
            const done = (p.epoch - 1) * p.steps + p.step;
            const payload = { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(3) };
            if (!started) bar.start(p.epochs * p.steps, done, payload);
            else bar.update(done, payload);
            started = true;
          },
        });
        bar?.stop();
        return { model, folder: new LearnedModelFolder(context.dir).save(model) };
      });
      const { meta } = model;
      if (options.json) return printJson({ version: meta.version, folder, labels: meta.labels, combination: meta.combination, training: meta.training });
      printTable(
        ['language', 'texts', 'scripts'],
        meta.labels.map((label) => [label.tag, label.examples, label.scripts.join(' ')]),
      );
      const { accuracy } = meta.training;
      const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
      printTable(
        [`held out (${accuracy.base.n} texts)`, 'sentences', 'short (< 30)'],
        [
          ['base alone', percent(accuracy.base.sentences), percent(accuracy.base.short)],
          ['learned model alone', percent(accuracy.model.sentences), percent(accuracy.model.short)],
          ['both (what the node uses)', percent(accuracy.combined.sentences), percent(accuracy.combined.short)],
        ],
      );
      const from = meta.training.startedFrom ? `, started from the shipped model ${meta.training.startedFrom}` : '';
      console.log(`model ${meta.version} (epoch ${meta.training.epoch}${from}, ${meta.training.seconds} s) saved in ${folder}; the node uses it from its next text on.`);
    });

  langid
    .command('train-speech')
    .description(
      'fit a spoken-language model on the node’s validated clips; from the next clip on, the node flags clips heard in ' +
        'another language (unless node.json names another model in lid.speechModel)',
    )
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--epochs <n>', 'passes over the clips (the one with the lowest held-out loss is kept)', '30')
    .option('--json', 'print JSON')
    .action(async (_own: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dir?: string; json?: boolean; epochs: string }>();
      const epochs = epochsOption(command, options.epochs, 200);
      const bar = !options.json && process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: 'training [{bar}] {percentage}% | epoch {value}/{total} | held out {accuracy}', hideCursor: true }, cliProgress.Presets.shades_classic)
        : undefined;
      const { trainSpeechLanguageModel } = await import('../../../pipelines/language/speech-train.js');
      const { trained, saved, configured } = await withNode(nodeDir(options.dir), async (context) => {
        const clips = await nodeTrainingClips(context.db, context.blobs, context.languages);
        bar?.start(epochs, 0, { accuracy: '–' });
        const trained = await trainSpeechLanguageModel(clips, {
          epochs,
          onProgress: (p) => bar?.update(p.epoch, { accuracy: `${(p.heldOutAccuracy * 100).toFixed(0)}%` }),
        }).finally(() => bar?.stop());
        return { trained, saved: context.speechLangid.saveTrained(trained), configured: context.config.lid.speechModel };
      });
      const { meta } = trained;
      if (options.json) return printJson({ ...saved, labels: meta.labels, training: meta.training, inUse: configured === undefined });
      printTable(['language', 'code'], meta.labels.map((label) => [label.tag, label.code]));
      const training = meta.training!;
      printTable(
        ['model', 'clips', 'held out', 'held-out accuracy', 'epoch kept', 'seconds'],
        [[saved.version, training.clips, training.heldOut, `${(training.heldOutAccuracy * 100).toFixed(1)}%`, training.epochs, training.seconds]],
      );
      console.log(
        configured === undefined
          ? `Saved in ${saved.dir}; the node uses it from its next clip on.`
          : `Saved in ${saved.dir}; node.json names another model (lid.speechModel: ${configured}), which the node keeps using.`,
      );
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
        rescoreTextSamples(context.db, context.languages, context.langid, ({ done, total }) => {
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

/** `--epochs` as a whole number from 1 to `max`, or the command stops saying so. */
function epochsOption(command: Command, value: string, max: number): number {
  const epochs = Number(value);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > max) command.error(`error: --epochs must be a whole number from 1 to ${max}`);
  return epochs;
}
