import type { NodeRoute } from '../auth.js';
import type { LanguageStats } from '../services/stats.js';
import type { NodeConfig } from '../config.js';
import { limitsView, statsView } from './meta.schema.js';
import { languageStats } from './views.js';

export function metaRoutes(route: NodeRoute, stats: () => LanguageStats[], config: Pick<NodeConfig, 'audio' | 'limits'>): void {
  route({
    method: 'get',
    path: '/stats',
    tag: 'node',
    summary: 'Per language: samples by status, contributors, validation backlog, prompts',
    access: 'public',
    response: statsView,
    handler: () => ({ languages: stats().map(languageStats) }),
  });

  route({
    method: 'get',
    path: '/limits',
    tag: 'node',
    summary: 'What the node accepts: shortest and longest recording, largest upload, longest text',
    access: 'public',
    response: limitsView,
    handler: () => ({
      audio: { minSeconds: config.audio.minSpeechSeconds, maxSeconds: config.audio.maxSeconds, maxBytes: config.audio.maxBytes },
      text: { maxChars: config.limits.textMaxChars },
    }),
  });
}
