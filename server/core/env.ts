import { LOG_LEVELS, type LogLevel } from './log.js';

/**
 * The only module that reads `process.env`. Everything else receives these values through
 * configuration objects, so tests can build a service without touching the environment.
 */
export interface Env {
  port?: number;
  host?: string;
  dir?: string;
  /** `TRIBUTARY_LOG_LEVEL`: info by default; debug adds a line per request. */
  logLevel: LogLevel;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const level = env.TRIBUTARY_LOG_LEVEL?.toLowerCase();
  return {
    port: env.TRIBUTARY_PORT ? Number(env.TRIBUTARY_PORT) : undefined,
    host: env.TRIBUTARY_HOST || undefined,
    dir: env.TRIBUTARY_DIR || undefined,
    logLevel: LOG_LEVELS.find((l) => l === level) ?? 'info',
  };
}
