import { writeNodeConfig, type NodeConfig, type NodeConfigInput } from './config.js';
import { ensureNodeKeys } from './identity.js';

/** A new node: its config and its identity keys (signing and rotation). */
export function initNode(dir: string, input: NodeConfigInput): NodeConfig {
  const config = writeNodeConfig(dir, input);
  ensureNodeKeys(dir);
  return config;
}
