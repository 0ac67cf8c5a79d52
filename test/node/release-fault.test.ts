import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliArgv, runCli, startNodeProcess, killHard } from '../helpers/cli.js';
import { seedBulkSpeech } from '../helpers/bulk-speech.js';
import { apiClient } from '../helpers/node.js';
import { publicKeyMultibase, readNodeKeys } from '../../pipelines/signing/keys.js';

const root = join(fileURLToPath(import.meta.url), '../../..');

describe('a release build killed mid-way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-fault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves nothing served, and the next build succeeds', async () => {
    const init = runCli(['node', 'init', '--dir', dir, '--name', 'Fault test', '--languages', 'sw', '--url', 'https://fault.example.org']);
    expect(init.status, init.stderr).toBe(0);
    seedBulkSpeech(dir, { records: 600, speakers: 6, seconds: 5, language: 'sw' });

    // The build kills itself as soon as its first file is published into the release store:
    // mid-publication, by construction, not by a poller racing it.
    const crashHook = join(root, 'test/helpers/crash-at-first-shard.ts');
    const build = spawn(
      process.execPath,
      cliArgv(['release', 'build', '--dir', dir, '--lang', 'sw', '--modality', 'speech', '--shard-mb', '20', '--json'], [crashHook]),
      { cwd: root, stdio: 'ignore' },
    );
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => build.on('exit', (_code, signal) => resolve(signal)));
    expect(exit).toBe('SIGKILL');
    // Left behind: the build folder with the rest of the release, and one published file that
    // no row points at.
    const builds = join(dir, 'tmp');
    const abandoned = readdirSync(builds).filter((e) => e.startsWith(`build-${build.pid}-`));
    expect(abandoned).toHaveLength(1);
    expect(readdirSync(join(builds, abandoned[0]!, 'data')).length).toBeGreaterThan(0);
    expect(readdirSync(join(builds, abandoned[0]!))).toContain('croissant.dsse.json');
    const releases = join(dir, 'releases', 'sw-speech');
    const leftover = readdirSync(join(releases, '1.0.0', 'data'));
    expect(leftover).toHaveLength(1);
    expect(existsSync(join(releases, '1.0.0', 'croissant.dsse.json'))).toBe(false);

    const node = await startNodeProcess(dir);
    try {
      const api = apiClient(node.url + '/api/v1');
      expect((await api.get('/datasets')).body.datasets).toEqual([]);
      expect((await api.get('/datasets/sw-speech/manifest')).status).toBe(404);
      expect((await api.get(`/datasets/sw-speech/shards/data/${leftover[0]}?version=1.0.0`)).status).toBe(404);

      const again = runCli(['release', 'build', '--dir', dir, '--lang', 'sw', '--modality', 'speech', '--shard-mb', '20', '--json']);
      expect(again.status, again.stderr).toBe(0);
      const built = JSON.parse(again.stdout);
      expect(built.release).toMatchObject({ version: '1.0.0', records: 600 });
      // The abandoned build folder is gone, and the version holds exactly the new build's files.
      expect(readdirSync(builds)).toEqual([]);
      expect(readdirSync(releases)).toEqual(['1.0.0']);
      expect(readdirSync(join(releases, '1.0.0', 'data')).sort()).toEqual(built.shards.map((s: { name: string }) => s.name.slice('data/'.length)).sort());
      const verified = runCli(['release', 'verify', join(releases, '1.0.0'), '--key', publishedSigningKey(dir), '--json']);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
      const listed = (await api.get('/datasets')).body.datasets;
      expect(listed).toEqual([expect.objectContaining({ id: 'sw-speech', version: '1.0.0', records: 600 })]);
    } finally {
      await killHard(node.child);
    }
  }, 120_000);
});

/** The node's signing key as multibase, as its operator would hand it to someone checking a copy. */
function publishedSigningKey(dir: string): string {
  return publicKeyMultibase(readNodeKeys(join(dir, 'keys')).signing);
}
