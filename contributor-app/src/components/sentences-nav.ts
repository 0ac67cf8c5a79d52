import { h } from '../dom.js';
import type { Localizer } from '../i18n.js';

/** Propose and Review are two screens of one tab: a small switch between them. */
export function sentencesNav(i18n: Localizer, current: '/sentences' | '/sentences/review'): HTMLElement {
  const link = (path: typeof current, key: string) => {
    const a = i18n.bind(h('a', { href: path, 'data-route': '', class: 'subnav__link' }), key);
    if (path === current) a.setAttribute('aria-current', 'page');
    return a;
  };
  const nav = h('nav', { class: 'subnav' }, link('/sentences', 'contribute:sentences.proposeTab'), link('/sentences/review', 'contribute:sentences.reviewTab'));
  i18n.attr(nav, 'aria-label', 'contribute:sentences.navLabel');
  return nav;
}
