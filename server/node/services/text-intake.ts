import { identifyLanguage, languageMismatch } from '../../../pipelines/language/identify.js';
import { checkTextSample } from '../../../pipelines/text/check.js';
import { textKey } from '../../../pipelines/text/normalize.js';
import type { Db } from '../../core/db.js';
import { DuplicateTextError, TextProblemError } from '../../core/errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import type { Contributor } from '../stores/contributors.js';
import type { Sample, SampleStore } from '../stores/samples.js';
import type { ConsentService } from './consent.js';

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
    private readonly db: Db,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly consent: ConsentService,
    private readonly samples: SampleStore,
  ) {}

  submit(contributor: Contributor, input: TextSubmission): Sample {
    const tag = this.languages.resolve(input.language);
    const consentRecord = this.consent.activeRecordFor(contributor, input.consentRecordId);
    const checked = checkTextSample(input.text, { maxChars: this.config.limits.textMaxChars });
    if (!checked.ok) throw new TextProblemError(checked.problem, checked.detail);

    const lid = identifyLanguage(checked.text, {
      candidates: this.languages.candidates as string[],
      contactLanguages: this.config.lid.contactLanguages,
      minLength: this.config.lid.minLength,
    });
    const sample = {
      id: newId(),
      contributorId: contributor.id,
      consentRecordId: consentRecord.id,
      modality: 'text' as const,
      language: tag.tag,
      iso639_3: tag.iso639_3,
      text: checked.text,
      textKey: textKey(checked.text),
      promptId: null,
      lid: { code: lid.code, score: lid.score, script: lid.script, model: lid.model, mismatch: languageMismatch(tag, lid) },
      license: consentRecord.license,
      createdAt: nowIso(),
    };
    this.db.transaction(() => {
      if (this.samples.textKeyTaken(sample.language, sample.textKey)) throw new DuplicateTextError();
      this.samples.insert(sample);
    })();
    return { ...sample, status: 'pending', decidedAt: null, withdrawnAt: null };
  }
}
