import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessGrants, type AccessGrant } from '../../server/trainer/access-grants.js';

const grant = (dataset: string): AccessGrant => ({
  node: 'did:web:node.example.org',
  dataset,
  grantId: `grant-${dataset}`,
  token: `token-${dataset}`,
  status: 'approved',
  requestedAt: '2026-12-01T00:00:00.000Z',
  origin: 'https://node.example.org',
});

describe('access grants', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-grants-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two puts at once keep both grants, whichever write would finish last', async () => {
    // The first write is held until the second put has been made; the file is what the last write wrote.
    let file = '';
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const grants = await AccessGrants.open(dir, {
      write: async (_path, text) => {
        if (writes++ === 0) await gate;
        file = text;
      },
    });
    const first = grants.put(grant('sw-speech'));
    const second = grants.put(grant('yo-text'));
    release();
    await Promise.all([first, second]);
    expect((JSON.parse(file) as { grants: AccessGrant[] }).grants.map((g) => g.dataset).sort()).toEqual(['sw-speech', 'yo-text']);
  });

  it('writes the file 0600 and reads it back', async () => {
    const grants = await AccessGrants.open(dir);
    await Promise.all([grants.put(grant('a')), grants.put(grant('b'))]);
    const again = await AccessGrants.open(dir);
    expect(again.find('did:web:node.example.org', 'a')?.token).toBe('token-a');
    expect(again.find('did:web:node.example.org', 'b')?.origin).toBe('https://node.example.org');
  });
});
