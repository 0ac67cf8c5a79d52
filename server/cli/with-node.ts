import { resolve } from 'node:path';
import { readEnv } from '../core/env.js';
import { createLogger } from '../core/log.js';
import { loadNodeConfig } from '../node/config.js';
import { openNodeContext, type NodeContext } from '../node/context.js';
import { loadNodeSecrets } from '../node/secrets.js';

/** Where `npm start` keeps its node, and where commands look when told nothing else. */
export const DEFAULT_NODE_DIR = './data/node';

/** The node directory a command works on: `--dir`, else `TRIBUTARY_DIR`, else ./data/node. */
export function nodeDir(option: string | undefined): string {
  return resolve(option ?? readEnv().dir ?? DEFAULT_NODE_DIR);
}

/**
 * Opens a node (config → secrets → context), runs `fn`, and closes it whatever happens. Warnings
 * go to stderr as log lines, so a command's stdout stays its table or JSON.
 */
export async function withNode<T>(dir: string, fn: (context: NodeContext) => T | Promise<T>): Promise<T> {
  const config = loadNodeConfig(dir);
  const secrets = loadNodeSecrets(dir);
  const logger = createLogger({ service: 'node', level: 'warn', destination: process.stderr });
  const context = openNodeContext({ dir, config, secrets, logger });
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

/** A comma-separated option as a list. */
export const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
