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
  /** `TRIBUTARY_TRAINER_CONFIG`: the trainer's config file (name, contact, purpose for access requests). */
  trainerConfig?: string;
  /** `XDG_CONFIG_HOME`, where `~/.config` is when it is set. */
  configHome?: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const level = env.TRIBUTARY_LOG_LEVEL?.toLowerCase();
  return {
    port: env.TRIBUTARY_PORT ? Number(env.TRIBUTARY_PORT) : undefined,
    host: env.TRIBUTARY_HOST || undefined,
    dir: env.TRIBUTARY_DIR || undefined,
    logLevel: LOG_LEVELS.find((l) => l === level) ?? 'info',
    trainerConfig: env.TRIBUTARY_TRAINER_CONFIG || undefined,
    configHome: env.XDG_CONFIG_HOME || undefined,
  };
}
