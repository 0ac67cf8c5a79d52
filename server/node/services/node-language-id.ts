import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLanguageIdentifier, type LanguageIdentifier, type LanguageIdResult } from '../../../pipelines/language/identify.js';
import { baseLanguageModelFor } from '../../../pipelines/language/base-model.js';
import { decodeLearnedModel, encodeWeights, type LearnedModel } from '../../../pipelines/language/learned-model.js';
import type { TrainingExample } from '../../../pipelines/language/train.js';
import type { Db } from '../../core/db.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import { ModelVersions } from './model-versions.js';

/**
 * A node's learned language models (`tributary langid train`), kept in its folder as
 * `langid/<version>/model.json` + `weights.bin`, with `langid/current.json` naming the one in use.
 */
export class LearnedModelFolder {
  private readonly versions: ModelVersions;
  private loaded: { signature: string; model: LearnedModel | undefined } | undefined;

  constructor(nodeDir: string) {
    this.versions = new ModelVersions(join(nodeDir, 'langid'), /^ngram-[0-9a-f]{12}$/);
  }

  get pointerPath(): string {
    return this.versions.pointerPath;
  }

  /** Writes the model under its version and makes it current; returns its folder. */
  save(model: LearnedModel): string {
    return this.versions.save(model.meta.version, [
      ['weights.bin', encodeWeights(model)],
      ['model.json', JSON.stringify(model.meta, null, 2) + '\n'],
    ]);
  }

  /**
   * The model in use, or undefined when none was trained. Checks the pointer on every call, so
   * that a model trained by the CLI while the node runs is used from the next text on. A model
   * that cannot be read is reported once through `onError` and the node carries on without it.
   */
  current(onError: (error: Error) => void = () => {}): LearnedModel | undefined {
    const signature = this.versions.signature();
    if (this.loaded?.signature === signature) return this.loaded.model;
    let model: LearnedModel | undefined;
    try {
      const current = this.versions.current();
      if (current) {
        model = decodeLearnedModel(JSON.parse(readFileSync(join(current.dir, 'model.json'), 'utf8')), readFileSync(join(current.dir, 'weights.bin')));
      }
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
    this.loaded = { signature, model };
    return model;
  }
}

/**
 * The node's language ID: the base for its languages and LID settings, with its learned model
 * when one is current, else with the model shipped with Tributary (base-model.ts). Text intake, prompt import, rescoring and release manifests all ask
 * this one object, so they agree on the decision and on the model they record.
 */
export class NodeLanguageId {
  private identifier: LanguageIdentifier | undefined;
  private learned: LearnedModel | undefined;

  constructor(
    private readonly languages: NodeLanguages,
    private readonly lid: NodeConfig['lid'],
    private readonly folder: LearnedModelFolder,
    private readonly onModelError: (error: Error) => void = () => {},
  ) {}

  private current(): LanguageIdentifier {
    const learned = this.folder.current(this.onModelError);
    if (!this.identifier || learned !== this.learned) {
      this.learned = learned;
      const model = learned ?? baseLanguageModelFor(this.languages.tags);
      this.identifier = createLanguageIdentifier({
        candidates: this.languages.tags,
        contactLanguages: this.lid.contactLanguages,
        minLength: this.lid.minLength,
        ...(model ? { learned: model } : {}),
      });
    }
    return this.identifier;
  }

  identify(text: string): LanguageIdResult {
    return this.current()(text);
  }

  /** What results decided now record (`LANGID_MODEL`, + the learned model's version). */
  get model(): string {
    return this.current().model;
  }
}

/** Texts per language a training run reads at most (the newest): bounds its memory and time. */
export const MAX_TRAINING_TEXTS_PER_LANGUAGE = 5_000;

/**
 * What a node knows to be in each of its languages: validated text samples and accepted
 * prompts, each labelled with the node language its declared tag falls under (`sw-KE` → `sw`,
 * `sw-CD` stays `sw-CD` when the node lists it).
 */
export function nodeTrainingTexts(db: Db, languages: NodeLanguages, perLanguage = MAX_TRAINING_TEXTS_PER_LANGUAGE): TrainingExample[] {
  const rows = db
    .prepare(
      `SELECT language, text FROM (
         SELECT language, text, ROW_NUMBER() OVER (PARTITION BY language ORDER BY created_at DESC) AS n FROM (
           SELECT language, text, created_at FROM samples WHERE modality = 'text' AND status = 'validated' AND text IS NOT NULL
           UNION ALL
           SELECT language, text, created_at FROM prompts WHERE status = 'accepted'))
       WHERE n <= ?`,
    )
    .all(perLanguage) as Array<{ language: string; text: string }>;
  const own = new Set(languages.tags.map((tag) => tag.tag));
  return rows.map((row) => ({ text: row.text, tag: languages.home(row.language) })).filter((example) => own.has(example.tag));
}
