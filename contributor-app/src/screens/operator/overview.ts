import type { AppContext, Screen } from '../../context.js';
import { h } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import type { Stats } from '../../types.js';
import { CHART_STATUSES, dailyChart, type DayCounts } from './chart.js';
import { dataTable, facts, operatorPage, section } from './page.js';
import type { Overview } from './types.js';

/** Samples per day for one language (or all), text and speech together. */
function perDay(overview: Overview, language: string): DayCounts[] {
  const days = new Map<string, DayCounts>();
  for (const row of overview.daily) {
    if (language !== '*' && row.language !== language) continue;
    const day = days.get(row.day) ?? { day: row.day, validated: 0, pending: 0, rejected: 0, withdrawn: 0 };
    for (const status of CHART_STATUSES) day[status] += row[status];
    days.set(row.day, day);
  }
  return [...days.values()];
}

function settingsSection(ctx: AppContext, overview: Overview): HTMLElement {
  const { i18n } = ctx;
  const s = overview.settings;
  const c = overview.contributors;
  return section(
    ctx,
    'admin:overview.settings',
    'node-settings',
    facts(ctx, [
      ['admin:overview.languages', i18n.list(s.languages.map((tag) => `${i18n.languageName(tag)} (${tag})`))],
      ['admin:overview.url', s.url ?? i18n.t('admin:overview.noUrl')],
      ['admin:overview.license', s.license],
      ['admin:overview.quorum', i18n.t('admin:overview.quorumValue', { up: s.quorum.validateAt, down: s.quorum.rejectAt })],
      ['admin:overview.audio', i18n.t('admin:overview.audioValue', { min: s.audio.minSeconds, max: s.audio.maxSeconds })],
      ['admin:overview.purposes', s.purposes.join(', ')],
      ['admin:overview.indexes', s.indexes.length > 0 ? s.indexes.join(', ') : i18n.t('admin:overview.noIndexes')],
      ['admin:overview.contributors', i18n.t('admin:overview.contributorsValue', { volunteers: c.volunteer, reviewers: c.reviewer, admins: c.admin })],
    ]),
  );
}

function languagesSection(ctx: AppContext, stats: Stats): HTMLElement {
  const { i18n } = ctx;
  const n = (v: number) => i18n.formatNumber(v);
  const rows = stats.languages.flatMap((l) =>
    (['speech', 'text'] as const).map((modality) => [
      h('span', { lang: l.language }, `${i18n.languageName(l.language)} (${l.language})`),
      i18n.t(`admin:modality.${modality}`),
      n(l.samples[modality].validated),
      n(l.samples[modality].pending),
      n(l.samples[modality].rejected),
      n(l.samples[modality].withdrawn),
      n(l.backlog[modality]),
      n(l.contributors),
      n(l.prompts.accepted ?? 0),
    ]),
  );
  return section(
    ctx,
    'admin:overview.byLanguage',
    'samples-by-language',
    dataTable(
      ctx,
      ['admin:col.language', 'admin:col.modality', 'admin:status.validated', 'admin:status.pending', 'admin:status.rejected', 'admin:status.withdrawn', 'admin:col.backlog', 'admin:col.contributors', 'admin:col.sentences'],
      rows,
    ),
  );
}

function chartSection(ctx: AppContext, overview: Overview): HTMLElement {
  const { i18n } = ctx;
  const select = h('select', { id: 'chart-language', 'data-testid': 'chart-language' },
    i18n.bind(h('option', { value: '*' }), 'admin:overview.allLanguages'),
    overview.settings.languages.map((tag) => h('option', { value: tag }, `${i18n.languageName(tag)} (${tag})`)),
  );
  const label = i18n.bind(h('label', { for: 'chart-language' }), 'admin:overview.chartLanguage');
  const holder = h('div', { class: 'chart-holder' }, dailyChart(i18n, perDay(overview, '*')));
  select.addEventListener('change', () => holder.replaceChildren(dailyChart(i18n, perDay(overview, select.value))));
  const legend = h('ul', { class: 'chart-legend' }, CHART_STATUSES.map((s) => h('li', {}, h('span', { class: `chart-legend__swatch chart__bar--${s}`, 'aria-hidden': 'true' }), i18n.text(`admin:status.${s}`))));
  return section(ctx, 'admin:overview.chart', 'activity-chart', i18n.text('admin:overview.chartLead', { days: overview.days }, 'p'), h('div', { class: 'field field--inline' }, label, select), holder, legend);
}

export const overviewScreen: Screen = (ctx, root) => {
  const status = createStatus(ctx.i18n);
  operatorPage(ctx, root, '/operator', 'admin:overview.title', 'admin:overview.lead', status.element);
  status.show('progress', 'admin:loading');
  Promise.all([ctx.api.get<Overview>('/admin/overview?days=30'), ctx.api.get<Stats>('/stats'), ctx.api.get<{ reports: unknown[] }>('/admin/reports?limit=100')])
    .then(([overview, stats, reports]) => {
      status.clear();
      const backlog = stats.languages.reduce((n, l) => n + l.backlog.speech + l.backlog.text, 0);
      root.append(
        h(
          'p',
          { class: 'operator-summary', 'data-testid': 'backlog' },
          ctx.i18n.text('admin:overview.backlog', {}, 'strong'),
          ' ',
          ctx.i18n.text('admin:overview.backlogSamples', { count: backlog }),
          ' ',
          ctx.i18n.text('admin:overview.backlogReports', { count: reports.reports.length }),
        ),
        chartSection(ctx, overview),
        languagesSection(ctx, stats),
        settingsSection(ctx, overview),
      );
      root.dataset.loaded = 'true';
    })
    .catch((error: unknown) => status.error(error));
};
