import type { RequestHandler } from 'express';
import { RateLimitedError } from './errors.js';
import { hashToken } from './tokens.js';

export interface RateLimits {
  windowSeconds: number;
  perAddress: number;
  perToken: number;
}

/**
 * Two request budgets per fixed window: one per client address, and one per bearer token, so a
 * token cannot hop addresses. Every key's count is dropped at once when the window turns, so
 * memory holds only the keys seen in one window. Answers carry the IETF `RateLimit` and
 * `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers) for the tighter budget, and
 * `Retry-After` with a 429.
 *
 * Hand-written rather than express-rate-limit: on the text intake path that library cost as much
 * CPU as language identification (a promise per budget, a hash per header), and a service needs
 * only this one in-memory policy.
 */
export function rateLimit(limits: RateLimits, now: () => number = Date.now): RequestHandler {
  const windowMs = limits.windowSeconds * 1000;
  const policy = `"address";q=${limits.perAddress};w=${limits.windowSeconds}, "token";q=${limits.perToken};w=${limits.windowSeconds}`;
  let counts = new Map<string, number>();
  let windowEnds = 0;

  const spend = (key: string): number => {
    const used = (counts.get(key) ?? 0) + 1;
    counts.set(key, used);
    return used;
  };

  return (req, res, next) => {
    const time = now();
    if (time >= windowEnds) {
      counts = new Map();
      windowEnds = time + windowMs;
    }
    let name = 'address';
    let remaining = limits.perAddress - spend('a ' + (req.ip ?? req.socket.remoteAddress ?? ''));
    const authorization = req.headers.authorization;
    if (authorization) {
      const tokenRemaining = limits.perToken - spend('t ' + hashToken(authorization));
      if (tokenRemaining < remaining) {
        name = 'token';
        remaining = tokenRemaining;
      }
    }
    const resetSeconds = Math.ceil((windowEnds - time) / 1000);
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `"${name}";r=${Math.max(0, remaining)};t=${resetSeconds}`);
    if (remaining < 0) {
      res.setHeader('Retry-After', String(resetSeconds));
      next(new RateLimitedError());
      return;
    }
    next();
  };
}
