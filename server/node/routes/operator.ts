import type { NodeRoute } from '../auth.js';
import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import { dailyActivity, keySettings } from '../services/node-overview.js';
import { isTsvName, parsePromptText } from '../services/prompt-file.js';
import type { PromptService } from '../services/prompts.js';
import type { Publisher } from '../services/publisher.js';
import type { ActivityStore } from '../stores/activity.js';
import { overviewQuery, overviewView, promptFileBody, promptFileView, publishingView, staffView } from './operator.schema.js';

/** What the operator pages read beyond the volunteers' routes: the node's activity, publishing and staff. */
export function operatorRoutes(
  route: NodeRoute,
  services: { config: NodeConfig; languages: NodeLanguages; activity: ActivityStore; publisher: Publisher; prompts: PromptService },
): void {
  route({
    method: 'get',
    path: '/admin/overview',
    tag: 'admin',
    summary: 'Key settings, contributors by role, and samples made per day and language over the last `days` days, by their status now',
    access: 'admin',
    query: overviewQuery,
    response: overviewView,
    handler: ({ query }) => ({
      settings: keySettings(services.config),
      contributors: services.activity.contributorsByRole(),
      days: query.days,
      daily: dailyActivity(services.activity, services.languages, query.days),
    }),
  });

  route({
    method: 'get',
    path: '/admin/publishing',
    tag: 'admin',
    summary: 'Delivery to each index: registered, what waits in the outbox (manifests, notices), failures and refusals',
    access: 'admin',
    response: publishingView,
    handler: () => {
      const delivered = services.publisher.status();
      const known = new Set(delivered.map((d) => d.indexUrl));
      const configured = new Set(services.config.indexes);
      return {
        indexes: [
          ...delivered.map((d) => ({
            index: d.indexUrl,
            configured: configured.has(d.indexUrl),
            registered: d.registeredKeyId !== null,
            failures: d.failures,
            nextAttemptAt: d.nextAttemptAt,
            lastError: d.lastError,
            lastDeliveredAt: d.lastDeliveredAt,
            refused: d.refused,
            lastRefusal: d.lastRefusal,
            backlog: d.backlog,
          })),
          // Named in node.json but never tried yet: everything waits.
          ...services.config.indexes
            .filter((url) => !known.has(url))
            .map((url) => ({
              index: url,
              configured: true,
              registered: false,
              failures: 0,
              nextAttemptAt: null,
              lastError: null,
              lastDeliveredAt: null,
              refused: 0,
              lastRefusal: null,
              backlog: null,
            })),
        ],
      };
    },
  });

  route({
    method: 'post',
    path: '/admin/prompts/file',
    tag: 'admin',
    summary:
      'Import a file of sentences as `tributary prompts import` does: one a line (.txt) or columns (.tsv, a header line ' +
      'naming them is skipped), each checked against the language’s rules and its licence; other-language lines are ' +
      'flagged and left out unless `force` is true',
    access: 'admin',
    body: promptFileBody,
    response: promptFileView,
    errors: ['LanguageNotSupported', 'InvalidLanguageTag'],
    handler: ({ body }) => {
      const { items, header } = parsePromptText(body.text, isTsvName(body.fileName));
      const defaults = { ...(body.source ? { source: body.source } : {}), ...(body.license ? { license: body.license } : {}) };
      const outcome = services.prompts.import(body.language, items.map((item) => ({ ...defaults, ...item })), { force: body.force ?? false });
      return { ...outcome, lines: items.length, headerSkipped: header };
    },
  });

  route({
    method: 'get',
    path: '/admin/contributors',
    tag: 'admin',
    summary: 'The node’s reviewers and admins (volunteers are not listed: a role is given by a contributor’s id)',
    access: 'admin',
    response: staffView,
    handler: () => ({ contributors: services.activity.staff() }),
  });
}
