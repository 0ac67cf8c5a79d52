import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidShardKeyError } from '../../pipelines/release/shards/errors.js';
import { KeyFileError } from '../../pipelines/signing/errors.js';
import { statusOf } from '../../server/core/http.js';
import { silentLogger } from '../../server/core/log.js';
import { loadNodeConfig } from '../../server/node/config.js';
import { openNodeContext } from '../../server/node/context.js';
import { createNode } from '../../server/node/create-node.js';
import { ConsentRequiredError, NODE_STATUSES } from '../../server/node/errors.js';
import { initNode } from '../../server/node/init.js';
import { loadNodeSecrets } from '../../server/node/secrets.js';

const notices = (dir: string) => {
  const db = new Database(join(dir, 'node.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM consent_notices').pluck().get();
  } finally {
    db.close();
  }
};

describe('a node context', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens without writing anything but its schema, and closes every service it started', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-context-'));
    initNode(dir, { name: 'Context', languages: ['sw'], url: 'http://127.0.0.1:9' });
    const options = { dir, config: loadNodeConfig(dir), secrets: loadNodeSecrets(dir), logger: silentLogger };
    const context = openNodeContext(options);
    await context.close();
    expect(notices(dir)).toBe(0);
    // Recording the notices volunteers are shown is what a serving node does when it starts.
    const node = createNode(options);
    await node.close();
    expect(notices(dir)).toBeGreaterThan(0);
  });
});

describe('one error mapper for every error family', () => {
  it('answers a coded error with its status from the table, and treats a code the table lacks as a bug', () => {
    expect(statusOf(new ConsentRequiredError(), NODE_STATUSES)?.status).toBe(403);
    // Pipeline codes that should never reach HTTP are not in the node's table: a 500, logged.
    expect(statusOf(new InvalidShardKeyError('x'), NODE_STATUSES)).toBeUndefined();
    expect(statusOf(new KeyFileError('/k', 'gone'), NODE_STATUSES)).toBeUndefined();
    expect(statusOf(new Error('plain'), NODE_STATUSES)).toBeUndefined();
  });
});
