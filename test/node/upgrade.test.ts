import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Migration } from '../../server/core/db.js';
import { initNode } from '../../server/node/init.js';
import { nodeMigrations } from '../../server/node/migrations/index.js';
import { runCli } from '../helpers/cli.js';

const first: Migration = { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' };
const second: Migration = { version: 2, name: 'note-authors', sql: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown'" };

describe('upgrading a database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-upgrade-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a new migration once on the old data, and never again', () => {
    const file = join(dir, 'service.sqlite');
    const old = openDatabase(file, [first]);
    old.prepare('INSERT INTO notes (body) VALUES (?)').run('kept across the upgrade');
    old.close();

    for (let start = 0; start < 2; start++) openDatabase(file, [first, second]).close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2]);
      expect(db.prepare('SELECT body, author FROM notes').all()).toEqual([{ body: 'kept across the upgrade', author: 'unknown' }]);
    } finally {
      db.close();
    }
  });

  it('counts the recordings of the sentences a node already holds when migration 014 arrives', () => {
    const file = join(dir, 'node.sqlite');
    const old = openDatabase(file, nodeMigrations.filter((m) => m.version < 14));
    old.pragma('foreign_keys = OFF');
    const at = new Date().toISOString();
    const prompt = old.prepare("INSERT INTO prompts (id, language, text, text_key, license, status, created_at) VALUES (?, ?, ?, ?, 'CC0-1.0', ?, ?)");
    prompt.run('P1', 'sw', 'Sentensi ya kwanza.', 'sw:1', 'accepted', at);
    prompt.run('P2', 'sw-KE', 'Sentensi ya pili.', 'sw-KE:2', 'accepted', at);
    prompt.run('P3', 'sw', 'Sentensi ya tatu.', 'sw:3', 'pending', at);
    const recording = old.prepare(
      `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, prompt_id, license, status, created_at)
       VALUES (?, 'C', 'R', 'speech', 'sw', 'swh', ?, 'CC-BY-4.0', ?, ?)`,
    );
    recording.run('S1', 'P1', 'validated', at);
    recording.run('S2', 'P1', 'pending', at);
    recording.run('S3', 'P1', 'withdrawn', at);
    recording.run('S4', 'P2', 'withdrawn', at);
    old.close();

    const db = openDatabase(file, nodeMigrations);
    try {
      expect(db.prepare('SELECT id, recordings FROM prompts ORDER BY id').all()).toEqual([
        { id: 'P1', recordings: 2 },
        { id: 'P2', recordings: 0 },
        { id: 'P3', recordings: 0 },
      ]);
      expect(db.prepare('SELECT language, status, count FROM prompt_counts ORDER BY 1, 2').all()).toEqual([
        { language: 'sw', status: 'accepted', count: 1 },
        { language: 'sw', status: 'pending', count: 1 },
        { language: 'sw-KE', status: 'accepted', count: 1 },
      ]);
      // Every prompt drew its own place in the reading order.
      expect(db.prepare('SELECT count(DISTINCT shuffle) FROM prompts').pluck().get()).toBe(3);
    } finally {
      db.close();
    }
  });

  it('refuses a database a newer version wrote, and leaves it as it was', () => {
    const file = join(dir, 'service.sqlite');
    openDatabase(file, [first, second]).close();
    expect(() => openDatabase(file, [first])).toThrow(
      expect.objectContaining({ code: 'DatabaseTooNew', message: expect.stringContaining('schema migration 2, newer than this version of Tributary knows (up to 1)') }),
    );
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2]);
    } finally {
      db.close();
    }
  });

  it('a node refuses to start on a database from a newer version, saying what to do', { timeout: 60_000 }, () => {
    initNode(dir, { name: 'Upgrade node', languages: ['sw'] });
    const db = openDatabase(join(dir, 'node.sqlite'), nodeMigrations);
    const newest = Math.max(...nodeMigrations.map((m) => m.version));
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(newest + 1, 'from-the-future', new Date().toISOString());
    db.close();

    // Were it to start, it would serve until killed: 30 s is far beyond a refusal.
    const started = runCli(['node', 'start', '--dir', dir, '--port', '0'], { timeoutMs: 30_000 });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(`schema migration ${newest + 1}, newer than this version of Tributary knows (up to ${newest})`);
    expect(started.stderr).toContain('restore a backup made for this one');
    expect(started.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
  });
});
