import type { AppContext } from '../../context.js';
import { h, type Child } from '../../dom.js';
import type { Vars } from '../../i18n.js';
import { screenHeading } from '../../components/heading.js';
import { passes } from '../../router.js';
import { OPERATOR_PAGES } from './routes.js';

/** The operator pages' sub-navigation: only the pages the signed-in key's role opens. */
export function operatorNav(ctx: AppContext, current: string): HTMLElement {
  const links = OPERATOR_PAGES.filter((page) => passes(page.gate, ctx.session)).map((page) =>
    h(
      'li',
      {},
      ctx.i18n.bind(
        h('a', { href: page.path, 'data-route': '', class: 'operator-nav__link', 'aria-current': page.path === current ? 'page' : null }),
        page.title,
      ),
    ),
  );
  const nav = h('nav', { class: 'operator-nav', 'data-testid': 'operator-nav' }, h('ul', {}, links));
  ctx.i18n.attr(nav, 'aria-label', 'admin:nav.label');
  return nav;
}

/** Heading, the operator navigation, then the page's own parts. */
export function operatorPage(ctx: AppContext, root: HTMLElement, path: string, title: string, lead: string | undefined, ...children: Child[]): void {
  root.replaceChildren();
  root.append(screenHeading(ctx.i18n, title, lead), operatorNav(ctx, path));
  for (const child of children.flat(3)) if (child) root.append(typeof child === 'string' || typeof child === 'number' ? String(child) : (child as Node));
}

/** A titled card section. */
export function section(ctx: AppContext, title: string, testid: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card operator-section', 'data-testid': testid }, ctx.i18n.bind(h('h2', {}), title), ...children);
}

/** A table with translated column headers; cells are plain text or nodes. */
export function dataTable(ctx: AppContext, headers: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLElement {
  const head = h('thead', {}, h('tr', {}, headers.map((key) => ctx.i18n.bind(h('th', { scope: 'col' }), key))));
  const body = h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell)))));
  // Focusable, so that a table wider than a phone can be scrolled from the keyboard (arrow keys).
  return h('div', { class: 'table-scroll', tabindex: '0' }, h('table', { class: 'data-table', ...attrs }, head, body));
}

/** A term/value list for settings and summaries. */
export function facts(ctx: AppContext, items: Array<[string, Child, Vars?]>): HTMLElement {
  return h('dl', { class: 'facts' }, items.map(([key, value, vars]) => [ctx.i18n.bind(h('dt', {}), key, vars), h('dd', {}, value)]));
}

/** A message for an empty list, said in words. */
export function empty(ctx: AppContext, key: string, vars?: Vars): HTMLElement {
  return ctx.i18n.bind(h('p', { class: 'empty' }), key, vars);
}

/** A status word with its own text (never colour alone). */
export function badge(ctx: AppContext, key: string, kind: string): HTMLElement {
  return ctx.i18n.bind(h('span', { class: `badge badge--${kind}` }), key);
}

export function formatNumber(ctx: AppContext, n: number): string {
  return ctx.i18n.formatNumber(n);
}
