/**
 * Whether `url` lies under `base` (a node's registered URL): same scheme, host and port, and a
 * path at or below the base's. Credentials are never under anything: a link carrying them could
 * point a trainer's client at a login elsewhere.
 */
export function isUnder(url: string, base: string): boolean {
  let target: URL;
  let root: URL;
  try {
    target = new URL(url);
    root = new URL(base);
  } catch {
    return false;
  }
  if (target.username || target.password) return false;
  if (target.origin !== root.origin) return false;
  const prefix = root.pathname.endsWith('/') ? root.pathname : root.pathname + '/';
  return target.pathname === root.pathname || target.pathname.startsWith(prefix);
}
