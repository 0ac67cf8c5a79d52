import { h } from '../dom.js';
import type { Localizer, Vars } from '../i18n.js';

/** A screen's title (focusable, so the router can move focus to it) and an optional lead line. */
export function screenHeading(i18n: Localizer, title: string, lead?: string, vars?: Vars): HTMLElement {
  return h(
    'div',
    { class: 'screen-heading' },
    i18n.bind(h('h1', { tabindex: '-1' }), title, vars),
    lead ? i18n.bind(h('p', { class: 'lead' }), lead, vars) : null,
  );
}
