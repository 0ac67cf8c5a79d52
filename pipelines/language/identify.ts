import { defaultContactLanguages } from './contact-languages.js';
import { francCodeFor, isModelled } from './macrolanguages.js';
import { applyCurve, SHORT_TEXT_CHARS } from './calibration.js';
import { confidenceCalibration } from './calibration-data.js';
import { countScripts, type ScriptCounts } from './scripts.js';
import { createFrancRanker, type ExtraProfile, type FrancRanker } from './franc-ranker.js';
import { learnedLogProbabilities, type LearnedModel, type LearnedModelMeta } from './learned-model.js';
import { parseLanguageTag, type LanguageTag } from './tags.js';

export { languageMismatch } from './mismatch.js';

/** Why the answer is `und`. */
export type UndeterminedReason =
  /** Fewer letters (with their vowel signs and other marks) than `minLength`. */
  | 'too-short'
  /** No script covers half the letters (CJK writing systems, which mix scripts by design, excepted). */
  | 'mixed-script'
  /** None of the candidate or contact languages is written in the text's script (or there are none). */
  | 'no-candidate';

export interface LanguageAlternative {
  code: string;
  bcp47: string;
  score: number;
}

export interface LanguageIdResult {
  /** ISO 639-3 code: the node's own code when the answer is one of its languages, else franc's; `und` when undecidable. */
  code: string;
  /** BCP-47 tag: the candidate's own tag (`pa-Arab`, `sw-CD`) when the answer is a candidate, else the shortest tag of `code`. */
  bcp47: string;
  /** franc's lead of the answer over the runner-up in [0, 1] (see `marginScore`); stored with samples. */
  score: number;
  /** How likely the answer is to be right, in [0, 1] (see `confidenceOf`). 0 for `und`. */
  confidence: number;
  /** Set exactly when `code` is `und`. */
  reason?: UndeterminedReason;
  /** Dominant script of the letters (ISO 15924), `Zyyy` when there are none. */
  script: string;
  /** Share of letters in `script`. */
  scriptRatio: number;
  /** `LANGID_MODEL` (+ the learned model's version) at the time of the decision, stored with the result. */
  model: string;
  alternatives: LanguageAlternative[];
  /** Set when a learned model took part: its version and the languages it weighed (ISO 639-3). */
  learned?: { version: string; codes: string[] };
}

export interface IdentifyOptions {
  /** The languages to choose among (the node's): BCP-47 tags or ISO 639-3 codes. */
  candidates: ReadonlyArray<string | LanguageTag>;
  /** Languages text is often in by mistake; default `defaultContactLanguages`. */
  contactLanguages?: string[];
  /** Fewer letters than this (vowel signs and other marks counted with them) gives `und`; default 10. */
  minLength?: number;
  /** A model learned from the node's own text (`langid train`), weighed with the base. */
  learned?: LearnedModel;
}

/** An identifier prepared for one candidate set; `model` is what its results record. */
export type LanguageIdentifier = ((text: string) => LanguageIdResult) & { readonly model: string };

/** Recorded with every result; bump the suffix when the decision logic below changes. */
export const LANGID_MODEL = 'franc-all@7.2.0+contact.4';

const DEFAULT_MIN_LETTERS = 10;
// franc reads at most 2048 characters; script detection looks at the same window so that both
// describe the same text and a long sample costs no more than a page.
const WINDOW = 2048;
const MAX_ALTERNATIVES = 3;

interface IdentifyPlan {
  /** franc-all restricted to the candidates and contact languages. */
  rank: FrancRanker;
  minLetters: number;
  /** franc code → the candidate the node declared (first one wins: `sw` before `sw-CD`). */
  candidateFor: ReadonlyMap<string, { code: string; bcp47: string }>;
  learned?: LearnedPlan;
  model: string;
}

/** The learned model's labels that are candidates, and how each meets the base. */
interface LearnedPlan {
  model: LearnedModel;
  labels: Array<{
    /** Index in the model's labels. */
    index: number;
    code: string;
    bcp47: string;
    /** franc's code for it, or null when franc has no model of the language. */
    franc: string | null;
  }>;
  codes: string[];
  /** Scripts of the training text of any of those languages. */
  scripts: ReadonlySet<string>;
  /** The model's log-probabilities, reused by every text (identification is synchronous). */
  scratch: Float64Array;
}

/** A candidate given as a tag or code; an unparseable one is kept as a bare code (`bcp47` = code). */
function candidateTag(candidate: string | LanguageTag): { code: string; bcp47: string } {
  const tag = typeof candidate === 'string' ? parseLanguageTag(candidate) : candidate;
  if (!tag) return { code: String(candidate), bcp47: String(candidate) };
  return { code: tag.iso639_3, bcp47: tag.tag };
}

