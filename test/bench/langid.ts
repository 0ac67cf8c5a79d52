/**
 * `npm run bench:langid`: top-1 accuracy, confusions, calibration and speed of language ID on a
 * held-out set built from the machine's translated message catalogues (see langid-corpus.ts),
 * with every language of the set as a candidate. Writes the `langid` section of
 * test/bench/results.json, keeping the other sections' figures.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { francAll } from 'franc-all';
import { baseLanguageModel } from '../../pipelines/language/base-model.js';
import { createLanguageIdentifier, LANGID_MODEL } from '../../pipelines/language/identify.js';
import { learnedModelVersion, type LearnedModel } from '../../pipelines/language/learned-model.js';
import { trainLanguageModel } from '../../pipelines/language/train.js';
import { francCodeFor, sameLanguage } from '../../pipelines/language/macrolanguages.js';
import { parseLanguageTag } from '../../pipelines/language/tags.js';
import { printTable } from '../../server/cli/output.js';
import { buildHeldOutSet, CONFUSABLE_GROUPS, type HeldOutText } from './langid-corpus.js';
import { buildHelpSet } from './langid-help.js';
import { expectedCalibrationError } from './langid-math.js';
import { otherDetectors, type Answer, type Detector } from './langid-others.js';

const root = join(fileURLToPath(import.meta.url), '../../..');
const resultsPath = join(root, 'test/bench/results.json');

/**
 * The languages of the `franc` package (6.2.0, the newest on the registry reachable here:
 * languages with ≥ 1 M speakers). "franc" below is franc-all 7.2.0 restricted to them, which is
 * what `franc` is: the same models, fewer of them.
 */
const FRANC_LANGUAGES = 'ace ada afr aii als amh arb ayr azj bam ban bci bcl bel bem ben bho bin bod bos bug bul bum cat ceb ces cjk ckb cmn dan deu dip dyu ekk ell emk eng epo ewe fin fon fra fuf fuv gaa glg guj hat hau heb hil hin hms hnj hrv hun hye ibb ibo iii ilo ind ita jav jpn kan kat kaz kbd kbp kde khk khm kin kir kmb knc kng koi kor lao lin lit lua lug lun lvs mad mag mai mal mar men min mkd mos mya ndo nds nhn nld nno nob npi nso nya nyn pam pan pbu pes plt pol por prs qug quy quz rmn ron run rup rus sag sat sco shn sin skr slk slv sna snk som sot spa src srp ssw suk sun swe swh tam tat tel tem tgk tgl tha tir tiv toi tpi tsn tso tuk tur tzm uig ukr umb urd uzn vec ven vie vmw war wol xho yao ydd yor zgh zlm zul zyb'.split(' ');


/** franc's ranking as an answer: the top code, and its lead over the runner-up as confidence. */
function fromRanking(ranked: Array<[string, number]>): Answer {
  const [top, second] = ranked;
  if (!top || top[0] === 'und') return { code: 'und', confidence: 0 };
  return { code: top[0], confidence: second ? Math.max(0, Math.min(1, 1 - second[1])) : 1 };
}

/**
 * Languages taken out of the shipped model for further runs of `langid train`, which then learn
 * them from the training split alone: how a node does with languages the shipped model does not
 * know. Assamese and Odia are the case issue 11 names: languages no detector here knows (franc
 * has no model of either; Assamese shares its script with Bengali, Odia has a script of its own).
 * The second run adds Bosnian, a close variety of Croatian and Serbian that franc does know.
 */
export const UNKNOWN_TO_BASE: ReadonlyArray<readonly string[]> = [
  ['as', 'or'],
  ['as', 'or', 'bs'],
];
const afterTrainWithout = (tags: readonly string[]) => `tributary after langid train, ${tags.join(', ')} unknown to the shipped model`;

