import { z } from 'zod';
import type { Route } from '../../core/api.js';
import type { Contributor } from '../stores/contributors.js';
import type { LanguageStats } from '../services/stats.js';

const counts = z.record(z.string(), z.number());

export const statsView = z.object({
  languages: z.array(
    z.object({
      language: z.string(),
      samples: z.object({ text: counts, speech: counts }),
      contributors: z.number(),
      backlog: z.object({ text: z.number(), speech: z.number() }),
      prompts: counts,
    }),
  ),
});

export function metaRoutes(route: Route<Contributor>, stats: () => LanguageStats[]): void {
  route({
    method: 'get',
    path: '/stats',
    tag: 'node',
    summary: 'Per language: samples by status, contributors, validation backlog, prompts',
    access: 'public',
    response: statsView,
    handler: () => ({ languages: stats() }),
  });
}
