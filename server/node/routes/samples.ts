import type { NodeRoute } from '../auth.js';
import type { TextIntake } from '../services/text-intake.js';
import type { ValidationService } from '../services/validation.js';
import { idParams, reportBody, reportView, voteBody } from './common.schema.js';
import { queueQuery, queueView, sampleView, textSampleBody } from './samples.schema.js';
import { report, sample } from './views.js';

export function sampleRoutes(
  route: NodeRoute,
  services: { textIntake: TextIntake; validation: ValidationService },
): void {
  route({
    method: 'post',
    path: '/samples/text',
    tag: 'samples',
    summary: 'Contribute text in a declared language; language ID flags mismatches for validators',
    access: 'contributor',
    body: textSampleBody,
    status: 201,
    response: sampleView,
    errors: ['ConsentRequired', 'LanguageNotSupported', 'InvalidLanguageTag', 'TextEmpty', 'TextTooLong',
      'TextControlCharacters', 'DuplicateText'],
    handler: async ({ principal, body }) => sample(await services.textIntake.submit(principal, body)),
  });

  route({
    method: 'get',
    path: '/samples/to-validate',
    tag: 'validation',
    summary: 'Samples waiting for my vote: not mine, not yet voted on by me, not on hold',
    access: 'contributor',
    query: queueQuery,
    response: queueView,
    handler: ({ principal, query }) => ({
      samples: services.validation
        .queue(principal, { language: query.lang, modality: query.modality, limit: query.limit })
        .map(sample),
    }),
  });

  route({
    method: 'post',
    path: '/samples/:id/votes',
    tag: 'validation',
    summary: 'Vote up, down or skip; a quorum validates or rejects the sample',
    access: 'contributor',
    params: idParams,
    body: voteBody,
    status: 201,
    response: sampleView,
    errors: ['NotFound', 'OwnSample', 'AlreadyVoted', 'VotingClosed', 'SampleOnHold', 'SampleWithdrawn'],
    handler: ({ principal, params, body }) => sample(services.validation.vote(principal, params.id, body.value)),
  });

  route({
    method: 'post',
    path: '/samples/:id/reports',
    tag: 'validation',
    summary: 'Report a sample; it is held from validation until a moderator decides',
    access: 'contributor',
    params: idParams,
    body: reportBody,
    status: 201,
    response: reportView,
    errors: ['NotFound', 'AlreadyReported', 'SampleWithdrawn'],
    handler: ({ principal, params, body }) =>
      report(services.validation.report(principal, { sampleId: params.id }, body)),
  });
}
