import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLanguageIdentifier, type LanguageIdentifier, type LanguageIdResult } from '../../../pipelines/language/identify.js';
import { baseLanguageModelFor } from '../../../pipelines/language/base-model.js';
import { decodeLearnedModel, encodeWeights, type LearnedModel } from '../../../pipelines/language/learned-model.js';
import type { TrainingExample } from '../../../pipelines/language/train.js';
import type { Db } from '../../core/db.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';

/**
 * A node's learned language models (`tributary langid train`), kept in its folder:
 * `langid/<version>/model.json` + `weights.bin`, and `langid/current.json` naming the one in
 * use. Versions are never overwritten (the version is the content's hash), so a result's
 * recorded model can always be looked up; switching is one atomic rename of the pointer.
 */
export class LearnedModelFolder {
  private readonly root: string;
  private loaded: { signature: string; model: LearnedModel | undefined } | undefined;

  constructor(nodeDir: string) {
    this.root = join(nodeDir, 'langid');
  }

  get pointerPath(): string {
    return join(this.root, 'current.json');
  }

  /** Writes the model under its version and makes it current; returns its folder. */
  save(model: LearnedModel): string {
    const folder = join(this.root, model.meta.version);
    const partial = `${folder}.${process.pid}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'weights.bin'), encodeWeights(model));
    writeFileSync(join(partial, 'model.json'), JSON.stringify(model.meta, null, 2) + '\n');
    rmSync(folder, { recursive: true, force: true });
    renameSync(partial, folder);
    const pointer = `${this.pointerPath}.${process.pid}.partial`;
    writeFileSync(pointer, JSON.stringify({ version: model.meta.version, since: new Date().toISOString() }) + '\n');
    renameSync(pointer, this.pointerPath);
    return folder;
  }

  /**
   * The model in use, or undefined when none was trained. Checks the pointer's identity
   * (inode, size, time) on every call, a few microseconds, so that a model trained by the CLI
   * while the node runs is used from the next text on. A model that cannot be read is reported
   * once through `onError` and the node carries on with the base alone.
   */
  current(onError: (error: Error) => void = () => {}): LearnedModel | undefined {
    // No exception when there is no model (the usual case): a thrown ENOENT costs more than the stat.
    const stat = statSync(this.pointerPath, { throwIfNoEntry: false });
    const signature = stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : 'none';
    if (this.loaded?.signature === signature) return this.loaded.model;
    let model: LearnedModel | undefined;
    if (signature !== 'none') {
      try {
        const { version } = JSON.parse(readFileSync(this.pointerPath, 'utf8')) as { version: string };
        if (!/^ngram-[0-9a-f]{12}$/.test(version)) throw new Error(`langid/current.json names "${version}", not a model version`);
        const folder = join(this.root, version);
        model = decodeLearnedModel(JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')), readFileSync(join(folder, 'weights.bin')));
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)));
      }
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
