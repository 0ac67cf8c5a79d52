import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateKeyFile } from '../../pipelines/signing/keys.js';
import { writeIndexConfig, type IndexConfig, type IndexConfigInput } from './config.js';
import { KEYS_DIR, LOG_KEY_FILE } from './secrets.js';

/** A new index: its config and its log key. The only place an index's key is made. */
export function initIndex(dir: string, input: Omit<IndexConfigInput, 'origin'> & { origin?: string }): IndexConfig {
  const config = writeIndexConfig(dir, input);
  mkdirSync(join(dir, KEYS_DIR), { recursive: true, mode: 0o700 });
  writePrivateKeyFile(join(dir, KEYS_DIR, LOG_KEY_FILE), generateKeyPairSync('ed25519').privateKey);
  return config;
}
