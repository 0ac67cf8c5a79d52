import type { AppContext, Screen } from './context.js';
import type { LazyNamespace } from './i18n.js';
import type { Session } from './session.js';

/**
 * Who may open a screen: anyone, someone who joined, someone who also consented, or someone whose
 * key has a role (operator pages; no consent needed: running the node is not contributing to it).
 */
export type Gate = 'open' | 'joined' | 'consented' | 'reviewer' | 'admin';

export interface Route {
  path: string;
  screen: Screen;
  gate: Gate;
  /** The key of the screen's name, for the tab bar and the document title. */
  title: string;
  /** Shown in the tab bar. */
  tab?: boolean;
  /** Who sees its tab, when not everyone the gate lets in (the operator tab: reviewers too). */
  tabGate?: Gate;
  /** Strings the page needs beyond those every page loads at start. */
  namespaces?: readonly LazyNamespace[];
}

/** Whether the signed-in key may pass a gate. */
export function passes(gate: Gate, session: Session): boolean {
  if (gate === 'open') return true;
  if (!session.signedIn) return false;
  const role = session.profile?.role ?? 'volunteer';
  if (gate === 'admin') return role === 'admin';
  if (gate === 'reviewer') return role !== 'volunteer';
  return gate === 'joined' || session.consented !== false;
}

/** Where a volunteer who may not open `route` is sent instead, if anywhere. */
export function redirectFor(route: Route, session: Session): string | null {
  if (route.gate === 'open') return null;
  if (!session.signedIn) return '/join';
  const role = session.profile?.role ?? 'volunteer';
  if (route.gate === 'admin' && role !== 'admin') return role === 'reviewer' ? '/operator/moderation' : homePath(session);
  if (route.gate === 'reviewer' && role === 'volunteer') return homePath(session);
  if (route.gate === 'consented' && session.consented === false) return '/consent';
  return null;
}

/** The screen for `/`: wherever a volunteer would want to start. */
export function homePath(session: Session): string {
  if (!session.signedIn) return '/join';
  const role = session.profile?.role ?? 'volunteer';
  // An operator who is not also a volunteer starts at the operator pages, not the consent screen.
  if (session.consented === false && role !== 'volunteer') return role === 'admin' ? '/operator' : '/operator/moderation';
  if (session.consented === false) return '/consent';
  return '/speak';
}

/**
 * History-API routing over the node's SPA fallback (every non-API GET answers index.html),
 * so addresses like /listen can be bookmarked and shared.
 */
export function startRouter(options: {
  routes: Route[];
  ctx: () => AppContext;
  render: (route: Route, path: string, options: { initial: boolean }) => void;
}): (path: string, replace?: boolean) => void {
  const find = (path: string) => options.routes.find((route) => route.path === path);

  const go = (path: string, replace: boolean, initial: boolean) => {
    const session = options.ctx().session;
    let target = path === '/' ? homePath(session) : path;
    let route = find(target);
    if (!route) {
      target = homePath(session);
      route = find(target)!;
    }
    const redirect = redirectFor(route, session);
    if (redirect && redirect !== target) {
      target = redirect;
      route = find(target)!;
    }
    if (location.pathname !== target || replace) {
      if (replace || initial) history.replaceState(null, '', target);
      else history.pushState(null, '', target);
    }
    options.render(route, target, { initial });
  };

  window.addEventListener('popstate', () => go(location.pathname, true, false));
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[data-route]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    go(link.getAttribute('href') ?? '/', false, false);
  });
  go(location.pathname, false, true);
  return (path, replace = false) => go(path, replace, false);
}
