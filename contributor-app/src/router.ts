import type { AppContext, Screen } from './context.js';
import type { Session } from './session.js';

/** Who may open a screen: anyone, someone who joined, or someone who also consented. */
export type Gate = 'open' | 'joined' | 'consented';

export interface Route {
  path: string;
  screen: Screen;
  gate: Gate;
  /** The key of the screen's name, for the tab bar and the document title. */
  title: string;
  /** Shown in the tab bar. */
  tab?: boolean;
}

/** Where a volunteer who may not open `route` is sent instead, if anywhere. */
export function redirectFor(route: Route, session: Session): string | null {
  if (route.gate === 'open') return null;
  if (!session.signedIn) return '/join';
  if (route.gate === 'consented' && session.consented === false) return '/consent';
  return null;
}

/** The screen for `/`: wherever a volunteer would want to start. */
export function homePath(session: Session): string {
  if (!session.signedIn) return '/join';
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
