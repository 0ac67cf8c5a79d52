import { createRequire } from 'node:module';
import { languageMismatch } from '../../../pipelines/language/identify.js';
import { checkSentence } from '../../../pipelines/text/check.js';
import { keyOfNormalized } from '../../../pipelines/text/normalize.js';
import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import {
  AlreadyVotedError,
  DuplicatePromptError,
  OwnSampleError,
  TextProblemError,
  UnknownLicenseError,
  VotingClosedError,
} from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import { decide, type VoteValue } from '../domain/quorum.js';
import type { NodeLanguages } from '../languages.js';
import type { Contributor } from '../stores/contributors.js';
import type { Prompt, PromptStatus, PromptStore } from '../stores/prompts.js';
import type { VoteStore } from '../stores/votes.js';
import type { NodeLanguageId } from './node-language-id.js';

export interface PromptInput {
  text: string;
  source?: string;
  license?: string;
}

/** A sentence to import; `line` numbers it in the file it came from (else its place in the list). */
export interface ImportItem extends PromptInput {
  line?: number;
}

export interface ImportOptions {
  /** Import sentences whose language ID disagrees with the declared language too. */
  force?: boolean;
}

export interface RefusedLine {
  line: number;
  text: string;
  /** An error code: a text rule's (`SentenceHasDigits`, …) or `UnknownLicense`. */
  problem: string;
  detail: string;
}

/** A sentence language ID places in another language or script than the one declared. */
export interface FlaggedLine {
  line: number;
  text: string;
  mismatch: 'language' | 'script';
  /** What language ID found: an ISO 639-3 code and its confidence. */
  detected: string;
  score: number;
  /** Only with `force`, and only when it was not already on the node. */
  imported: boolean;
}

export interface ImportOutcome {
  imported: number;
  duplicates: number;
  refused: RefusedLine[];
  flagged: FlaggedLine[];
}

export type LicenseCheck = { ok: true; license: string } | { ok: false; detail: string };

// Data only (the SPDX license list); loaded once, matched without regard to case as SPDX says
// ids are, and stored in SPDX's own spelling.
const requireJson = createRequire(import.meta.url);
const spdxIds = new Map(
  (requireJson('spdx-license-ids') as string[]).map((id): [string, string] => [id.toLowerCase(), id]),
);
const deprecatedSpdxIds = new Set(
  (requireJson('spdx-license-ids/deprecated.json') as string[]).map((id) => id.toLowerCase()),
);
/** SPDX's own form for a licence that is not on its list. */
const licenseRef = /^LicenseRef-[A-Za-z0-9.-]+$/;

/**
 * A licence as releases state it: one current SPDX license id (CC-BY-4.0, CC0-1.0, …) or a
 * `LicenseRef-…` for terms of the community's own. Expressions (`MIT OR CC0-1.0`) are refused:
 * a sentence has one licence, and manifests link it by id.
 */
export function checkLicense(value: string): LicenseCheck {
  const trimmed = value.trim();
  if (licenseRef.test(trimmed)) return { ok: true, license: trimmed };
  const key = trimmed.toLowerCase();
  const known = spdxIds.get(key);
  if (known) return { ok: true, license: known };
  if (deprecatedSpdxIds.has(key)) {
    return { ok: false, detail: `"${trimmed}" is a deprecated SPDX id; use its current form (e.g. GPL-2.0-only for GPL-2.0).` };
  }
  return {
    ok: false,
    detail: `"${trimmed}" is not an SPDX license id (such as CC-BY-4.0 or CC0-1.0, see spdx.org/licenses) nor a LicenseRef-… of the community's own.`,
  };
}

export class PromptService {
  constructor(
    private readonly db: Db,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly langid: NodeLanguageId,
    private readonly prompts: PromptStore,
    private readonly votes: VoteStore,
  ) {}

