import type { KeyObject } from 'node:crypto';
import { decodeBase58 } from './base58.js';
import { InvalidDidError } from './errors.js';
import { ED25519_PUB_MULTICODEC, ed25519PublicKeyFromRaw, publicKeyMultibase } from './keys.js';

/**
 * The node's DID. With a public URL: `did:web:<host>[%3A<port>][:<path segment>…]` (the did:web
 * method: the port's colon is percent-encoded, each path segment becomes a `:`-separated part),
 * which resolves to `https://<host>[:<port>]/<path>/did.json`, or `/.well-known/did.json` when
 * there is no path. Without one: `did:key:<multibase of the signing key>`, self-certifying.
 *
 * did:web always resolves over HTTPS and its spec expects a domain name, so an `http://` or IP
 * address URL gives a DID that is fine for local development and tests but that no did:web
 * resolver will fetch; the node should be given its public https URL in production.
 */
export function nodeDid(options: { url?: string; signingKey: KeyObject }): string {
  if (options.url === undefined) return `did:key:${publicKeyMultibase(options.signingKey)}`;
  return didWebFromUrl(options.url);
}

function didWebFromUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new InvalidDidError(`Cannot make a did:web from ${JSON.stringify(input)}: not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidDidError(`Cannot make a did:web from a ${url.protocol} URL.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InvalidDidError('A did:web URL cannot carry credentials, a query or a fragment.');
  }
  if (url.hostname.startsWith('[')) {
    throw new InvalidDidError('did:web cannot name an IPv6 address; use a host name.');
  }
  // WHATWG URL has already lower-cased and punycoded the host and dropped a default port.
  let did = `did:web:${url.hostname}`;
  if (url.port) did += `%3A${url.port}`;
  for (const segment of url.pathname.split('/')) {
    if (segment === '') continue;
    // A ':' inside a segment would read as a segment separator; it must stay percent-encoded.
    did += `:${segment.replaceAll(':', '%3A')}`;
  }
  return did;
}

/** The Ed25519 public key named by a `did:key` (a `#fragment` is ignored). */
export function publicKeyFromDidKey(did: string): KeyObject {
  const identifier = did.split('#', 1)[0] ?? '';
  const prefix = 'did:key:';
  if (!identifier.startsWith(prefix)) throw new InvalidDidError(`Not a did:key: ${JSON.stringify(did)}.`);
  return publicKeyFromMultibase(identifier.slice(prefix.length));
}

/**
 * The Ed25519 public key of a `publicKeyMultibase` string (the part of a did:key after
 * `did:key:`), as published in the node's well-known documents and key-rotation statements.
 */
export function publicKeyFromMultibase(multibase: string): KeyObject {
  if (!multibase.startsWith('z')) {
    throw new InvalidDidError('A did:key must be multibase base58btc (start with "z").');
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase58(multibase.slice(1));
  } catch (error) {
    throw new InvalidDidError(`Malformed did:key: ${(error as Error).message}.`);
  }
  const [first, second] = ED25519_PUB_MULTICODEC;
  if (bytes.length !== 34 || bytes[0] !== first || bytes[1] !== second) {
    throw new InvalidDidError('This did:key does not hold an Ed25519 public key.');
  }
  return ed25519PublicKeyFromRaw(bytes.subarray(2));
}
