import { languageMismatch } from '../../../pipelines/language/identify.js';
import { checkTextSample } from '../../../pipelines/text/check.js';
import { keyOfNormalized } from '../../../pipelines/text/normalize.js';
import { TextProblemError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import type { Contributor } from '../stores/contributors.js';
import type { SampleWriter } from '../sample-writer.js';
import type { Sample } from '../stores/samples.js';
import type { ConsentService } from './consent.js';
import type { NodeLanguageId } from './node-language-id.js';

export interface TextSubmission {
  language: string;
  text: string;
  consentRecordId?: string;
}

/**
 * Takes a text contribution: consent first, then the text rules, then language ID. A language
 * or script mismatch never refuses the text: it is stored with the flag so validators decide.
 */
export class TextIntake {
  constructor(
    private readonly writer: SampleWriter,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly langid: NodeLanguageId,
    private readonly consent: ConsentService,
  ) {}

  async submit(contributor: Contributor, input: TextSubmission): Promise<Sample> {
    const tag = this.languages.resolve(input.language);
    const consentRecord = this.consent.activeRecordFor(contributor, input.consentRecordId);
    const checked = checkTextSample(input.text, { maxChars: this.config.limits.textMaxChars });
    if (!checked.ok) throw new TextProblemError(checked.problem, checked.detail);

    const lid = this.langid.identify(checked.text);
    const sample = {
      id: newId(),
      contributorId: contributor.id,
      consentRecordId: consentRecord.id,
      modality: 'text' as const,
      language: tag.tag,
      iso639_3: tag.iso639_3,
      text: checked.text,
      textKey: keyOfNormalized(checked.text),
      promptId: null,
      lid: { code: lid.code, score: lid.score, script: lid.script, model: lid.model, mismatch: languageMismatch(tag, lid), reason: lid.reason ?? null },
      audio: null,
      uploadId: null,
      license: consentRecord.license,
      createdAt: nowIso(),
    };
    return this.writer.insert(sample);
  }
}
