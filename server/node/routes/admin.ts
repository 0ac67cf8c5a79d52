import { z } from 'zod';
import type { NodeRoute } from '../auth.js';
import type { ContributorService } from '../services/contributors.js';
import type { PromptService } from '../services/prompts.js';
import type { ValidationService } from '../services/validation.js';
import { idParams, limitQuery, openReportView, reportView } from './common.schema.js';
import { profileView } from './contributors.schema.js';
import { importBody, importView } from './prompts.schema.js';
import { staffMemberView } from './operator.schema.js';
import { profile, report } from './views.js';

export function adminRoutes(
  route: NodeRoute,
  services: { contributors: ContributorService; prompts: PromptService; validation: ValidationService },
): void {
  route({
    method: 'post',
    path: '/admin/prompts',
    tag: 'admin',
    summary:
      'Import sentences to read; each is checked against the language’s rules and its licence, and sentences ' +
      'language ID places in another language are flagged and left out unless `force` is true',
    access: 'admin',
    body: importBody,
    response: importView,
    errors: ['LanguageNotSupported', 'InvalidLanguageTag'],
    handler: ({ body }) => services.prompts.import(body.language, body.prompts, { force: body.force ?? false }),
  });

  route({
    method: 'get',
    path: '/admin/reports',
    tag: 'admin',
    summary: 'Open reports, oldest first, each with what it is about (the sentence, or the sample and what it says)',
    access: 'reviewer',
    query: z.object({ limit: limitQuery }),
    response: z.object({ reports: z.array(openReportView) }),
    handler: ({ query }) => ({ reports: services.validation.openReports(query.limit).map((r) => ({ ...report(r), subject: r.subject })) }),
  });

  route({
    method: 'post',
    path: '/admin/reports/:id/resolution',
    tag: 'admin',
    summary: 'Uphold (reject the sample or sentence) or dismiss (release it back to validation)',
    access: 'reviewer',
    params: idParams,
    body: z.object({ decision: z.enum(['uphold', 'dismiss']) }).strict(),
    response: reportView,
    errors: ['NotFound', 'ReportResolved'],
    handler: ({ principal, params, body }) =>
      report(services.validation.resolveReport(principal, params.id, body.decision)),
  });

  route({
    method: 'get',
    path: '/admin/contributors/:id',
    tag: 'admin',
    summary: 'Who a contributor id belongs to (pseudonym, role, since when), to check before giving a role',
    access: 'admin',
    params: idParams,
    response: staffMemberView,
    errors: ['NotFound'],
    handler: ({ params }) => {
      const { id, pseudonym, role, createdAt } = services.contributors.get(params.id);
      return { id, pseudonym, role, createdAt };
    },
  });

  route({
    method: 'put',
    path: '/admin/contributors/:id/role',
    tag: 'admin',
    summary: 'Make a contributor a volunteer, reviewer or admin',
    access: 'admin',
    params: idParams,
    body: z.object({ role: z.enum(['volunteer', 'reviewer', 'admin']) }).strict(),
    response: profileView,
    errors: ['NotFound', 'LastAdmin'],
    handler: ({ params, body }) => profile(services.contributors.setRole(params.id, body.role)),
  });
}
