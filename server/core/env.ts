/**
 * The only module that reads `process.env`. Everything else receives these values through
 * configuration objects, so tests can build a node without touching the environment.
 */
export interface Env {
  port?: number;
  host?: string;
  dir?: string;
  logRequests: boolean;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  return {
    port: env.TRIBUTARY_PORT ? Number(env.TRIBUTARY_PORT) : undefined,
    host: env.TRIBUTARY_HOST || undefined,
    dir: env.TRIBUTARY_DIR || undefined,
    logRequests: env.TRIBUTARY_LOG_REQUESTS === '1',
  };
}
