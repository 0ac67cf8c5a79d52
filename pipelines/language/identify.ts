import { defaultContactLanguages } from './contact-languages.js';
import { francCodeFor } from './macrolanguages.js';
import { countScripts } from './scripts.js';
import { createFrancRanker, type RankedLanguages } from './franc-ranker.js';

export { languageMismatch } from './mismatch.js';

export interface LanguageIdResult {
  /** ISO 639-3 code: the node's own code when the answer is one of its languages, else franc's; `und` when undecidable. */
  code: string;
  /** Confidence in [0, 1]: how far the answer is ahead of the runner-up (see `marginScore`). */
  score: number;
  /** Dominant script of the letters (ISO 15924), `Zyyy` when there are none. */
  script: string;
  /** Share of letters in `script`. */
  scriptRatio: number;
  /** `LANGID_MODEL` at the time of the decision, stored with the result. */
  model: string;
  alternatives: Array<{ code: string; score: number }>;
}

export interface IdentifyOptions {
  /** The node's languages as ISO 639-3 codes. */
  candidates: string[];
  /** Languages text is often in by mistake; default `defaultContactLanguages`. */
  contactLanguages?: string[];
  /** Fewer letters than this gives `und`; default 10. */
  minLength?: number;
}

/** Recorded with every result; bump the suffix when the decision logic below changes. */
export const LANGID_MODEL = 'franc-all@7.2.0+contact.1';

const DEFAULT_MIN_LETTERS = 10;
// franc reads at most 2048 characters; script detection looks at the same window so that both
// describe the same text and a long sample costs no more than a page.
const WINDOW = 2048;
const MAX_ALTERNATIVES = 3;

interface IdentifyPlan {
  /** franc-all restricted to the candidates and contact languages. */
  rank: (text: string) => RankedLanguages;
  minLetters: number;
  /** franc code → the candidate code the node declared. */
  candidateFor: ReadonlyMap<string, string>;
}

function makePlan(options: IdentifyOptions): IdentifyPlan {
  const candidateFor = new Map<string, string>();
  for (const code of options.candidates) {
    const franc = francCodeFor(code);
    if (!candidateFor.has(franc)) candidateFor.set(franc, code);
  }
  const only = new Set(candidateFor.keys());
  for (const code of options.contactLanguages ?? defaultContactLanguages) only.add(francCodeFor(code));
  const minLetters = options.minLength ?? DEFAULT_MIN_LETTERS;
  return { rank: createFrancRanker([...only], minLetters), minLetters, candidateFor };
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

function identifyWith(plan: IdentifyPlan, text: string): LanguageIdResult {
  const sample = text.length > WINDOW ? text.slice(0, WINDOW) : text;
  const { script, ratio, letters } = countScripts(sample);
  const undetermined: LanguageIdResult = {
    code: 'und', score: 0, script, scriptRatio: ratio, model: LANGID_MODEL, alternatives: [],
  };
  if (letters < plan.minLetters) return undetermined;

  const ranked = plan.rank(sample);
  const top = ranked[0];
  // franc answers `und` when none of the allowed languages writes the text's script.
  if (!top || top[0] === 'und') return undetermined;

  const alternatives: Array<{ code: string; score: number }> = [];
  for (let i = 1; i <= MAX_ALTERNATIVES && i < ranked.length; i++) {
    const [code, score] = ranked[i] as [string, number];
    alternatives.push({ code: plan.candidateFor.get(code) ?? code, score });
  }
  const candidate = plan.candidateFor.get(top[0]);
  return {
    code: candidate ?? top[0],
    score: marginScore(ranked, candidate !== undefined),
    script,
    scriptRatio: ratio,
    model: LANGID_MODEL,
    alternatives,
  };
}

/** Builds the franc options once; use this where the candidate set is fixed (a running node). */
export function createLanguageIdentifier(options: IdentifyOptions): (text: string) => LanguageIdResult {
  const plan = makePlan(options);
  return (text) => identifyWith(plan, text);
}

// Plans for the few candidate sets a process sees (a node's languages, CLI calls). Bounded so
// that arbitrary input cannot grow it; a plan is a pure function of its key.
const plans = new Map<string, IdentifyPlan>();
const MAX_PLANS = 32;

function planFor(options: IdentifyOptions): IdentifyPlan {
  const key = `${options.candidates.join(',')}|${options.contactLanguages?.join(',') ?? '*'}|${options.minLength ?? ''}`;
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
