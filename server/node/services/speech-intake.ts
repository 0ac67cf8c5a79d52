import { stat } from 'node:fs/promises';
import type { ScreeningRules } from '../../../pipelines/audio/screen.js';
import type { BlobStore } from '../../core/blob-store.js';
import { tagMatchesRange } from '../../../pipelines/language/tags.js';
import { AudioProblemError, AudioTooLargeError, LanguageNotSupportedError, PromptNotFoundError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import type { AnalysisPool } from '../audio/analysis-pool.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import type { NodeSpeechLanguageId } from './node-speech-language-id.js';
import type { Contributor } from '../stores/contributors.js';
import type { PromptStore } from '../stores/prompts.js';
import type { SampleWriter } from '../sample-writer.js';
import type { LidRecord, Sample } from '../stores/samples.js';
import type { SpeechLanguageId } from '../../../pipelines/language/speech-lid.js';
import type { ConsentService } from './consent.js';
import { deleteBlobs } from './withdrawal-cleanup.js';

export interface SpeechSubmission {
  promptId: string;
  consentRecordId?: string;
  /** The language the client says it recorded; when given it must be the prompt's. */
  language?: string;
  /** The resumable upload the clip came from (unique: one upload makes at most one sample). */
  uploadId?: string;
}

/** The clip in memory, or a local file (a finished upload) that is moved into the blob store. */
export type SpeechAudio = { bytes: Uint8Array } | { path: string };

/** What the node stores the original as, from what the decoder recognised (never from the client). */
const ORIGINAL_TYPES: Record<string, { mime: string; extension: string }> = {
  'webm/opus': { mime: 'audio/webm', extension: 'webm' },
  webm: { mime: 'audio/webm', extension: 'webm' },
  mkv: { mime: 'audio/x-matroska', extension: 'mka' },
  opus: { mime: 'audio/ogg', extension: 'ogg' },
  oga: { mime: 'audio/ogg', extension: 'ogg' },
  wav: { mime: 'audio/wav', extension: 'wav' },
  mp3: { mime: 'audio/mpeg', extension: 'mp3' },
  m4a: { mime: 'audio/mp4', extension: 'm4a' },
  aac: { mime: 'audio/aac', extension: 'aac' },
  flac: { mime: 'audio/flac', extension: 'flac' },
};

/** What a sample keeps of spoken-language ID: flagged for validators, never refused. */
function speechLid(id: SpeechLanguageId): LidRecord {
  return { code: id.code, score: id.confidence, script: id.script, model: id.model, mismatch: id.mismatch, reason: id.reason };
}

export function screeningRules(config: NodeConfig): ScreeningRules {
  const { minSpeechSeconds, maxSeconds, silentPeakDbfs, maxClippingRatio, lowSnrDb, maxSilenceRatio } = config.audio;
  return { minSpeechSeconds, maxSeconds, silentPeakDbfs, maxClippingRatio, lowSnrDb, maxSilenceRatio };
}

/**
 * Takes a recording of a prompt: consent first, then the audio pipeline on a worker thread, then
 * the blobs, then the row. A refused clip leaves nothing behind; a stored one is queued for
 * validation with its facts and any borderline flags.
 */
export class SpeechIntake {
  private readonly rules: ScreeningRules;

  constructor(
    private readonly writer: SampleWriter,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly speechLangid: NodeSpeechLanguageId,
    private readonly consent: ConsentService,
    private readonly prompts: PromptStore,
    private readonly blobs: BlobStore,
    private readonly pool: AnalysisPool,
    private readonly log: Logger,
  ) {
    this.rules = screeningRules(config);
  }

  /** Checks that need no audio, so an upload can be refused before its bytes are sent. */
  precheck(contributor: Contributor, input: SpeechSubmission) {
    const prompt = this.prompts.byId(input.promptId);
    if (!prompt || prompt.status !== 'accepted') throw new PromptNotFoundError();
    const promptTag = this.languages.resolve(prompt.language);
    // A more specific declared tag (sw-KE for a sw sentence) is kept: it says more about the speech.
    const tag = input.language === undefined ? promptTag : this.languages.resolve(input.language);
    if (!tagMatchesRange(tag.tag, promptTag.tag)) {
      throw new LanguageNotSupportedError(`This sentence is in ${promptTag.tag}, not ${tag.tag}.`);
    }
    const consentRecord = this.consent.activeRecordFor(contributor, input.consentRecordId);
    return { prompt, tag, consentRecord };
  }

  async submit(contributor: Contributor, input: SpeechSubmission, audio: SpeechAudio): Promise<Sample> {
    const { prompt, tag, consentRecord } = this.precheck(contributor, input);
    const size = 'bytes' in audio ? audio.bytes.byteLength : (await stat(audio.path)).size;
    if (size > this.config.audio.maxBytes) throw new AudioTooLargeError();

    const analysis = await this.pool.analyse(audio, this.rules, this.speechLangid.dir);
    if (!analysis.ok) throw new AudioProblemError(analysis.problem, analysis.reason, analysis.facts && { facts: analysis.facts });

    const id = newId();
    const type = ORIGINAL_TYPES[analysis.facts.format] ?? { mime: 'application/octet-stream', extension: 'bin' };
    const originalKey = `samples/${id}/original.${type.extension}`;
    const normalizedKey = `samples/${id}/normalized.wav`;
    const { sha256 } = analysis;
    await ('bytes' in audio ? this.blobs.put(originalKey, audio.bytes) : this.blobs.putFile(originalKey, audio.path));
    await this.blobs.put(normalizedKey, analysis.normalized);

    const sample = {
      id,
      contributorId: contributor.id,
      consentRecordId: consentRecord.id,
      modality: 'speech' as const,
      language: tag.tag,
      iso639_3: tag.iso639_3,
      text: prompt.text,
      textKey: null,
      promptId: prompt.id,
      lid: speechLid(this.speechLangid.judge(tag, analysis.language)),
      audio: { originalKey, originalType: type.mime, sha256, normalizedKey, facts: analysis.facts, flags: analysis.flags },
      license: consentRecord.license,
      createdAt: nowIso(),
      uploadId: input.uploadId ?? null,
    };
    try {
      // The writer checks consent again as it writes: a withdrawal may have landed during analysis.
      return await this.writer.insert(sample);
    } catch (error) {
      await deleteBlobs(this.blobs, [originalKey, normalizedKey], this.log);
      throw error;
    }
  }
}
