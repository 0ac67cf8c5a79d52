import { TributaryError } from './errors.js';

/** What a peer answered: its status, its body as text (bounded), and its stable error code if it gave one. */
export interface PeerAnswer {
  status: number;
  text: string;
  /** `error.code` of a JSON error answer (`{"error": {"code", "message"}}`), as every Tributary service sends. */
  code?: string;
  message?: string;
}

/** A peer could not be reached, took too long, or sent more than the caller accepts. */
export class PeerUnreachableError extends TributaryError {
  static readonly code = 'PeerUnreachable';
  constructor(url: string, reason: string) {
    super('PeerUnreachable', `${url} could not be reached: ${reason}`, { url });
  }
}

/**
 * One request to another Tributary service: bounded in time and in the size
 * of the answer read, so a slow or hostile peer cannot hold a process or fill its memory.
 */
export async function askPeer(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number; maxBytes?: number } = {},
): Promise<PeerAnswer> {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      redirect: 'error',
    });
  } catch (error) {
    throw new PeerUnreachableError(url, (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).byteLength;
      if (size > maxBytes) throw new PeerUnreachableError(url, `the answer is larger than ${maxBytes} bytes`);
      chunks.push(chunk as Uint8Array);
    }
  } catch (error) {
    if (error instanceof PeerUnreachableError) throw error;
    throw new PeerUnreachableError(url, (error as Error).message);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const answer: PeerAnswer = { status: response.status, text };
  if (response.status >= 400) {
    try {
      const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof error?.code === 'string') answer.code = error.code;
      if (typeof error?.message === 'string') answer.message = error.message;
    } catch {
      // Not a Tributary error answer: status and text say what there is to say.
    }
  }
  return answer;
}