// The shortest tag of a code that is not a candidate (a contact language, or franc's individual
// language): `eng` → `en`. Bounded by the number of codes franc knows.
const shortestTags = new Map<string, string>();
function shortestTag(code: string): string {
  let tag = shortestTags.get(code);
  if (tag === undefined) {
    tag = parseLanguageTag(code)?.tag ?? code;
    shortestTags.set(code, tag);
  }
  return tag;
}

function makePlan(options: IdentifyOptions): IdentifyPlan {
  const candidateFor = new Map<string, { code: string; bcp47: string }>();
  for (const candidate of options.candidates) {
    const tag = candidateTag(candidate);
    const franc = francCodeFor(tag.code);
    if (!candidateFor.has(franc)) candidateFor.set(franc, tag);
  }
  const only = new Set(candidateFor.keys());
  for (const code of options.contactLanguages ?? defaultContactLanguages) only.add(francCodeFor(code));
  const minLetters = options.minLength ?? DEFAULT_MIN_LETTERS;
  const learned = options.learned ? learnedPlan(options.learned, options.candidates) : undefined;
  // Languages franc does not know join its ranking through the profiles the model carries.
  const profiles: ExtraProfile[] = [];
  for (const label of learned?.labels ?? []) {
    const profile = learned!.model.meta.labels[label.index]!.profile;
    if (profile && label.franc === label.code) {
      profiles.push({ code: label.code, ...profile });
      only.add(label.code);
    }
  }
  return {
    // The letters were counted before ranking (the whole text's: borrowed Latin words taken out
    // can leave fewer characters than that), so the ranker itself never refuses for length.
    rank: createFrancRanker([...only], 1, profiles),
    minLetters,
    candidateFor,
    ...(learned ? { learned } : {}),
    model: learned ? `${LANGID_MODEL}+${learned.model.meta.version}` : LANGID_MODEL,
  };
}

/**
 * The model's labels among the candidates (by tag, else by code), answering as the candidate is
 * tagged; undefined when the model has nothing to add for these candidates: none of its
 * languages is a candidate, or one that franc already knows (it could change no ranking).
 */
function learnedLabels(meta: Pick<LearnedModelMeta, 'labels'>, candidates: IdentifyOptions['candidates']): LearnedPlan['labels'] | undefined {
  const tags = candidates.map(candidateTag);
  const labels: LearnedPlan['labels'] = [];
  meta.labels.forEach((label, index) => {
    const candidate = tags.find((tag) => tag.bcp47 === label.tag) ?? tags.find((tag) => tag.code === label.code && !meta.labels.some((l) => l.tag === tag.bcp47));
    if (!candidate) return;
    const franc = isModelled(label.code) ? francCodeFor(label.code) : label.profile ? label.code : null;
    labels.push({ index, code: candidate.code, bcp47: candidate.bcp47, franc });
  });
  const [only] = labels;
  if (labels.length === 0 || (labels.length === 1 && isModelled(meta.labels[only!.index]!.code))) return undefined;
  return labels;
}

/** Whether a learned model would take part for these candidates (so a caller can skip loading its weights). */
export function learnedModelApplies(meta: Pick<LearnedModelMeta, 'labels'>, candidates: IdentifyOptions['candidates']): boolean {
  return learnedLabels(meta, candidates) !== undefined;
}

function learnedPlan(model: LearnedModel, candidates: IdentifyOptions['candidates']): LearnedPlan | undefined {
  const labels = learnedLabels(model.meta, candidates);
  if (!labels) return undefined;
  const scripts = new Set(labels.flatMap((label) => model.meta.labels[label.index]!.scripts));
  return { model, labels, codes: [...new Set(labels.map((l) => l.code))], scripts, scratch: new Float64Array(model.bias.length) };
}

/**
 * franc normalises scores so the winner has 1 and a language at distance d has
 * 1 − (d − d₁) / (n·300 − d₁): the share of the winner's remaining headroom (up to the worst
 * possible distance for this text) by which that language is further away. So 1 − runner-up is
 * the winner's lead on a 0..1 scale that does not grow with text length. On the everyday
 * sentences in test/fixtures/language/, right answers lead by 0.03–0.8 and wrong ones by at most 0.17.
 * (`languageMismatch` asks a different question, the lead over the declared language, which it
 * reads from `alternatives`.)
 *
 * A lone result means the script alone decided (franc knows one language for Hangul, or only one
 * allowed language writes Ethiopic): full confidence when that is the node's own language, none
 * when it is a contact language, since nothing about the words was compared (a Cantonese node
 * sending Han text gets `cmn` at 0 rather than a confident wrong answer).
 */
