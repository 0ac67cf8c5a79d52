import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startNodeProcess, killHard } from '../helpers/cli.js';
import { seedBulkSpeech } from '../helpers/bulk-speech.js';
import { apiClient } from '../helpers/node.js';

const root = join(fileURLToPath(import.meta.url), '../../..');

describe('a release build killed mid-way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-fault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves nothing served, and the next build succeeds', async () => {
    expect(runCli(['node', 'init', '--dir', dir, '--name', 'Fault test', '--languages', 'sw']).status).toBe(0);
    seedBulkSpeech(dir, { records: 600, speakers: 6, seconds: 5, language: 'sw' });

    // The build kills itself as its first split's finished shards are about to be renamed into
    // place: mid-way, by construction, not by a poller racing it.
    const crashHook = join(root, 'test/helpers/crash-at-first-shard.ts');
    const build = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', crashHook, join(root, 'server/cli/tributary.ts'), 'release', 'build', '--dir', dir, '--lang', 'sw', '--modality', 'speech', '--shard-mb', '20', '--json'],
      { cwd: root, stdio: 'ignore' },
    );
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => build.on('exit', (_code, signal) => resolve(signal)));
    expect(exit).toBe('SIGKILL');
    const releases = join(dir, 'releases', 'sw-speech');
    const abandoned = readdirSync(releases).filter((e) => e.startsWith('.build-'));
    expect(abandoned).toHaveLength(1);
    expect(readdirSync(join(releases, abandoned[0]!, 'data')).length).toBeGreaterThan(0);

    const node = await startNodeProcess(dir);
    try {
      const api = apiClient(node.url + '/api/v1');
      expect((await api.get('/datasets')).body.datasets).toEqual([]);
      expect((await api.get('/datasets/sw-speech/manifest')).status).toBe(404);
      expect(readdirSync(releases).filter((e) => !e.startsWith('.build-'))).toEqual([]);

      const again = runCli(['release', 'build', '--dir', dir, '--lang', 'sw', '--modality', 'speech', '--shard-mb', '20', '--json']);
      expect(again.status, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).release).toMatchObject({ version: '1.0.0', records: 600 });
      expect(readdirSync(releases)).toEqual(['1.0.0']);
      const listed = (await api.get('/datasets')).body.datasets;
      expect(listed).toEqual([expect.objectContaining({ id: 'sw-speech', version: '1.0.0', records: 600 })]);
    } finally {
      await killHard(node.child);
    }
  }, 120_000);
});
