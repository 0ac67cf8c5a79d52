/**
 * The service worker: keeps the app shell (index.html, app.js, app.css, icons, manifest) so the
 * app opens without a connection, and the translations the volunteer has loaded. It never keeps
 * API answers, node info or audio: those are personal or change, and recordings wait in
 * IndexedDB (recording-queue.ts), not here. build.mjs compiles this file to dist/sw.js with the
 * shell's file list and a hash of their bytes, so every build has its own caches and a new build
 * replaces the old ones when it activates.
 */

/** Filled in by build.mjs. */
declare const __CACHE_VERSION__: string;
declare const __SHELL__: string[];

/** The few service-worker types used here (the app's tsconfig has DOM types, not WebWorker's). */
interface ExtendableEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  data: unknown;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  location: Location;
}

const scope = self as unknown as WorkerScope;
const SHELL_CACHE = `tributary-shell-${__CACHE_VERSION__}`;
const LOCALES_CACHE = `tributary-locales-${__CACHE_VERSION__}`;
const OURS = [SHELL_CACHE, LOCALES_CACHE];

scope.addEventListener('install', (event) => {
  // `reload`: straight from the node, never from the browser's HTTP cache (an older build).
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(__SHELL__.map((path) => new Request(path, { cache: 'reload' }))))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('tributary-') && !OURS.includes(name)).map((name) => caches.delete(name))))
      .then(() => scope.clients.claim()),
  );
});

/** Any page of the app is the same index.html (the node falls back to it too). */
async function shell(request: Request): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const url = new URL(request.url);
  const key = request.mode === 'navigate' ? '/index.html' : url.pathname;
  const cached = await cache.match(key);
  return cached ?? fetch(request);
}

/** Translations: fresh from the node when it answers, else the copy kept from the last visit. */
async function locale(request: Request): Promise<Response> {
  const cache = await caches.open(LOCALES_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

/**
 * On the first visit the page loaded its translations before this worker controlled it; the
 * page names them here (`{ keep: ['/locales/sw/common.json', …] }`) so they are kept as well.
 */
scope.addEventListener('message', (event) => {
  const keep = (event.data as { keep?: unknown } | null)?.keep;
  if (!Array.isArray(keep)) return;
  const paths = keep.filter((path): path is string => typeof path === 'string' && /^\/locales\/[\w-]+\/[\w-]+\.json$/.test(path));
  event.waitUntil(caches.open(LOCALES_CACHE).then((cache) => cache.addAll(paths)).catch(() => {}));
});

scope.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.location.origin) return;
  // API answers, node info and audio go to the network untouched, and are never stored here.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/.well-known/') || url.pathname === '/openapi.json') return;
  if (url.pathname.startsWith('/locales/')) {
    event.respondWith(locale(request));
    return;
  }
  if (request.mode === 'navigate' || __SHELL__.includes(url.pathname)) event.respondWith(shell(request));
});
