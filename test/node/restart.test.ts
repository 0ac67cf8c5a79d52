import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { killHard, runCli, startNodeProcess } from '../helpers/cli.js';
import { apiClient, joinWithConsent } from '../helpers/node.js';

describe('restart safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every sample and vote acknowledged before a kill -9 of the node process', async () => {
    const init = runCli(['node', 'init', '--dir', dir, '--name', 'Restart test', '--languages', 'sw', '--json']);
    expect(init.status, init.stderr).toBe(0);

    const first = await startNodeProcess(dir);
    const api = apiClient(first.url + '/api/v1');
    const author = await joinWithConsent(api);
    const voter = await joinWithConsent(api);
    const sampleIds: string[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await api.post('/samples/text', { language: 'sw', text: `Sentensi ya majaribio nambari ${'moja '.repeat(i + 1)}imeandikwa.` }, author.token);
      expect(res.status).toBe(201);
      sampleIds.push(res.body.id);
    }
    for (const id of sampleIds.slice(0, 10)) {
      expect((await api.post(`/samples/${id}/votes`, { value: 'up' }, voter.token)).status).toBe(201);
    }
    await killHard(first.child);

    const second = await startNodeProcess(dir);
    try {
      const api2 = apiClient(second.url + '/api/v1');
      const exported = await api2.get('/me/export', author.token);
      expect(exported.status).toBe(200);
      expect(exported.body.samples.map((s: { id: string }) => s.id)).toEqual(sampleIds);
      const votes = await api2.get('/me/export', voter.token);
      expect(votes.body.votes.samples).toHaveLength(10);
    } finally {
      await killHard(second.child);
    }
    const db = new Database(join(dir, 'node.sqlite'), { readonly: true });
    expect(db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    db.close();
  });
});
