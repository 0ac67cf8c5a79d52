import { askPeer, PeerUnreachableError, type PeerAnswer } from '../../core/http-client.js';
import { NodeUnreachableError } from '../errors.js';

export interface NodeFetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

/**
 * One GET from a node, the only way the index reads from nodes (the registration check and
 * harvesting): bounded in time and size, no redirects (what a node publishes must be where its
 * registration says it is). A node that cannot be reached, is too slow or sends too much is
 * `NodeUnreachable`, naming what went wrong; any status is returned for the caller to judge.
 */
export async function fetchFromNode(address: string, limits: NodeFetchLimits): Promise<PeerAnswer> {
  try {
    return await askPeer(address, { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes, headers: { accept: 'application/json' } });
  } catch (error) {
    if (error instanceof PeerUnreachableError) throw new NodeUnreachableError(`Could not read ${address}: ${error.message}.`);
    throw error;
  }
}

/** `fetchFromNode`, expecting a 200 with JSON: anything else is `NodeUnreachable`. */
export async function fetchNodeJson(address: string, limits: NodeFetchLimits): Promise<unknown> {
  const answer = await fetchFromNode(address, limits);
  if (answer.status !== 200) throw new NodeUnreachableError(`Could not read ${address}: it answered ${answer.status}${answer.code ? ` ${answer.code}` : ''}.`);
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new NodeUnreachableError(`Could not read ${address}: it is not JSON.`);
  }
}

/**
 * Reads a node's `/.well-known/tributary.json`; the caller compares the document with what the
 * node signed. Any failure is `NodeUnreachable` (the registration is refused, a 4xx: the node is
 * the one to fix it).
 */
export function fetchNodeDocument(url: string, limits: NodeFetchLimits): Promise<unknown> {
  return fetchNodeJson(`${url.replace(/\/+$/, '')}/.well-known/tributary.json`, limits);
}
