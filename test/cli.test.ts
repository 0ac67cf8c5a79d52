import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killHard, runCli, startNodeProcess } from './helpers/cli.js';
import { apiClient, joinWithConsent } from './helpers/node.js';

describe('tributary CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('node init writes a validated config readable only by its owner, and refuses to overwrite it', () => {
    const nodeDir = join(dir, 'node');
    const res = runCli(['node', 'init', '--dir', nodeDir, '--name', 'Jumuiya ya Kiswahili', '--languages', 'sw,pa-arab', '--jurisdiction', 'KE']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('Jumuiya ya Kiswahili');
    const config = JSON.parse(readFileSync(join(nodeDir, 'node.json'), 'utf8'));
    expect(config).toMatchObject({ name: 'Jumuiya ya Kiswahili', languages: ['sw', 'pa-Arab'], jurisdiction: 'KE', license: 'CC-BY-4.0' });
    expect(config.votes).toEqual({ validateAt: 2, rejectAt: 2 });
    expect(statSync(join(nodeDir, 'node.json')).mode & 0o777).toBe(0o600);
    for (const key of ['signing.key', 'rotation.key']) {
      expect(statSync(join(nodeDir, 'keys', key)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(nodeDir, 'keys', key), 'utf8')).toContain('PRIVATE KEY');
    }

    const again = runCli(['node', 'init', '--dir', nodeDir, '--name', 'Other', '--languages', 'sw']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('node init explains an invalid language or country without a stack trace', () => {
    const res = runCli(['node', 'init', '--dir', join(dir, 'bad'), '--name', 'X', '--languages', 'sw,klingonish', '--jurisdiction', 'kenya']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('languages.1');
    expect(res.stderr).toContain('jurisdiction');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('node start --init-if-missing (what npm start runs) makes a working node with sentences to read', async () => {
    const node = await startNodeProcess(join(dir, 'fresh'), ['--init-if-missing']);
    try {
      const api = apiClient(node.url + '/api/v1');
      const volunteer = await joinWithConsent(api);
      const prompts = await api.get('/prompts?lang=sw&limit=100', volunteer.token);
      expect(prompts.body.prompts).toHaveLength(12);
      expect(prompts.body.prompts[0]).toMatchObject({ license: 'CC0-1.0', status: 'accepted' });
    } finally {
      await killHard(node.child);
    }
  });

  it('node start fails with a clear message when the directory holds no node', () => {
    const res = runCli(['node', 'start', '--dir', join(dir, 'nothing-here'), '--port', '0']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('tributary node init');
  });

  it('release build refuses a mistyped option in one line, before touching anything', () => {
    const nodeDir = join(dir, 'release-options');
    expect(runCli(['node', 'init', '--dir', nodeDir, '--name', 'Options', '--languages', 'sw']).status).toBe(0);
    const res = runCli(['release', 'build', '--dir', nodeDir, '--lang', 'sw', '--modality', 'video']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('modality');
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(nodeDir, 'releases'))).toBe(false);
    expect(existsSync(join(nodeDir, 'node.sqlite'))).toBe(false);
  });

  it('every command finds the node through TRIBUTARY_DIR when --dir is not given', () => {
    const nodeDir = join(dir, 'from-env');
    const env = { TRIBUTARY_DIR: nodeDir };
    expect(runCli(['node', 'init', '--name', 'From env', '--languages', 'sw', '--url', 'http://127.0.0.1:9'], { env }).status).toBe(0);
    expect(existsSync(join(nodeDir, 'node.json'))).toBe(true);
    const token = runCli(['admin', 'token'], { env });
    expect(token.status, token.stderr).toBe(0);
    expect(token.stdout.trim()).toMatch(/^trb_/);
    expect(runCli(['admin', 'tokens', '--json'], { env }).status).toBe(0);
    const sentences = join(dir, 'from-env.txt');
    writeFileSync(sentences, 'Watoto wanacheza mpira uwanjani kila jioni.\n');
    const imported = runCli(['prompts', 'import', sentences, '--lang', 'sw', '--json'], { env });
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).imported).toBe(1);
    const release = runCli(['release', 'build', '--lang', 'sw', '--modality', 'text'], { env });
    expect(release.stderr).toContain('No validated samples');
  });

  it('node start takes its port and address from TRIBUTARY_PORT and TRIBUTARY_HOST, as npm start runs it', async () => {
    const nodeDir = join(dir, 'port-from-env');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const node = await startNodeProcess(nodeDir, ['--init-if-missing'], {
      TRIBUTARY_DIR: nodeDir,
      TRIBUTARY_PORT: String(port),
      TRIBUTARY_HOST: '127.0.0.1',
    });
    try {
      expect(node.url).toBe(`http://127.0.0.1:${port}`);
      // The default node's public URL is where it listens, so what it signs links somewhere real.
      expect(JSON.parse(readFileSync(join(nodeDir, 'node.json'), 'utf8')).url).toBe(`http://localhost:${port}`);
    } finally {
      await killHard(node.child);
    }
  });

  it('node start refuses a broken node.json at once, naming the setting, without a stack trace', () => {
    const nodeDir = join(dir, 'broken');
    expect(runCli(['node', 'init', '--dir', nodeDir, '--name', 'Broken', '--languages', 'sw']).status).toBe(0);
    const file = join(nodeDir, 'node.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...config, votes: { ...config.votes, validateAt: 0 } }));
    const res = runCli(['node', 'start', '--dir', nodeDir, '--port', '0']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('votes.validateAt');
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout).not.toContain('listening');
  });

  it('langid prints a table, or JSON with --json, restricted to the candidates', () => {
    const json = runCli(['langid', 'Habari za asubuhi, watoto wanakwenda shuleni leo.', '--candidates', 'sw,yo', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.code).toBe('swa');
    expect(result.script).toBe('Latn');
    expect(result.score).toBeGreaterThan(0);
    const table = runCli(['langid', 'Ọmọ náà ń lọ sí ilé-ìwé lójoojúmọ́ pẹ̀lú àwọn ọ̀rẹ́ rẹ̀.', '--candidates', 'sw,yo']);
    expect(table.stdout).toMatch(/language.*confidence.*script/s);
    expect(table.stdout).toContain('yor');
    const bad = runCli(['langid', 'hello', '--candidates', 'not-a-language']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('not a language tag');
  });
});
