/**
 * Open detectors from the npm registry measured beside franc and Tributary in `npm run
 * bench:langid`, each as it ships and restricted to the candidate languages (what each offers
 * for that: a subset for ELD, `only` for TinyLD, the best-ranked candidate of all 176 labels for
 * fastText). They are dev dependencies, used by the bench only:
 * - fastText lid.176 (`fasttext.wasm.js`, the model Facebook trained on Wikipedia, Tatoeba and
 *   SETimes, in WebAssembly): the strongest open detector we could install here;
 * - ELD (`eld`, large n-gram database): a fast n-gram detector;
 * - TinyLD (`tinyld`, heavy): a small n-gram detector;
 * - cld3 (`cld3-asm`, Google's Compact Language Detector v3 in WebAssembly): the detector
 *   issue 11 names as the best open one it measured. It answers with its top language only, so
 *   it is measured as it ships, without candidates.
 * (CLD2, the `cld` package, needs a native build of Google's C++ code with node-gyp: it downloads
 * nothing but would add a compiler to the bench's needs, and is not measured.)
 */
import { loadModule as loadCld3 } from 'cld3-asm';
import eld from 'eld/large';
import { getLIDModel } from 'fasttext.wasm.js';
import { detectAll as tinyDetectAll } from 'tinyld/heavy';
import { parseLanguageTag } from '../../pipelines/language/tags.js';

export interface Answer {
  code: string;
  confidence: number;
}
export type Detector = (text: string) => Answer;

const NONE: Answer = { code: 'und', confidence: 0 };

/**
 * A detector's label (ISO 639-1 or -3, or a BCP-47 tag) as an ISO 639-3 code, or null. `no`
 * (Norwegian, the macrolanguage) is what these detectors call Bokmål: the Norwegian Wikipedia and
 * most Norwegian text they learned from are Bokmål, and Nynorsk has a label of its own.
 */
function iso639_3(label: string): string | null {
  if (label === 'no') return 'nob';
  // cld3 still calls Hebrew by its withdrawn ISO 639-1 code.
  if (label === 'iw') return 'heb';
  return parseLanguageTag(label)?.iso639_3 ?? null;
}

export async function otherDetectors(tags: readonly string[]): Promise<Record<string, Detector>> {
  const candidates = new Set(tags.map((tag) => parseLanguageTag(tag)!.iso639_3));
  // The two-letter codes ELD and TinyLD take for the candidates they know.
  const twoLetter = [...new Set(tags.map((tag) => tag.split('-')[0]!).filter((code) => code.length === 2))];

  const fastText = await (await getLIDModel()).load();
  const LABELS = 176;
  const ranked = (text: string) => {
    const predictions = fastText.predict(text.replace(/\s+/g, ' '), LABELS, 0);
    const out: Array<{ code: string | null; probability: number }> = [];
    for (let i = 0; i < predictions.size(); i++) {
      const [probability, label] = predictions.get(i) as [number, string];
      out.push({ code: iso639_3(label.replace('__label__', '')), probability });
    }
    predictions.delete();
    return out;
  };

  const eldAll = eld.newInstance();
  const eldSubset = eld.newInstance();
  eldSubset.setLanguageSubset(twoLetter);
  const fromEld = (detector: typeof eld) => (text: string): Answer => {
    const result = detector.detect(text);
    const code = result.language ? iso639_3(result.language) : null;
    if (!code) return NONE;
    const scores = Object.values(result.getScores() as Record<string, number>).sort((a, b) => b - a);
    return { code, confidence: scores.length > 1 ? Math.max(0, Math.min(1, 1 - scores[1]! / scores[0]!)) : 1 };
  };
  const fromTiny = (only?: string[]) => (text: string): Answer => {
    const [top] = tinyDetectAll(text, only ? { only } : {});
    const code = top ? iso639_3(top.lang) : null;
    return code ? { code, confidence: top!.accuracy } : NONE;
  };

  // Reads up to 2048 bytes, as Tributary reads 2048 code units.
  const cld3 = (await loadCld3()).create(0, 2048);
  const fromCld3 = (text: string): Answer => {
    const result = cld3.findLanguage(text);
    const code = result.language === 'und' ? null : iso639_3(result.language);
    return code ? { code, confidence: result.probability } : NONE;
  };

  return {
    'fastText lid.176': (text) => {
      const [top] = ranked(text);
      return top?.code ? { code: top.code, confidence: top.probability } : NONE;
    },
    'fastText lid.176, candidates': (text) => {
      const found = ranked(text).filter((p) => p.code !== null && candidates.has(p.code));
      const total = found.reduce((sum, p) => sum + p.probability, 0);
      return found[0] ? { code: found[0].code!, confidence: total > 0 ? found[0].probability / total : 0 } : NONE;
    },
    ELD: fromEld(eldAll),
    'ELD, candidates': fromEld(eldSubset),
    TinyLD: fromTiny(),
    'TinyLD, candidates': fromTiny(twoLetter),
    cld3: fromCld3,
  };
}
