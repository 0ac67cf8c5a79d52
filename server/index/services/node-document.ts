import { askPeer, PeerUnreachableError } from '../../core/http-client.js';
import { NodeUnreachableError } from '../errors.js';

export interface NodeDocumentLimits {
  timeoutMs: number;
  maxBytes: number;
}

/**
 * Reads a node's `/.well-known/tributary.json`, bounded in time and size, without following
 * redirects (the document must be where the registration says the node is). Any failure is
 * `NodeUnreachable` (the registration is refused, a 4xx: the node is the one to fix it), naming
 * what went wrong; the caller compares the document with what the node signed.
 */
export async function fetchNodeDocument(url: string, limits: NodeDocumentLimits): Promise<unknown> {
  const address = `${url.replace(/\/+$/, '')}/.well-known/tributary.json`;
  let answer;
  try {
    answer = await askPeer(address, { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes, headers: { accept: 'application/json' } });
  } catch (error) {
    if (error instanceof PeerUnreachableError) throw new NodeUnreachableError(`Could not read the node's document: ${error.message}.`);
    throw error;
  }
  if (answer.status !== 200) throw new NodeUnreachableError(`Could not read ${address}: it answered ${answer.status}.`);
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new NodeUnreachableError(`Could not read ${address}: it is not JSON.`);
  }
}
