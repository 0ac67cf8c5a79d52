import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  identifySpeechLanguage,
  NO_SPEECH_MODEL,
  speechUndetermined,
  type SpeechLanguageId,
} from '../../../pipelines/language/speech-lid.js';
import { readSpeechModel, SPEECH_MODEL_FILE, type SpeechScoring } from '../../../pipelines/language/speech-model.js';
import { defaultContactLanguages } from '../../../pipelines/language/contact-languages.js';
import type { LanguageTag } from '../../../pipelines/language/tags.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';

/**
 * The node's spoken-language ID: the TensorFlow.js model folder named by `lid.speechModel` in
 * node.json (relative to the node's folder), scored on the analysis threads as each clip is
 * analysed. The node reads the model once as it starts, so a wrong path or a folder that holds
 * no model stops it with the reason; a model replaced while the node runs is used from the
 * next clip on, and one that cannot be read then leaves clips with the declared language.
 */
export class NodeSpeechLanguageId {
  /** The model's folder, or undefined when the node has none. */
  readonly dir: string | undefined;
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
    this.dir = path === undefined ? undefined : isAbsolute(path) ? path : resolve(nodeDir, path);
    if (this.dir !== undefined) {
      try {
        this.describe(this.dir);
      } catch (error) {
        throw new ConfigError(`lid.speechModel in node.json: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** The version of the model in use (for release manifests), `none` without one. */
  get model(): string {
    if (this.dir === undefined) return NO_SPEECH_MODEL;
    try {
      return this.describe(this.dir);
    } catch {
      return NO_SPEECH_MODEL;
    }
  }

  private describe(dir: string): string {
    const stat = statSync(join(dir, SPEECH_MODEL_FILE));
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (this.described?.signature !== signature) this.described = { signature, version: readSpeechModel(dir).version };
    return this.described.version;
  }

  /** What the clip's language is judged to be, from the analysis threads' scoring. */
  judge(declared: LanguageTag, scoring: SpeechScoring | undefined): SpeechLanguageId {
    if (this.dir === undefined || scoring === undefined) return speechUndetermined('NoSpeechModel');
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
}
