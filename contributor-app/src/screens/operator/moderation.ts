import type { Screen } from '../../context.js';
import { busy, h } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import { empty, operatorPage, section } from './page.js';
import type { Report } from './types.js';

/** Open reports, oldest first: uphold (reject what was reported) or dismiss (back to validation). */
export const moderationScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n, { toast: true });
  const list = h('ul', { class: 'operator-list', 'data-testid': 'reports' });
  const card = section(ctx, 'admin:moderation.open', 'moderation-queue', list);
  operatorPage(ctx, root, '/operator/moderation', 'admin:screen.moderation', 'admin:moderation.lead', card, status.element);

  const item = (report: Report): HTMLElement => {
    const target = report.sampleId
      ? i18n.text('admin:moderation.sample', { id: report.sampleId })
      : i18n.text('admin:moderation.prompt', { id: report.promptId ?? '' });
    const uphold = i18n.bind(h('button', { type: 'button', class: 'button button--danger', 'data-testid': 'uphold' }), 'admin:moderation.uphold');
    const dismiss = i18n.bind(h('button', { type: 'button', class: 'button', 'data-testid': 'dismiss' }), 'admin:moderation.dismiss');
    const li = h(
      'li',
      { class: 'operator-list__item', 'data-report-id': report.id },
      h('p', {}, h('strong', {}, i18n.text(`admin:reason.${report.reason}`)), ' · ', target),
      report.detail ? h('p', { dir: 'auto' }, report.detail) : null,
      i18n.text('admin:moderation.reported', { date: { date: report.createdAt } }, 'p'),
      h('div', { class: 'actions' }, uphold, dismiss),
    );
    const decide = (decision: 'uphold' | 'dismiss') =>
      void busy([uphold, dismiss], async () => {
        try {
          await ctx.api.post(`/admin/reports/${encodeURIComponent(report.id)}/resolution`, { decision });
          li.remove();
          status.show('success', decision === 'uphold' ? 'admin:moderation.upheld' : 'admin:moderation.dismissed');
          if (!list.firstChild) list.replaceWith(empty(ctx, 'admin:moderation.none'));
        } catch (error) {
          status.error(error);
        }
      });
    uphold.addEventListener('click', () => decide('uphold'));
    dismiss.addEventListener('click', () => decide('dismiss'));
    return li;
  };

  ctx.api
    .get<{ reports: Report[] }>('/admin/reports?limit=100')
    .then(({ reports }) => {
      if (reports.length === 0) list.replaceWith(empty(ctx, 'admin:moderation.none'));
      else list.append(...reports.map(item));
      root.dataset.loaded = 'true';
    })
    .catch((error: unknown) => status.error(error));
};
