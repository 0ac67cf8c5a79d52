import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { learnedModelApplies, type IdentifyOptions } from './identify.js';
import { decodeLearnedModel, learnedModelMeta, type LearnedModel } from './learned-model.js';

/**
 * The n-gram model that ships with Tributary (pipelines/language/base-model/), weighed with
 * franc wherever a node has not trained its own (`tributary langid train`, which starts from
 * it). It knows 70 of the 71 languages of the translated message catalogues Debian installs
 * (test/bench/langid-corpus.ts; Amharic has too little text), trained with train.ts on
 * up to 10,000 of their texts per language, none of which the bench evaluates on;
 * `npm run build:langid-base` rebuilds it
 * (test/bench/langid-base.ts). Stored as int8, 4.6 MB. Like any learned model it takes part only
 * for candidates among its languages, and only when it can change an answer: two or more of them
 * are candidates, or one that franc does not know.
 */
function baseModelDir(): string {
  // From source the folder is beside this file. Compiled (dist/, or the tests' build under
  // test/.cache/), it is still in the source tree: the first ancestor that holds it.
  let dir = fileURLToPath(new URL('.', import.meta.url));
  if (existsSync(join(dir, 'base-model', 'model.json'))) return join(dir, 'base-model');
  for (let parent = dirname(dir); parent !== dir; dir = parent, parent = dirname(dir)) {
    const candidate = join(parent, 'pipelines', 'language', 'base-model');
    if (existsSync(join(candidate, 'model.json'))) return candidate;
  }
  throw new Error('pipelines/language/base-model/ is missing: the package is incomplete');
}

let meta: unknown;
let loaded: LearnedModel | undefined;

/** The shipped model, read once per process (about 30 ms, and 17 MB of float32 weights). */
export function baseLanguageModel(): LearnedModel {
  if (!loaded) {
    const dir = baseModelDir();
    loaded = decodeLearnedModel(baseModelMeta(), readFileSync(join(dir, 'weights.bin')));
  }
  return loaded;
}

/**
 * The shipped model when it has something to add for these candidates, else undefined without
 * reading its weights: a node whose languages it does not know keeps its memory.
 */
export function baseLanguageModelFor(candidates: IdentifyOptions['candidates']): LearnedModel | undefined {
  return learnedModelApplies(learnedModelMeta.parse(baseModelMeta()), candidates) ? baseLanguageModel() : undefined;
}

function baseModelMeta(): unknown {
  meta ??= JSON.parse(readFileSync(join(baseModelDir(), 'model.json'), 'utf8'));
  return meta;
}
