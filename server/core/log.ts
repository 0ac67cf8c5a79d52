import { pino, type Logger, type LevelWithSilent, type LoggerOptions } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];

/**
 * Structured logs: one JSON object a line on stdout, with a level, a time and a request id on
 * every line about a request. Messages are constant strings and everything variable goes into
 * fields, so nothing a client sends (a URL holding `%s`, say) can shape a log line. Tokens and
 * bodies are never logged; the paths below are redacted in case a caller passes them anyway.
 */
export function createLogger(options: { service: string; level?: LogLevel; destination?: NodeJS.WritableStream }): Logger {
  const settings: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service },
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'body', '*.body'],
      censor: '[redacted]',
    },
    serializers: { err: pino.stdSerializers.err },
  };
  // pino's own destination writes synchronously, so the line about a crash is not lost.
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** For tests and commands that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' });