/** `model` without the labels of `tags`: what the shipped model would be had it never seen them. */
function withoutLanguages(model: LearnedModel, tags: readonly string[]): LearnedModel {
  const kept = model.meta.labels.flatMap((label, index) => (tags.includes(label.tag) ? [] : [index]));
  const from = model.meta.labels.length;
  const weights = new Float32Array(model.meta.buckets * kept.length);
  for (let bucket = 0; bucket < model.meta.buckets; bucket++) {
    kept.forEach((column, l) => (weights[bucket * kept.length + l] = model.weights[bucket * from + column]!));
  }
  const bias = Float32Array.from(kept, (column) => model.bias[column]!);
  const meta = { ...model.meta, labels: kept.map((column) => model.meta.labels[column]!) };
  return { meta: { ...meta, version: learnedModelVersion(meta, weights, bias) }, weights, bias };
}

interface Trained {
  learned: LearnedModel;
  /** The same training from the shipped model without each of `UNKNOWN_TO_BASE`, in that order. */
  learnedWithout: LearnedModel[];
}

async function detectors(tags: string[], { learned, learnedWithout }: Trained): Promise<Record<string, Detector>> {
  const candidates = [...new Set(tags.map((tag) => francCodeFor(parseLanguageTag(tag)!.iso639_3)))];
  return {
    franc: (text) => fromRanking(francAll(text, { only: FRANC_LANGUAGES, minLength: 10 })),
    'franc-all': (text) => fromRanking(francAll(text, { minLength: 10 })),
    'franc-all, candidates': (text) => fromRanking(francAll(text, { only: candidates, minLength: 10 })),
    // Prepared once, as the node's text intake does (createLanguageIdentifier).
    'tributary, franc alone': createLanguageIdentifier({ candidates: tags, contactLanguages: [] }),
    // Out of the box: with the model shipped in pipelines/language/base-model/ (base-model.ts).
    tributary: createLanguageIdentifier({ candidates: tags, contactLanguages: [], learned: baseLanguageModel() }),
    'tributary after langid train': createLanguageIdentifier({ candidates: tags, contactLanguages: [], learned }),
    ...Object.fromEntries(
      UNKNOWN_TO_BASE.map((unknown, i) => [afterTrainWithout(unknown), createLanguageIdentifier({ candidates: tags, contactLanguages: [], learned: learnedWithout[i]! })]),
    ),
    ...(await otherDetectors(tags)),
  };
}

const round = (value: number, digits = 4): number => Number(value.toFixed(digits));
const percent = (value: number): string => (Number.isNaN(value) ? '–' : `${(value * 100).toFixed(1)}`);

interface Tally {
  right: number;
  total: number;
}
const accuracy = (tally: Tally | undefined): number => (tally && tally.total > 0 ? tally.right / tally.total : NaN);

