/**
 * `npm run build:langid-base`: rebuilds the language model shipped in
 * pipelines/language/base-model/ (see base-model.ts). It trains train.ts on the catalogue texts
 * (langid-corpus.ts `buildTrainingPool`: up to LANGID_BASE_TEXTS, 10,000, per language, none of
 * them among the calibration and evaluation texts the bench measures on), stores it as int8,
 * and prints the evaluation accuracy
 * of the float32 and int8 weights so that the rounding's cost is seen. Needs the catalogues the
 * bench needs (Debian's packages with translations installed; `packages` in results.json).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLanguageIdentifier } from '../../pipelines/language/identify.js';
import { encodeWeights, quantized, type LearnedModel } from '../../pipelines/language/learned-model.js';
import { trainLanguageModel } from '../../pipelines/language/train.js';
import { sameLanguage } from '../../pipelines/language/macrolanguages.js';
import { parseLanguageTag } from '../../pipelines/language/tags.js';
import { buildHeldOutSet, buildTrainingPool } from './langid-corpus.js';

const target = fileURLToPath(new URL('../../pipelines/language/base-model/', import.meta.url));

async function main(): Promise<void> {
  const set = buildHeldOutSet();
  const tags = [...new Set(set.texts.map((t) => t.tag))];
  const perLanguage = Number(process.env.LANGID_BASE_TEXTS ?? 10_000);
  const training = buildTrainingPool(perLanguage);
  const evaluation = set.texts.filter((t) => t.split === 'evaluation');
  const epochs = Number(process.env.LANGID_BASE_EPOCHS ?? 8);
  console.log(`held-out set ${set.sha256.slice(0, 12)} (the bench's; none of it is trained on)`);
  console.log(`training on ${training.length} texts (up to ${perLanguage} per language) in ${new Set(training.map((t) => t.tag)).size} languages (${epochs} epochs at most)…`);
  let last = 0;
  const model = await trainLanguageModel(
    training.map((t) => ({ text: t.text, tag: t.tag })),
    {
      base: { candidates: tags, contactLanguages: [] },
      epochs,
      // Stored as int8 (a byte per weight), so train.ts's float32 cap for a node's own model does
      // not apply: 2^16 buckets × 70 languages is 4.6 MB.
      buckets: Number(process.env.LANGID_BASE_BUCKETS ?? 65_536),
      onProgress: (p) => {
        if (Date.now() - last < 15_000) return;
        last = Date.now();
        console.log(`  epoch ${p.epoch}/${p.epochs}, batch ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}`);
      },
    },
  );
  const stored = quantized(model);
  const accuracy = (learned: LearnedModel) => {
    const identify = createLanguageIdentifier({ candidates: tags, contactLanguages: [], learned });
    const right = evaluation.filter((t) => sameLanguage(identify(t.text).code, parseLanguageTag(t.tag)!.iso639_3)).length;
    return `${((100 * right) / evaluation.length).toFixed(2)}%`;
  };
  console.log(`evaluation top-1, all ${evaluation.length} texts: float32 ${accuracy(model)}, int8 ${accuracy(stored)}`);

  const partial = `${target.replace(/\/$/, '')}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const weights = encodeWeights(stored);
  writeFileSync(join(partial, 'weights.bin'), weights);
  writeFileSync(join(partial, 'model.json'), JSON.stringify(stored.meta, null, 2) + '\n');
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  console.log(`wrote ${stored.meta.version} (${(weights.length / 1e6).toFixed(1)} MB) to ${target}`);
}

await main();
