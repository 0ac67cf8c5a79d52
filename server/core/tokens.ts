import { hash, randomBytes } from 'node:crypto';

const PREFIX = 'trb_';

/** A bearer token: 256 random bits. Only its hash is ever stored. */
export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 is enough for tokens with 256 bits of entropy; a slow hash would only cost latency. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The token of an `Authorization: Bearer …` header, if that is what it holds. */
export function bearerToken(header: string | null | undefined): string | undefined {
  return BEARER.exec(header ?? '')?.[1];
}