function marginScore(ranked: ReadonlyArray<[string, number]>, isCandidate: boolean): number {
  const runnerUp = ranked[1];
  if (!runnerUp) return isCandidate ? 1 : 0;
  const margin = 1 - runnerUp[1];
  return Number.isFinite(margin) ? Math.min(1, Math.max(0, margin)) : 0;
}

/**
 * A script that must cover this share of the letters before the text counts as written in one
 * script; below it the answer is `und` (`mixed-script`). Same bar as a script flag
 * (`SCRIPT_MISMATCH_MIN_RATIO`), so a text too mixed to name never gets a language flag either.
 */
export const MIXED_SCRIPT_MAX_RATIO = 0.5;
// Japanese and Korean mix these scripts in ordinary sentences, and often Latin words with them
// (`MERGE文ではWITH RECURSIVEはサポートされません`): such text is not mixed, it is Japanese.
const COMBINING_SCRIPTS = new Set(['Hani', 'Hira', 'Kana', 'Hang']);
const combiningLetter = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]/u;

function isMixed(sample: string, script: string, ratio: number): boolean {
  if (ratio >= MIXED_SCRIPT_MAX_RATIO || COMBINING_SCRIPTS.has(script)) return false;
  return !combiningLetter.test(sample);
}

/**
 * How often an answer with this margin is right, on held-out text (calibration.ts): short texts
 * are wrong more often at the same margin, so they have a curve of their own.
 */
function confidenceOf(score: number, sample: string): number {
  const curve = sample.length < SHORT_TEXT_CHARS ? confidenceCalibration.short : confidenceCalibration.long;
  return applyCurve(curve, score);
}

function undetermined(plan: IdentifyPlan, reason: UndeterminedReason, script: string, scriptRatio: number): LanguageIdResult {
  return { code: 'und', bcp47: 'und', score: 0, confidence: 0, reason, script, scriptRatio, model: plan.model, alternatives: [] };
}

/**
 * Latin words in a text otherwise written in another script are, in practice, borrowed: names,
 * technical terms, commands (`Caps Lock செயலிலுள்ளது`, `Модель Modelica`). When that other
 * script holds at least this share of the letters, the text is identified from its words in that
 * script, as if the Latin ones were not there. On the bench's evaluation texts, 136 such texts had
 * been taken for a Latin-script language or one of the wrong script. An English sentence quoting
 * a word of Hindi (`the word नमस्ते means hello`: a fifth of its letters) stays English.
 */
