import type { Localizer } from '../../i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
export const CHART_STATUSES = ['validated', 'pending', 'rejected', 'withdrawn'] as const;
export type ChartStatus = (typeof CHART_STATUSES)[number];
export type DayCounts = { day: string } & Record<ChartStatus, number>;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/**
 * Samples per day as stacked bars, drawn with DOM calls (CSP allows no inline style: colours come
 * from classes in app.css). Each bar carries a <title> with its counts in words, and the legend
 * names every status, so no count is told by colour alone.
 */
export function dailyChart(i18n: Localizer, days: DayCounts[]): SVGSVGElement {
  const width = 640;
  const height = 200;
  const pad = { top: 10, bottom: 24, start: 36, end: 8 };
  const max = Math.max(1, ...days.map((d) => CHART_STATUSES.reduce((n, s) => n + d[s], 0)));
  const plotWidth = width - pad.start - pad.end;
  const plotHeight = height - pad.top - pad.bottom;
  const step = plotWidth / Math.max(1, days.length);
  const barWidth = Math.max(2, step * 0.7);
  const total = days.reduce((n, d) => n + CHART_STATUSES.reduce((m, s) => m + d[s], 0), 0);

  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'data-testid': 'daily-chart' });
  svg.setAttribute('aria-label', i18n.t('admin:overview.chartLabel', { days: days.length, total }));
  // Axis: zero and the highest day.
  svg.append(el('line', { x1: pad.start, x2: width - pad.end, y1: height - pad.bottom, y2: height - pad.bottom, class: 'chart__axis' }));
  for (const [value, y] of [[0, height - pad.bottom], [max, pad.top]] as const) {
    const label = el('text', { x: pad.start - 4, y: y + 4, class: 'chart__label', 'text-anchor': 'end' });
    label.textContent = i18n.formatNumber(value);
    svg.append(label);
  }
  days.forEach((d, i) => {
    const group = el('g', { class: 'chart__day', 'data-day': d.day });
    const title = el('title', {});
    title.textContent = `${i18n.formatDate(`${d.day}T12:00:00Z`).split(',')[0]}: ${CHART_STATUSES.map((s) => `${i18n.t(`admin:status.${s}`)} ${i18n.formatNumber(d[s])}`).join(', ')}`;
    group.append(title);
    let y = height - pad.bottom;
    const x = pad.start + i * step + (step - barWidth) / 2;
    for (const status of CHART_STATUSES) {
      if (d[status] === 0) continue;
      const h = (d[status] / max) * plotHeight;
      y -= h;
      group.append(el('rect', { x, y, width: barWidth, height: h, class: `chart__bar chart__bar--${status}` }));
    }
    svg.append(group);
  });
  // First and last day under the axis.
  for (const [d, anchor, x] of [[days[0], 'start', pad.start], [days.at(-1), 'end', width - pad.end]] as const) {
    if (!d) continue;
    const label = el('text', { x, y: height - 6, class: 'chart__label', 'text-anchor': anchor });
    label.textContent = new Intl.DateTimeFormat(i18n.locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${d.day}T12:00:00Z`));
    svg.append(label);
  }
  return svg;
}
