import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/core/db.js';
import { GroupCommit } from '../../server/core/group-commit.js';

describe('group commit', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    db = openDatabase(join(dir, 'test.sqlite'), [
      { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)' },
    ]);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (body: string) => () => db.prepare('INSERT INTO notes (body) VALUES (?)').run(body).lastInsertRowid;
  const bodies = () => db.prepare('SELECT body FROM notes ORDER BY id').pluck().all();

  it('commits writes that arrive together in one transaction and answers each', async () => {
    const commits = new GroupCommit(db);
    const results = await Promise.all(['a', 'b', 'c'].map((body) => commits.run(insert(body))));
    expect(results).toEqual([1, 2, 3]);
    // Read through a second connection: the rows are committed, not just visible to the writer.
    const reader = openDatabase(join(dir, 'test.sqlite'), []);
    expect(reader.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(3);
    reader.close();
  });

  it('rolls back only the write that failed, including what it wrote before failing', async () => {
    const commits = new GroupCommit(db);
    const failing = () => {
      insert('half-done')();
      throw new Error('refused');
    };
    const outcomes = await Promise.allSettled([
      commits.run(insert('first')),
      commits.run(failing),
      commits.run(insert('first')), // unique violation
      commits.run(insert('last')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('refused');
    expect(bodies()).toEqual(['first', 'last']);
  });

  it('rejects a lone failing write with its own error', async () => {
    const commits = new GroupCommit(db);
    await commits.run(insert('x'));
    await expect(commits.run(insert('x'))).rejects.toThrow(/UNIQUE/);
    expect(bodies()).toEqual(['x']);
  });
});
