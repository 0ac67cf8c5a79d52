import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

    // Kill the build once it has started writing shards.
    const build = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/cli/main.ts'), 'release', 'build', '--dir', dir, '--lang', 'sw', '--modality', 'speech', '--shard-mb', '20', '--json'], { cwd: root, stdio: 'ignore' });
    const releases = join(dir, 'releases', 'sw-speech');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const building = existsSync(releases) ? readdirSync(releases).find((e) => e.startsWith('.build-')) : undefined;
        if (building && existsSync(join(releases, building, 'data')) && readdirSync(join(releases, building, 'data')).length > 0) {
          clearInterval(timer);
          build.kill('SIGKILL');
          resolve();
        }
      }, 20);
      build.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the build finished before it could be killed'));
      });
    });
    await new Promise((resolve) => build.on('exit', resolve));

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
