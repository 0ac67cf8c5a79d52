import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { defineError } from './errors.js';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Settings every connection to a service's database makes (WAL mode is a property of the file).
 * Write transactions that read first begin IMMEDIATE (`db.transaction(fn).immediate()`): the
 * sample writer thread writes through a second connection, and a deferred transaction that read
 * before it committed could not write afterwards.
 */
export const CONNECTION_PRAGMAS: readonly string[] = [
  'synchronous = NORMAL',
  'foreign_keys = ON',
  'busy_timeout = 5000',
  'wal_autocheckpoint = 8000',
  'journal_size_limit = 33554432',
  // 4 MB of pages per connection, not the driver's 16: the operating system caches the file too,
  // and on a small box a cache that fills once and never empties reads as memory the service kept.
  'cache_size = -4000',
];

/**
 * Opens (creating if needed) a SQLite file in WAL mode with foreign keys on, and brings its
 * schema up to date. `synchronous = NORMAL` keeps every committed transaction across a crash of
 * the process; only a power loss can cost the last moments, which a service on one machine accepts
 * for a large gain in write throughput.
 *
 * The WAL is checkpointed into the database every 8,000 pages (32 MB) instead of SQLite's 1,000:
 * each checkpoint syncs the disk twice, and on a busy server those syncs, not the page copies, were
 * the largest cost of writing a sample (40 µs of 90 with the default). A crash loses nothing by
 * this, and the WAL file is truncated back to 32 MB after a burst.
 */
export function openDatabase(file: string, migrations: Migration[]): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (const pragma of CONNECTION_PRAGMAS) db.pragma(pragma);
  try {
    migrate(db, migrations, file);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** The database was written by a newer Tributary: this one must not touch it. */
export const DatabaseTooNewError = defineError(
  'DatabaseTooNew',
  'The database was written by a newer version of Tributary. Run that version, or restore a backup made for this one.',
);

/**
 * Refuses a database with a migration this code does not know: a newer version ran on it, and
 * an older one could misread or overwrite what it changed. `what` names the database for the
 * operator.
 */
export function refuseNewerSchema(applied: Iterable<number>, migrations: readonly Migration[], what: string): void {
  const known = new Set(migrations.map((migration) => migration.version));
  const unknown = [...applied].filter((version) => !known.has(version));
  if (unknown.length === 0) return;
  const newest = Math.max(...unknown);
  throw new DatabaseTooNewError(
    `${what} has schema migration ${newest}, newer than this version of Tributary knows (up to ${Math.max(0, ...known)}). ` +
      'Run the newer version, or restore a backup made for this one.',
    { newest, known: Math.max(0, ...known) },
  );
}

/**
 * Brings the schema up to date, each migration exactly once: in its own IMMEDIATE transaction
 * that checks again whether another process applied it meanwhile (two processes starting on one
 * file), so a migration never runs twice and a failed one leaves nothing behind.
 */
function migrate(db: Db, migrations: Migration[], file: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  refuseNewerSchema(applied, migrations, file);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    // An up-to-date database (every start but the first after an upgrade) takes no write lock.
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      if (isApplied.get(migration.version)) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }).immediate();
  }
}
