import { ApiError, createApiClient, fetchNodeInfo } from './api.js';
import { offlineBanner } from './components/offline-banner.js';
import type { AppContext, Flash } from './context.js';
import { Localizer, negotiateLocale } from './i18n.js';
import { Outbox } from './outbox.js';
import { startRouter, type Route } from './router.js';
import { consentScreen } from './screens/consent.js';
import { joinScreen } from './screens/join.js';
import { listenScreen } from './screens/listen.js';
import { myDataScreen } from './screens/my-data.js';
import { OPERATOR_ROUTES } from './screens/operator/routes.js';
import { proposeScreen } from './screens/propose.js';
import { reviewSentencesScreen } from './screens/review-sentences.js';
import { speakScreen } from './screens/speak.js';
import { writeScreen } from './screens/write.js';
import { Session } from './session.js';
import { createShell } from './shell.js';
import { storage } from './storage.js';
import { registerServiceWorker } from './sw-register.js';

/** Filled in by build.mjs from the folders of locales/ that hold the app's strings. */
declare const __UI_LOCALES__: string[];

const ROUTES: Route[] = [
  { path: '/join', screen: joinScreen, gate: 'open', title: 'common:screen.join' },
  { path: '/consent', screen: consentScreen, gate: 'joined', title: 'common:screen.consent' },
  { path: '/speak', screen: speakScreen, gate: 'consented', title: 'common:screen.speak', tab: true },
  { path: '/write', screen: writeScreen, gate: 'consented', title: 'common:screen.write', tab: true },
  { path: '/listen', screen: listenScreen, gate: 'joined', title: 'common:screen.listen', tab: true },
  { path: '/sentences', screen: proposeScreen, gate: 'joined', title: 'common:screen.sentences', tab: true },
  { path: '/sentences/review', screen: reviewSentencesScreen, gate: 'joined', title: 'common:screen.sentencesReview' },
  { path: '/me', screen: myDataScreen, gate: 'joined', title: 'common:screen.myData', tab: true },
  ...OPERATOR_ROUTES,
];

/** Shown when the node cannot be reached at start; in English if even the strings did not load. */
function fatal(root: HTMLElement, error: unknown, i18n?: Localizer): void {
  console.error(error);
  const message = document.createElement('p');
  message.className = 'fatal';
  message.setAttribute('role', 'alert');
  if (i18n) i18n.bind(message, 'common:problem.network');
  else message.textContent = 'This node cannot be reached right now. Please check your connection and reload the page.';
  root.replaceChildren(message);
  root.setAttribute('aria-busy', 'false');
}

async function start(root: HTMLElement): Promise<void> {
  const locale = negotiateLocale(__UI_LOCALES__, storage.uiLocale(), navigator.languages ?? [navigator.language]);
  let session: Session | undefined;
  let navigate: (path: string, replace?: boolean) => void = () => {};
  let pendingFlash: Flash | null = null;
  const api = createApiClient({
    token: () => storage.token(),
    onUnauthenticated: () => {
      storage.setToken(null);
      session?.signOut();
      pendingFlash = { key: 'errors:Unauthenticated', kind: 'error' };
      navigate('/join', true);
    },
  });
  // The strings, the node's name and languages, and who this device's key is, all at once: on a
  // slow phone link every round trip in a row is one the volunteer waits for.
  const [i18n, node, who] = await Promise.all([
    Localizer.create(__UI_LOCALES__, locale),
    // Offline, the node's name and languages from the last visit let the app open all the same.
    fetchNodeInfo().then(
      (info) => (storage.setNodeInfo(info), info),
      (error: unknown) => storage.nodeInfo() ?? (error as Error),
    ),
    // Without a connection the app still opens: recordings kept on this device wait for it.
    Session.ask(api).catch((error: unknown) => (error instanceof ApiError && error.code === 'Network' ? null : (error as Error))),
  ]);
  if (node instanceof Error) return fatal(root, node, i18n);
  if (who instanceof Error) return fatal(root, who, i18n);
  session = new Session(node, who);

  const outbox = new Outbox();
  const ctx: AppContext = {
    i18n,
    api,
    node,
    session,
    outbox,
    navigate(path, options = {}) {
      pendingFlash = options.flash ?? null;
      navigate(path, options.replace);
    },
  };

  const shell = createShell(root, ctx, ROUTES);
  root.querySelector('.topbar')?.after(offlineBanner(i18n, outbox));
  outbox.start();
  navigate = startRouter({
    routes: ROUTES,
    ctx: () => ctx,
    render(route, _path, options) {
      const flash = pendingFlash;
      pendingFlash = null;
      shell.show(route, ctx, { initial: options.initial, flash });
    },
  });
  root.setAttribute('aria-busy', 'false');
  root.dataset.ready = 'true';
}

registerServiceWorker();
const root = document.getElementById('app');
if (root) start(root).catch((error) => fatal(root, error));
