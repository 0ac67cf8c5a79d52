import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { runCli } from '../helpers/cli.js';
import { exited, startIndexProcess } from './helpers.js';

describe('tributary index', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tributary-index-cli-')), 'index');
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('init writes a validated config and the log key, and refuses to run twice on one directory', () => {
    const dir = fresh();
    const init = runCli(['index', 'init', '--dir', dir, '--name', 'Kielezo', '--url', 'https://index.example.org/', '--json']);
    expect(init.status, init.stderr).toBe(0);
    const { config } = JSON.parse(init.stdout);
    expect(config).toMatchObject({ name: 'Kielezo', url: 'https://index.example.org', origin: 'index.example.org/feed', nodes: { staleAfterMinutes: 30 } });
    expect(config.limits.bodyBytes).toBe(1024 * 1024);
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))).toEqual(config);
    expect(statSync(join(dir, 'keys', 'log.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'index.json')).mode & 0o777).toBe(0o600);

    const again = runCli(['index', 'init', '--dir', dir, '--name', 'Other', '--url', 'https://other.example.org']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const bad = runCli(['index', 'init', '--dir', fresh(), '--name', 'Bad', '--url', 'ftp://index.example.org']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/url/);
  });

  it('start serves the index from TRIBUTARY_DIR on TRIBUTARY_PORT, publishes its log key, and stops on SIGTERM', async () => {
    const dir = fresh();
    expect(runCli(['index', 'init', '--dir', dir, '--name', 'Kielezo', '--url', 'http://127.0.0.1:8090']).status).toBe(0);
    const running = await startIndexProcess(dir, { env: { TRIBUTARY_DIR: dir, TRIBUTARY_PORT: '0' } });
    try {
      const document = (await (await fetch(`${running.url}/.well-known/tributary-index.json`)).json()) as Record<string, string>;
      expect(document).toMatchObject({ type: 'tributary-index', name: 'Kielezo', origin: '127.0.0.1:8090/feed' });
      expect(parseVerifierKey(document.logKey!).keyName).toBe('127.0.0.1:8090/feed');
      const checkpoint = await (await fetch(`${running.url}/api/v1/log/checkpoint`)).text();
      expect(checkpoint.split('\n').slice(0, 2)).toEqual(['127.0.0.1:8090/feed', '0']);
      expect((await fetch(`${running.url}/api/v1/nothing`)).status).toBe(404);
      expect(existsSync(join(dir, 'index.sqlite'))).toBe(true);
    } finally {
      running.child.kill('SIGTERM');
      expect(await exited(running.child)).toBe(null);
    }
  });

  it('start refuses, naming the file, when the log key is missing; it never makes a new one', () => {
    const dir = fresh();
    expect(runCli(['index', 'init', '--dir', dir, '--name', 'Kielezo', '--url', 'http://127.0.0.1:8090']).status).toBe(0);
    renameSync(join(dir, 'keys', 'log.key'), join(dir, 'keys', 'log.key.bak'));
    const start = runCli(['index', 'start', '--dir', dir, '--port', '0']);
    expect(start.status).toBe(1);
    expect(start.stderr).toContain(join(dir, 'keys', 'log.key'));
    expect(start.stderr).toMatch(/restore/);
    expect(existsSync(join(dir, 'keys', 'log.key'))).toBe(false);
    const none = runCli(['index', 'start', '--dir', fresh(), '--port', '0']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/tributary index init/);
  });

  it('start refuses a database URL that is not postgres://, and a read replica without its primary', () => {
    const dir = fresh();
    expect(runCli(['index', 'init', '--dir', dir, '--name', 'Kielezo', '--url', 'http://127.0.0.1:8090']).status).toBe(0);
    const mysql = runCli(['index', 'start', '--dir', dir, '--port', '0', '--database', 'mysql://db/index']);
    expect([mysql.status, mysql.stderr.trim()]).toEqual([2, 'tributary: --database takes a postgres:// URL (without --database, the index uses index.sqlite in its directory)']);
    const lone = runCli(['index', 'start', '--dir', dir, '--port', '0', '--read-database', 'postgres://replica/index']);
    expect([lone.status, lone.stderr.trim()]).toEqual([2, 'tributary: --read-database names a replica of the index database: give --database too']);
  });
});