function measure(name: string, detect: Detector, texts: HeldOutText[], isoOf: Map<string, string>) {
  const perLanguage = new Map<string, { sentence: Tally; short: Tally }>();
  const overall = { sentence: { right: 0, total: 0 }, short: { right: 0, total: 0 } };
  const confusions = new Map<string, number>();
  const points: Array<{ confidence: number; correct: boolean }> = [];
  const started = process.hrtime.bigint();
  const answers = texts.map((t) => detect(t.text));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  texts.forEach((t, i) => {
    const answer = answers[i]!;
    const gold = isoOf.get(t.tag)!;
    const correct = answer.code !== 'und' && (sameLanguage(answer.code, gold) || francCodeFor(gold) === answer.code);
    const tallies = perLanguage.get(t.tag) ?? { sentence: { right: 0, total: 0 }, short: { right: 0, total: 0 } };
    perLanguage.set(t.tag, tallies);
    for (const tally of [tallies[t.kind], overall[t.kind]]) {
      tally.total++;
      if (correct) tally.right++;
    }
    points.push({ confidence: answer.confidence, correct });
    if (!correct) {
      const key = `${t.tag} → ${answer.code}`;
      confusions.set(key, (confusions.get(key) ?? 0) + 1);
    }
  });
  return {
    name,
    sentences: round(accuracy(overall.sentence)),
    short: round(accuracy(overall.short)),
    macroSentences: round(mean([...perLanguage.values()].map((l) => accuracy(l.sentence)).filter((v) => !Number.isNaN(v)))),
    ece: round(expectedCalibrationError(points)),
    textsPerSecond: Math.round(texts.length / seconds),
    perLanguage: Object.fromEntries(
      [...perLanguage.entries()].map(([tag, l]) => [tag, { sentences: round(accuracy(l.sentence), 3), short: round(accuracy(l.short), 3), n: l.sentence.total + l.short.total }]),
    ),
    topConfusions: [...confusions.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([pair, count]) => ({ pair, count })),
  };
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The same detectors (every catalogue language still a candidate) on GNOME's user documentation,
 * which nothing here was trained or calibrated on (langid-help.ts); skipped, saying so, when it is
 * not on the machine.
 */
function measureOnHelp(all: Record<string, Detector>, isoOf: Map<string, string>) {
  const root = process.env.BENCH_LANGID_HELP ?? '/usr/share/help';
  if (!existsSync(join(root, 'C'))) {
    console.log(`independent check skipped: no GNOME help under ${root} (see test/bench/langid-help.ts)`);
    return { skipped: `no GNOME help under ${root}` };
  }
  const help = buildHelpSet(root);
  const texts = help.texts.filter((t) => isoOf.has(t.tag));
  console.log(`independent check: ${texts.length} texts in ${new Set(texts.map((t) => t.tag)).size} languages of GNOME's user documentation`);
  const runs = ['franc-all, candidates', 'fastText lid.176, candidates', 'cld3', 'tributary, franc alone', 'tributary', 'tributary after langid train'].map((name) =>
    measure(name, all[name]!, texts, isoOf),
  );
  printTable(
    ['independent check (GNOME help)', 'sentences %', 'short (<30) %', 'macro sentences %', 'ECE', 'texts/s'],
    runs.map((r) => [r.name, percent(r.sentences), percent(r.short), percent(r.macroSentences), r.ece.toFixed(3), r.textsPerSecond]),
  );
  return {
    source: 'GNOME user documentation (Debian gnome-user-docs), see test/bench/langid-help.ts',
    sha256: help.sha256,
    texts: texts.length,
    detectors: runs,
  };
}

async function main(): Promise<void> {
  const previous = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>) : {};
  const built = Date.now();
  const set = buildHeldOutSet();
  const buildSeconds = (Date.now() - built) / 1000;
  const tags = [...new Set(set.texts.map((t) => t.tag))];
  const isoOf = new Map(tags.map((tag) => [tag, parseLanguageTag(tag)!.iso639_3]));
  const evaluation = set.texts.filter((t) => t.split === 'evaluation');
  console.log(`held-out set: ${set.texts.length} texts in ${tags.length} languages from ${set.domains} catalogues (${set.packages.length} packages), built in ${buildSeconds.toFixed(0)} s; ${evaluation.length} for evaluation`);

  // `langid train` as a node runs it, on the training split: up to 500 texts per language
  // (300 sentences, 200 short), disjoint from the evaluation texts. The shipped model learned
  // from these too (among up to 10,000 per language), as a node's model would from its own text.
  const training = set.texts.filter((t) => t.split === 'training');
  // At most as many passes as `langid train` makes by default (it stops sooner when held-out
  // text stops improving), unless BENCH_LANGID_EPOCHS says otherwise.
  const epochs = process.env.BENCH_LANGID_EPOCHS ? Number(process.env.BENCH_LANGID_EPOCHS) : undefined;
  const train = async (start: LearnedModel, name: string) => {
    console.log(`training ${name} on ${training.length} texts…`);
    let lastReport = 0;
    let epochsRun = 0;
    const model = await trainLanguageModel(
      training.map((t) => ({ text: t.text, tag: t.tag })),
      {
        base: { candidates: tags, contactLanguages: [] },
        // As `langid train` does: from the shipped model, for the languages it knows.
        start,
        epochs,
        onProgress: (p) => {
          epochsRun = p.epoch;
          if (Date.now() - lastReport < 15_000) return;
          lastReport = Date.now();
          console.log(`  epoch ${p.epoch}/${p.epochs}, batch ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}`);
        },
      },
    );
    console.log(`trained ${model.meta.version} in ${model.meta.training.seconds} s (${epochsRun} epochs, kept epoch ${model.meta.training.epoch})`);
    return { model, epochsRun };
  };
  const { model: learned, epochsRun } = await train(baseLanguageModel(), 'from the shipped model');
  const learnedWithout: LearnedModel[] = [];
  for (const unknown of UNKNOWN_TO_BASE) {
    learnedWithout.push((await train(withoutLanguages(baseLanguageModel(), unknown), `from the shipped model without ${unknown.join(', ')}`)).model);
  }
  const all = await detectors(tags, { learned, learnedWithout });
  const runs = Object.entries(all).map(([name, detect]) => {
    const result = measure(name, detect, evaluation, isoOf);
    console.log(`${name}: ${percent(result.sentences)}% sentences, ${percent(result.short)}% short, ${result.textsPerSecond}/s`);
    return result;
  });

  printTable(
    ['detector', 'sentences %', 'short (<30) %', 'macro sentences %', 'ECE', 'texts/s'],
    runs.map((r) => [r.name, percent(r.sentences), percent(r.short), percent(r.macroSentences), r.ece.toFixed(3), r.textsPerSecond]),
  );
  printTable(
    ['language', ...runs.map((r) => `${r.name} sent/short`)],
    tags.map((tag) => [tag, ...runs.map((r) => `${percent(r.perLanguage[tag]!.sentences)} / ${percent(r.perLanguage[tag]!.short)}`)]),
  );
  for (const name of ['tributary', 'tributary after langid train']) {
    const run = runs.find((r) => r.name === name)!;
    printTable([`${name}: confusion`, 'count'], run.topConfusions.map((c) => [c.pair, c.count]));
  }
  // The languages the further trainings learned without the shipped model's help, on their own.
  const unknownToBase = UNKNOWN_TO_BASE.map((unknown, i) => {
    const texts = evaluation.filter((t) => unknown.includes(t.tag));
    const detectorsOn = Object.fromEntries(
      ['tributary, franc alone', 'tributary', afterTrainWithout(unknown)].map((name) => {
        const result = measure(name, all[name]!, texts, isoOf);
        return [name, { sentences: result.sentences, short: result.short, perLanguage: result.perLanguage }];
      }),
    );
    printTable(
      [`${unknown.join(', ')} (${texts.length} texts)`, 'sentences %', 'short (<30) %'],
      Object.entries(detectorsOn).map(([name, r]) => [name, percent(r.sentences), percent(r.short)]),
    );
    const model = learnedWithout[i]!;
    return { languages: unknown, model: model.meta.version, epochKept: model.meta.training.epoch, combination: model.meta.combination, evaluationTexts: texts.length, detectors: detectorsOn };
  });

  const independentCheck = measureOnHelp(all, isoOf);

  const langid = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version },
    model: LANGID_MODEL,
    shippedModel: { version: baseLanguageModel().meta.version, buckets: baseLanguageModel().meta.buckets, encoding: baseLanguageModel().meta.encoding },
    heldOut: {
      source: 'gettext catalogues under /usr/share/locale (iso-codes left out), see test/bench/langid-corpus.ts',
      sha256: set.sha256,
      languages: tags.length,
      texts: set.texts.length,
      evaluation: evaluation.length,
      calibration: set.texts.length - evaluation.length,
      catalogues: set.domains,
      packages: set.packages,
      confusableGroups: CONFUSABLE_GROUPS.map((group) => group.filter((tag) => tags.includes(tag))),
    },
    candidates: 'every language of the set; tributary without contact languages',
    training: {
      texts: training.length,
      model: learned.meta.version,
      buckets: learned.meta.buckets,
      weightBytes: (learned.weights.length + learned.bias.length) * 4,
      epochsRun,
      epochKept: learned.meta.training.epoch,
      seconds: learned.meta.training.seconds,
      combination: learned.meta.combination,
      heldOutAccuracy: learned.meta.training.accuracy,
    },
    unknownToBase: {
      how: 'langid train again on the same texts, from the shipped model with these languages taken out; the overall figures are the detectors of the same name',
      runs: unknownToBase,
    },
    detectors: runs,
  };
  writeFileSync(resultsPath, JSON.stringify({ ...previous, langid: { ...langid, independentCheck } }, null, 2) + '\n');
  console.log('written to test/bench/results.json (section langid)');
}

await main();
