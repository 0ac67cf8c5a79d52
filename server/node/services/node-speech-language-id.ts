import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { toTargetMono } from '../../../pipelines/audio/analyse.js';
import { decodeClip } from '../../../pipelines/audio/decode.js';
import { defaultContactLanguages } from '../../../pipelines/language/contact-languages.js';
import {
  identifySpeechLanguage,
  NO_SPEECH_MODEL,
  speechUndetermined,
  type SpeechLanguageId,
} from '../../../pipelines/language/speech-lid.js';
import { readSpeechModel, SPEECH_MODEL_FILE, type SpeechScoring } from '../../../pipelines/language/speech-model.js';
import type { SpeechTrainingClip, TrainedSpeechModel } from '../../../pipelines/language/speech-train.js';
import { parseLanguageTag, type LanguageTag } from '../../../pipelines/language/tags.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { Db } from '../../core/db.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import { ModelVersions } from './model-versions.js';


/**
 * The node's spoken-language ID: a TensorFlow.js model folder, scored on the analysis threads
 * as each clip is analysed. The folder is `lid.speechModel` in node.json (relative to the node's
 * folder) when set, else the model `tributary langid train-speech` last made from the node's own
 * validated clips (`langid/speech/current.json`). A configured folder is read as the node starts,
 * so a wrong path stops it with the reason; a model replaced or trained while the node runs is
 * used from the next clip on, and one that cannot be read leaves clips with the declared language.
 */
export class NodeSpeechLanguageId {
  private readonly configured: string | undefined;
  /** Where `langid train-speech` keeps the node's own speech models. */
  private readonly trained: ModelVersions;
  private pointer: { signature: string; dir: string | undefined } | undefined;
  private described: { signature: string; version: string } | undefined;
  private lastProblem: string | undefined;
  /** ISO 639-3 codes a clip may be judged to be in: the node's languages and contact languages. */
  private readonly candidates: readonly string[];

  constructor(
    nodeDir: string,
    config: NodeConfig,
    languages: NodeLanguages,
    private readonly log: Logger,
  ) {
    this.candidates = [...new Set([...languages.candidates, ...(config.lid.contactLanguages ?? defaultContactLanguages)])];
    const path = config.lid.speechModel;
    this.configured = path === undefined ? undefined : isAbsolute(path) ? path : resolve(nodeDir, path);
    this.trained = new ModelVersions(join(nodeDir, 'langid', 'speech'), /^speech-[0-9a-f]{12}$/);
    if (this.configured !== undefined) {
      try {
        this.describe(this.configured);
      } catch (error) {
        throw new ConfigError(`lid.speechModel in node.json: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** The folder of the model in use, or undefined without one; one `stat` when none is configured. */
  get dir(): string | undefined {
    if (this.configured !== undefined) return this.configured;
    const signature = this.trained.signature();
    if (this.pointer?.signature !== signature) {
      let dir: string | undefined;
      try {
        dir = this.trained.current()?.dir;
      } catch (error) {
        this.log.error({ err: error }, 'the trained speech model cannot be found; clips keep their declared language');
      }
      this.pointer = { signature, dir };
    }
    return this.pointer.dir;
  }

  /** The version of the model in use (for release manifests), `none` without one. */
  get model(): string {
    const dir = this.dir;
    if (dir === undefined) return NO_SPEECH_MODEL;
    try {
      return this.describe(dir);
    } catch {
      return NO_SPEECH_MODEL;
    }
  }

  private describe(dir: string): string {
    const stat = statSync(join(dir, SPEECH_MODEL_FILE));
    const signature = `${dir}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (this.described?.signature !== signature) this.described = { signature, version: readSpeechModel(dir).version };
    return this.described.version;
  }

  /** What the clip's language is judged to be, from the analysis threads' scoring (undefined: none was asked). */
  judge(declared: LanguageTag, scoring: SpeechScoring | undefined): SpeechLanguageId {
    if (scoring === undefined) return speechUndetermined('NoSpeechModel');
    if ('unavailable' in scoring) {
      if (this.lastProblem !== scoring.unavailable) {
        this.lastProblem = scoring.unavailable;
        this.log.error({ reason: scoring.unavailable }, 'the speech language model cannot be used; clips keep their declared language');
      }
      return speechUndetermined('SpeechModelUnavailable');
    }
    this.lastProblem = undefined;
    return identifySpeechLanguage(declared, scoring.scores, this.candidates, scoring.scores?.model ?? this.model);
  }

  /**
   * Keeps a model trained on the node's clips under its version and makes it the one in use
   * (unless node.json names another); returns its version and folder.
   */
  saveTrained(trained: TrainedSpeechModel): { version: string; dir: string } {
    return { version: trained.version, dir: this.trained.save(trained.version, trained.files) };
  }
}

/** Validated clips a training run reads at most per language (the newest): bounds its memory. */
export const MAX_TRAINING_CLIPS_PER_LANGUAGE = 300;

/**
 * The node's validated clips as training data, each labelled with the node language its tag
 * falls under, decoded from the normalised 16 kHz copies the node keeps.
 */
export async function nodeTrainingClips(
  db: Db,
  blobs: BlobStore,
  languages: NodeLanguages,
  perLanguage = MAX_TRAINING_CLIPS_PER_LANGUAGE,
): Promise<SpeechTrainingClip[]> {
  const rows = db
    .prepare(
      `SELECT language, audio_normalized FROM (
         SELECT language, audio_normalized, ROW_NUMBER() OVER (PARTITION BY language ORDER BY created_at DESC, id DESC) AS n
         FROM samples WHERE modality = 'speech' AND status = 'validated' AND audio_normalized IS NOT NULL)
       WHERE n <= ? ORDER BY language, audio_normalized`,
    )
    .all(perLanguage) as Array<{ language: string; audio_normalized: string }>;
  const clips: SpeechTrainingClip[] = [];
  for (const row of rows) {
    const decoded = await decodeClip(await blobs.get(row.audio_normalized), { maxSeconds: 60 });
    if (!decoded.ok) continue;
    const tag = languages.home(row.language);
    clips.push({ tag, code: parseLanguageTag(tag)!.iso639_3, mono: toTargetMono(decoded.clip) });
  }
  return clips;
}
