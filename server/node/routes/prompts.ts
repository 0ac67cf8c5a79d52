import type { NodeRoute } from '../auth.js';
import type { PromptService } from '../services/prompts.js';
import type { ValidationService } from '../services/validation.js';
import { idParams, reportBody, reportView, voteBody } from './common.schema.js';
import { promptListView, promptQuery, promptView, proposeBody } from './prompts.schema.js';
import { prompt, report } from './views.js';

export function promptRoutes(
  route: NodeRoute,
  services: { prompts: PromptService; validation: ValidationService },
): void {
  route({
    method: 'get',
    path: '/prompts',
    tag: 'prompts',
    summary: 'Sentences to read aloud in a language, least-recorded first, none I have recorded',
    access: 'contributor',
    query: promptQuery,
    response: promptListView,
    handler: ({ principal, query }) => ({
      prompts: services.prompts.forReading(principal, query.lang, query.limit).map(prompt),
    }),
  });

  route({
    method: 'post',
    path: '/prompts',
    tag: 'prompts',
    summary: 'Propose a sentence; it is used once enough volunteers vote it up',
    access: 'contributor',
    body: proposeBody,
    status: 201,
    response: promptView,
    errors: ['DuplicatePrompt', 'SentenceHasDigits', 'SentenceHasSymbols', 'TextTooLong', 'TextTooShort'],
    handler: ({ principal, body }) => prompt(services.prompts.propose(principal, body.language, body)),
  });

  route({
    method: 'get',
    path: '/prompts/to-review',
    tag: 'prompts',
    summary: 'Proposed sentences waiting for my vote',
    access: 'contributor',
    query: promptQuery,
    response: promptListView,
    handler: ({ principal, query }) => ({
      prompts: services.prompts.toReview(principal, query.lang, query.limit).map(prompt),
    }),
  });

  route({
    method: 'post',
    path: '/prompts/:id/votes',
    tag: 'prompts',
    summary: 'Vote on a proposed sentence',
    access: 'contributor',
    params: idParams,
    body: voteBody,
    status: 201,
    response: promptView,
    errors: ['NotFound', 'OwnSample', 'AlreadyVoted', 'VotingClosed'],
    handler: ({ principal, params, body }) => prompt(services.prompts.vote(principal, params.id, body.value)),
  });

  route({
    method: 'post',
    path: '/prompts/:id/reports',
    tag: 'prompts',
    summary: 'Report a sentence as offensive, wrong or otherwise unfit',
    access: 'contributor',
    params: idParams,
    body: reportBody,
    status: 201,
    response: reportView,
    errors: ['NotFound', 'AlreadyReported'],
    handler: ({ principal, params, body }) =>
      report(services.validation.report(principal, { promptId: params.id }, body)),
  });
}
