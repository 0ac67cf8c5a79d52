import { askPeer, PeerUnreachableError, type PeerAnswer } from '../../core/http-client.js';
import { HarvestStoppedError, NodeUnreachableError } from '../errors.js';

export interface NodeFetchLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Ends the wait at once (the index is closing, or a node's harvest ran out of time). */
  signal?: AbortSignal;
}

/**
 * One GET from a node, the only way the index reads from nodes (the registration check and
 * harvesting): bounded in time and size, no redirects (what a node publishes must be where its
 * registration says it is). A node that cannot be reached, is too slow or sends too much is
 * `NodeUnreachable`, naming what went wrong; any status is returned for the caller to judge.
 */
export async function fetchFromNode(address: string, limits: NodeFetchLimits): Promise<PeerAnswer> {
  try {
    return await abortable(askPeer(address, { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes, headers: { accept: 'application/json' } }), limits.signal);
  } catch (error) {
    if (error instanceof PeerUnreachableError) {
      // Said apart, so that a caller can refuse one oversized envelope rather than the node.
      const tooLarge = error.message.includes(`larger than ${limits.maxBytes} bytes`);
      throw new NodeUnreachableError(`Could not read ${address}: ${error.message}.`, tooLarge ? { tooLarge: true } : undefined);
    }
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

/** Why a signal ended a wait, as an error the harvest reports. */
export function stoppedBy(signal: AbortSignal): Error {
  const reason = signal.reason as unknown;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new NodeUnreachableError('The node’s harvest ran out of time (harvest.nodeDeadlineMs).');
  return reason instanceof Error && !(reason instanceof DOMException) ? reason : new HarvestStoppedError();
}

/**
 * `work`, or the signal's reason as soon as it fires. The request itself still ends within its
 * own timeout (askPeer takes no signal); nobody waits for it.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(stoppedBy(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stoppedBy(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
