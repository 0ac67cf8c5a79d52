/**
 * The node's HTTP API. Every refusal becomes an ApiError with the node's stable code, which
 * doubles as the key of its explanation in locales/<lng>/errors.json.
 */
import type { NodeInfo } from './types.js';

export const API_BASE = '/api/v1';

/** `Network` and `Unexpected` are the app's own codes, for when the node gave no usable answer. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads `{error:{code,message}}`; anything else is an unexpected answer. */
export function errorFromBody(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (body.error && typeof body.error.code === 'string') {
      return new ApiError(body.error.code, String(body.error.message ?? ''), status, body.error.details);
    }
  } catch {
    // not JSON
  }
  return new ApiError(status >= 500 ? 'Internal' : 'Unexpected', text.slice(0, 200), status);
}

export interface ApiClientOptions {
  token: () => string | null;
  /** Called when the node no longer knows the token (erased, revoked). */
  onUnauthenticated: () => void;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions) {
  async function send(method: string, path: string, body?: unknown, init: { token?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = init.token ?? options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError('Network', (error as Error).message, 0);
    }
    if (!response.ok) {
      const error = errorFromBody(response.status, await response.text().catch(() => ''));
      if (error.code === 'Unauthenticated' && !init.token) options.onUnauthenticated();
      throw error;
    }
    return response;
  }

  async function json<T>(method: string, path: string, body?: unknown, init?: { token?: string }): Promise<T> {
    const response = await send(method, path, body, init);
    return (await response.json()) as T;
  }

  return {
    get: <T>(path: string, init?: { token?: string }) => json<T>('GET', path, undefined, init),
    post: <T>(path: string, body: unknown) => json<T>('POST', path, body),
    patch: <T>(path: string, body: unknown) => json<T>('PATCH', path, body),
    put: <T>(path: string, body: unknown) => json<T>('PUT', path, body),
    delete: <T>(path: string, body?: unknown) => json<T>('DELETE', path, body),
    /** Bytes that need the bearer token, e.g. a clip for an <audio> element, which cannot send headers. */
    async blob(path: string): Promise<{ blob: Blob; filename: string | null }> {
      const response = await send('GET', path.startsWith(API_BASE) ? path.slice(API_BASE.length) : path);
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null;
      return { blob: await response.blob(), filename };
    },
  };
}

/** Public, outside /api/v1: the node's name and languages. */
export async function fetchNodeInfo(): Promise<NodeInfo> {
  let response: Response;
  try {
    response = await fetch('/.well-known/tributary.json', { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new ApiError('Network', (error as Error).message, 0);
  }
  if (!response.ok) throw errorFromBody(response.status, await response.text());
  const body = (await response.json()) as NodeInfo;
  return { name: body.name, languages: body.languages };
}
