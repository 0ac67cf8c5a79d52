import type { NodeRoute } from '../auth.js';
import type { LanguageStats } from '../services/stats.js';
import { statsView } from './meta.schema.js';
import { languageStats } from './views.js';

export function metaRoutes(route: NodeRoute, stats: () => LanguageStats[]): void {
  route({
    method: 'get',
    path: '/stats',
    tag: 'node',
    summary: 'Per language: samples by status, contributors, validation backlog, prompts',
    access: 'public',
    response: statsView,
    handler: () => ({ languages: stats().map(languageStats) }),
  });
}
