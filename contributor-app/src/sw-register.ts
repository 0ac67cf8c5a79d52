/**
 * Registers the service worker that keeps the app shell for offline use. Without service
 * worker support (or on an insecure origin other than localhost) the app works as before, online.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error: unknown) => console.warn('service worker not registered', error));
  // Translations this page loaded before the worker took over are kept too, so the next visit
  // opens offline in the volunteer's language; later ones pass through the worker anyway.
  void navigator.serviceWorker.ready.then((registration) => {
    const keep = performance
      .getEntriesByType('resource')
      .map((entry) => new URL(entry.name))
      .filter((url) => url.origin === location.origin && url.pathname.startsWith('/locales/'))
      .map((url) => url.pathname);
    if (keep.length > 0) registration.active?.postMessage({ keep });
  });
}
