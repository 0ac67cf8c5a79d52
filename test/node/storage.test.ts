import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/core/db.js';
import { nodeMigrations } from '../../server/node/migrations/index.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { join } from 'node:path';

describe('a node’s database', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());

  it('is in WAL mode with foreign keys on, every migration applied once', () => {
    const migrations = () =>
      t.inspect((db) => db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all());
    expect(t.inspect((db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    expect(migrations()).toEqual(nodeMigrations.map(({ version, name }) => ({ version, name })));
    // Opening again (a restart) applies nothing twice; foreign keys are a per-connection setting.
    const again = openDatabase(join(t.dir, 'node.sqlite'), nodeMigrations);
    try {
      expect(again.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      again.close();
    }
    expect(migrations()).toHaveLength(nodeMigrations.length);
  });

  it('keeps only a hash of each bearer token', async () => {
    const volunteer = await joinWithConsent(t.api);
    const stored = t.inspect((db) => db.prepare('SELECT hash FROM tokens').pluck().all() as string[]);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
    const dump = t.inspect((db) => JSON.stringify(db.prepare('SELECT * FROM tokens').all()));
    expect(dump).not.toContain(volunteer.token);
  });

  it('finds a reader’s recordings of a prompt through an index, not a scan of all samples', () => {
    const plan = t.inspect((db) =>
      db
        .prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM samples WHERE prompt_id = ? AND contributor_id = ? AND status <> 'withdrawn'")
        .all('p', 'c')
        .map((row) => (row as { detail: string }).detail)
        .join('\n'),
    );
    expect(plan).toContain('samples_prompt');
  });
});
