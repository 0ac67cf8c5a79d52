import { checkSentence } from '../../../pipelines/text/check.js';
import { keyOfNormalized } from '../../../pipelines/text/normalize.js';
import type { Db } from '../../core/db.js';
import {
  AlreadyVotedError,
  DuplicatePromptError,
  NotFoundError,
  OwnSampleError,
  TextProblemError,
  VotingClosedError,
} from '../../core/errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import { decide, type VoteValue } from '../domain/quorum.js';
import type { NodeLanguages } from '../languages.js';
import type { Contributor } from '../stores/contributors.js';
import type { Prompt, PromptStatus, PromptStore } from '../stores/prompts.js';
import type { VoteStore } from '../stores/votes.js';

export interface PromptInput {
  text: string;
  source?: string;
  license?: string;
}

export interface ImportOutcome {
  imported: number;
  duplicates: number;
  refused: Array<{ line: number; text: string; problem: string; detail: string }>;
}

export class PromptService {
  constructor(
    private readonly db: Db,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly prompts: PromptStore,
    private readonly votes: VoteStore,
  ) {}

  /** Admin import: sentences that pass the language's rules go straight to `accepted`. */
  import(language: string, items: PromptInput[]): ImportOutcome {
    const tag = this.languages.resolve(language);
    const outcome: ImportOutcome = { imported: 0, duplicates: 0, refused: [] };
    this.db.transaction(() => {
      items.forEach((item, index) => {
        const checked = checkSentence(item.text, tag);
        if (!checked.ok) {
          outcome.refused.push({ line: index + 1, text: item.text, problem: checked.problem, detail: checked.detail });
          return;
        }
        const inserted = this.prompts.insert(this.newPrompt(tag.tag, checked.text, item, 'accepted', null));
        if (inserted) outcome.imported++;
        else outcome.duplicates++;
      });
    }).immediate();
    return outcome;
  }

  /** A volunteer's proposal waits for votes like a sample does. */
  propose(contributor: Contributor, language: string, item: PromptInput): Prompt {
    const tag = this.languages.resolve(language);
    const checked = checkSentence(item.text, tag);
    if (!checked.ok) throw new TextProblemError(checked.problem, checked.detail);
    const prompt = this.newPrompt(tag.tag, checked.text, item, 'pending', contributor.id);
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