  /**
   * Admin import: sentences that pass the language's rules and carry a known licence go
   * straight to `accepted`. A sentence language ID places elsewhere is flagged and left out
   * unless `force` says the admin knows better: unlike a contribution, an imported sentence is
   * shown to readers at once, with no validator in between.
   */
  import(language: string, items: ImportItem[], options: ImportOptions = {}): ImportOutcome {
    const tag = this.languages.resolve(language);
    const outcome: ImportOutcome = { imported: 0, duplicates: 0, refused: [], flagged: [] };
    // Checked before the write transaction: language ID is the slow part, and the sample
    // writer thread waits for the database while a transaction is open.
    const accepted: Array<{ prompt: ReturnType<PromptService['newPrompt']>; flag?: FlaggedLine }> = [];
    items.forEach((item, index) => {
      const line = item.line ?? index + 1;
      const license = item.license === undefined ? undefined : checkLicense(item.license);
      if (license && !license.ok) {
        outcome.refused.push({ line, text: item.text, problem: UnknownLicenseError.code, detail: license.detail });
        return;
      }
      const checked = checkSentence(item.text, tag);
      if (!checked.ok) {
        outcome.refused.push({ line, text: item.text, problem: checked.problem, detail: checked.detail });
        return;
      }
      const lid = this.langid.identify(checked.text);
      const mismatch = languageMismatch(tag, lid);
      const flag = mismatch ? { line, text: item.text, mismatch, detected: lid.code, score: lid.score, imported: false } : undefined;
      if (flag) outcome.flagged.push(flag);
      if (flag && !options.force) return;
      const prompt = this.newPrompt(tag.tag, checked.text, { ...item, ...(license ? { license: license.license } : {}) }, 'accepted', null);
      accepted.push({ prompt, ...(flag ? { flag } : {}) });
    });
    this.db.transaction(() => {
      for (const { prompt, flag } of accepted) {
        if (this.prompts.insert(prompt)) {
          outcome.imported++;
          if (flag) flag.imported = true;
        } else {
          outcome.duplicates++;
        }
      }
    }).immediate();
    return outcome;
  }

  /** A volunteer's proposal waits for votes like a sample does. */
  propose(contributor: Contributor, language: string, item: PromptInput): Prompt {
    const tag = this.languages.resolve(language);
    const license = item.license === undefined ? undefined : checkLicense(item.license);
    if (license && !license.ok) throw new UnknownLicenseError(license.detail);
    const checked = checkSentence(item.text, tag);
    if (!checked.ok) throw new TextProblemError(checked.problem, checked.detail);
    const prompt = this.newPrompt(tag.tag, checked.text, { ...item, ...(license ? { license: license.license } : {}) }, 'pending', contributor.id);
    if (!this.prompts.insert(prompt)) throw new DuplicatePromptError();
    const { textKey: _key, ...stored } = prompt;
    return { ...stored, decidedAt: null };
  }

  forReading(reader: Contributor, language: string, limit: number): Prompt[] {
    return this.prompts.forReading(this.languages.resolve(language).tag, reader.id, limit);
  }

  toReview(reviewer: Contributor, language: string, limit: number): Prompt[] {
    return this.prompts.toReview(this.languages.resolve(language).tag, reviewer.id, limit);
  }

  vote(voter: Contributor, promptId: string, value: VoteValue): Prompt {
    return this.db.transaction(() => {
      const prompt = this.prompts.byId(promptId);
      if (!prompt) throw new NotFoundError('No such prompt.');
      if (prompt.proposedBy === voter.id) throw new OwnSampleError('You cannot vote on your own sentence.');
      if (this.votes.hasVoted(promptId, voter.id)) throw new AlreadyVotedError();
      if (prompt.status !== 'pending') throw new VotingClosedError();
      const at = nowIso();
      this.votes.insert({ targetId: promptId, contributorId: voter.id, value, createdAt: at });
      const decision = decide(this.votes.tally(promptId), this.config.votes);
      if (!decision) return prompt;
      const status: PromptStatus = decision === 'validated' ? 'accepted' : 'rejected';
      this.prompts.decide(promptId, status, at);
      return { ...prompt, status, decidedAt: at };
    }).immediate();
  }

  private newPrompt(
    language: string,
    text: string,
    item: PromptInput,
    status: 'accepted' | 'pending',
    proposedBy: string | null,
  ) {
    return {
      id: newId(),
      language,
      text,
      textKey: keyOfNormalized(text),
      source: item.source ?? null,
      license: item.license ?? this.config.license,
      status,
      proposedBy,
      createdAt: nowIso(),
    };
  }
}