const BORROWED_LATIN_OTHER_SHARE = 0.25;
const latinWords = /[\p{sc=Latin}\p{M}]*\p{sc=Latin}[\p{sc=Latin}\p{M}'’-]*/gu;

/** The text to identify: `sample`, or `sample` without its borrowed Latin words (see above). */
function withoutBorrowedLatin(sample: string, counted: ScriptCounts): string {
  const other = counted.second;
  if (counted.script !== 'Latn' || other === null || other.ratio < BORROWED_LATIN_OTHER_SHARE) return sample;
  return sample.replace(latinWords, ' ');
}

function identifyWith(plan: IdentifyPlan, text: string): LanguageIdResult {
  const whole = text.length > WINDOW ? text.slice(0, WINDOW) : text;
  const counted = countScripts(whole);
  if (counted.characters < plan.minLetters) return undetermined(plan, 'too-short', counted.script, counted.ratio);
  const sample = withoutBorrowedLatin(whole, counted);
  const { script, ratio } = sample === whole ? counted : countScripts(sample);
  if (isMixed(sample, script, ratio)) return undetermined(plan, 'mixed-script', script, ratio);

  const ranked = plan.rank(sample);
  // The learned model takes part in the scripts its training text was written in; then all its
  // languages do (a language with a little text in a script, Bosnian in Cyrillic, must not stand
  // outside the model's judgement just because its training text had too little of it).
  if (plan.learned?.scripts.has(script)) return combinedAnswer(plan, plan.learned, ranked, sample, script, ratio);
  const top = ranked[0];
  // franc answers `und` when none of the allowed languages writes the text's script.
  if (!top || top[0] === 'und') return undetermined(plan, 'no-candidate', script, ratio);

  const alternatives: LanguageAlternative[] = [];
  for (let i = 1; i <= MAX_ALTERNATIVES && i < ranked.length; i++) {
    const [code, score] = ranked[i] as [string, number];
    const candidate = plan.candidateFor.get(code);
    alternatives.push(candidate ? { code: candidate.code, bcp47: candidate.bcp47, score } : { code, bcp47: shortestTag(code), score });
  }
  const candidate = plan.candidateFor.get(top[0]);
  const score = marginScore(ranked, candidate !== undefined);
  return {
    code: candidate?.code ?? top[0],
    bcp47: candidate?.bcp47 ?? shortestTag(top[0]),
    score,
    confidence: confidenceOf(score, sample),
    script,
    scriptRatio: ratio,
    model: plan.model,
    alternatives,
  };
}

/**
 * The base's and the learned model's evidence together, for text in a script the model has
 * learned. The base decides between the model's languages as a group and the others (contact
 * languages, languages without training text); the model decides within the group. So each
 * language starts from the base's score (franc's units, 1 = its best), and each of the model's
 * languages loses `modelWeight` × how many nats less likely the model finds it than its own
 * favourite: the model can only push its less likely languages down, never lift one above what
 * the base allows against a language it has never seen. A learned language franc has no model
 * of is ranked by franc through the profile the model carries (train.ts); without one (a script
 * franc decides by script alone, as Assamese in Bengali script) the base cannot tell it from its
 * best and it starts level with that. Scores are then shifted so the winner has 1, and the
 * confidence is the winner's softmax probability at the model's fitted temperature.
 */
function combinedAnswer(
  plan: IdentifyPlan,
  learned: LearnedPlan,
  ranked: ReadonlyArray<[string, number]>,
  sample: string,
  script: string,
  ratio: number,
): LanguageIdResult {
  const { modelWeight, temperature } = learned.model.meta.combination;
  const logProbabilities = learnedLogProbabilities(learned.model, sample, learned.scratch);
  let favourite = -Infinity;
  for (const label of learned.labels) favourite = Math.max(favourite, logProbabilities[label.index]!);
  const baseScores = new Map<string, number>();
  for (const [code, score] of ranked) if (code !== 'und') baseScores.set(code, score);

  const entries: Array<{ code: string; bcp47: string; score: number }> = [];
  const covered = new Set<string>();
  for (const label of learned.labels) {
    const base = label.franc === null ? 1 : (baseScores.get(label.franc) ?? 0);
    if (label.franc !== null) covered.add(label.franc);
    entries.push({ code: label.code, bcp47: label.bcp47, score: base + modelWeight * (logProbabilities[label.index]! - favourite) });
  }
  for (const [code, score] of baseScores) {
    if (covered.has(code)) continue;
    const candidate = plan.candidateFor.get(code);
    entries.push({ code: candidate?.code ?? code, bcp47: candidate?.bcp47 ?? shortestTag(code), score });
  }
  entries.sort((a, b) => b.score - a.score);
  const best = entries[0]!.score;
  let total = 0;
  if (temperature !== null) for (const entry of entries) total += Math.exp((entry.score - best) / temperature);
  for (const entry of entries) entry.score = Math.max(0, 1 + entry.score - best);
  const [top, ...rest] = entries as [typeof entries[number], ...typeof entries];
  const runnerUp = rest[0];
  const score = runnerUp ? Math.min(1, 1 - runnerUp.score) : 1;
  return {
    code: top.code,
    bcp47: top.bcp47,
    score,
    confidence: temperature === null ? confidenceOf(score, sample) : 1 / total,
    script,
    scriptRatio: ratio,
    model: plan.model,
    alternatives: rest.slice(0, MAX_ALTERNATIVES),
    learned: { version: learned.model.meta.version, codes: learned.codes },
  };
}

/** Builds the franc options once; use this where the candidate set is fixed (a running node). */
export function createLanguageIdentifier(options: IdentifyOptions): LanguageIdentifier {
  const plan = makePlan(options);
  return Object.assign((text: string) => identifyWith(plan, text), { model: plan.model });
}

// Plans for the few candidate sets a process sees (a node's languages, CLI calls). Bounded so
// that arbitrary input cannot grow it; a plan is a pure function of its key.
const plans = new Map<string, IdentifyPlan>();
const MAX_PLANS = 32;

function planFor(options: IdentifyOptions): IdentifyPlan {
  const key = `${options.candidates.map((c) => (typeof c === 'string' ? c : c.tag)).join(',')}|${options.contactLanguages?.join(',') ?? '*'}|${options.minLength ?? ''}|${options.learned?.meta.version ?? ''}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = makePlan(options);
    if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value as string);
    plans.set(key, plan);
  }
  return plan;
}

export function identifyLanguage(text: string, options: IdentifyOptions): LanguageIdResult {
  return identifyWith(planFor(options), text);
}
