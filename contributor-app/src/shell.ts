import type { AppContext, Flash } from './context.js';
import { h, uid } from './dom.js';
import { describeError, type Localizer } from './i18n.js';
import { passes, type Route } from './router.js';
import { storage } from './storage.js';

export interface Shell {
  main: HTMLElement;
  show(route: Route, ctx: AppContext, options: { initial: boolean; flash: Flash | null }): void;
}

/** A small globe, drawn as SVG so that it needs no icon font (and no inline styles). */
function globeIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'locale-switcher__icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M3 12h18', 'M12 3c2.5 2.7 3.6 5.7 3.6 9s-1.1 6.3-3.6 9c-2.5-2.7-3.6-5.7-3.6-9S9.5 5.7 12 3z']) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** The UI-locale switcher: each locale named in itself, so anyone can find their own. */
function localeSwitcher(i18n: Localizer): HTMLElement {
  const id = uid('ui-locale');
  const select = h(
    'select',
    { id, name: 'uiLocale', 'data-testid': 'ui-locale' },
    i18n.locales.map((locale) =>
      h(
        'option',
        { value: locale, lang: locale, dir: i18n.info(locale).dir, selected: locale === i18n.locale, 'data-status': i18n.info(locale).status },
        i18n.info(locale).name,
      ),
    ),
  );
  select.addEventListener('change', async () => {
    storage.setUiLocale(select.value);
    select.disabled = true;
    try {
      await i18n.setLocale(select.value);
    } finally {
      select.disabled = false;
    }
  });
  const label = i18n.text('common:uiLocale.label', {}, 'label');
  label.htmlFor = id;
  label.className = 'visually-hidden';
  return h('div', { class: 'locale-switcher' }, globeIcon(), label, select);
}

/** Header, tab bar, a flash message area and <main>; screens render inside main. */
export function createShell(root: HTMLElement, ctx: AppContext, routes: Route[]): Shell {
  const { i18n } = ctx;
  const tabs = routes.filter((route) => route.tab);
  const tabLinks = tabs.map((route) =>
    h('a', { href: route.path, 'data-route': '', class: 'tab', 'data-tab': route.path.slice(1) }, i18n.text(route.title)),
  );
  const nav = h('nav', { class: 'tabs', hidden: true }, h('div', { class: 'tabs__inner' }, tabLinks));
  i18n.attr(nav, 'aria-label', 'common:nav.label');
  const skip = i18n.bind(h('a', { class: 'skip-link', href: '#main' }), 'common:nav.skip');
  const brand = h('a', { class: 'brand', href: '/', 'data-route': '' }, h('img', { class: 'brand__mark', src: '/icon.svg', alt: '', width: '28', height: '28' }), h('span', { class: 'brand__name' }, ctx.node.name));
  const header = h('header', { class: 'topbar' }, h('div', { class: 'topbar__inner' }, brand, localeSwitcher(i18n)));
  const flash = h('div', { class: 'flash', role: 'status', 'aria-live': 'polite' });
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  root.replaceChildren(skip, header, nav, h('div', { class: 'page' }, flash, main));

  let cleanup: (() => void) | void;
  /** Counts pages shown: a page whose strings arrive after the volunteer moved on is not drawn. */
  let shown = 0;
  return {
    main,
    show(route, context, { initial, flash: message }) {
      const showing = ++shown;
      if (cleanup) cleanup();
      cleanup = undefined;
      // Signed-in volunteers always reach every tab: someone who withdrew consent must still
      // get to My data; Speak and Write send them to the notice instead.
      nav.hidden = !context.session.signedIn;
      tabs.forEach((tab, i) => {
        const staffOnly = tab.gate === 'admin' || tab.gate === 'reviewer';
        tabLinks[i]!.hidden = staffOnly && !passes(tab.tabGate ?? tab.gate, context.session);
      });
      for (const link of tabLinks) {
        const href = link.getAttribute('href') ?? '';
        if (href === route.path || (href === '/operator' && route.path.startsWith('/operator/'))) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
      }
      flash.replaceChildren();
      if (message) {
        flash.append(i18n.text(message.key, message.vars, 'p'));
        flash.dataset.kind = message.kind ?? 'success';
      }
      main.replaceChildren();
      main.dataset.screen = route.path.slice(1);
      if (!route.namespaces) return render(route, context, initial);
      main.setAttribute('aria-busy', 'true');
      i18n.load(route.namespaces).then(
        () => {
          if (showing !== shown) return;
          main.removeAttribute('aria-busy');
          render(route, context, initial);
        },
        (error: unknown) => {
          if (showing !== shown) return;
          main.removeAttribute('aria-busy');
          const { key, vars } = describeError(i18n, error);
          main.append(i18n.text(key, vars, 'p'));
        },
      );
    },
  };

  function render(route: Route, context: AppContext, initial: boolean): void {
    cleanup = route.screen(context, main);
    const setTitle = () => {
      document.title = `${i18n.t(route.title)} · ${context.node.name}`;
    };
    setTitle();
    const unsubscribe = i18n.onChange(setTitle);
    const screenCleanup = cleanup;
    cleanup = () => {
      unsubscribe();
      if (screenCleanup) screenCleanup();
    };
    // Move focus to the new screen's heading so screen readers announce where they are.
    if (!initial) (main.querySelector('h1') ?? main).focus({ preventScroll: false });
    window.scrollTo(0, 0);
  }
}
