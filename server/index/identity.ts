import type { KeyObject } from 'node:crypto';
import { verifierKey } from '../../pipelines/transparency/signed-note.js';
import type { IndexConfig } from './config.js';
import type { IndexSecrets } from './secrets.js';

/** Who the index is to trainers: its log's origin and the key its checkpoints are signed with. */
export interface IndexIdentity {
  origin: string;
  logKey: KeyObject;
  /** `<origin>+<key id>+<key>`: the one line a trainer pins (pipelines/transparency/signed-note.ts). */
  verifierKey: string;
}

export function indexIdentity(config: IndexConfig, secrets: IndexSecrets): IndexIdentity {
  return { origin: config.origin, logKey: secrets.logKey, verifierKey: verifierKey(config.origin, secrets.logKey) };
}
