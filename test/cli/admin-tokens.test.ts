import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../server/core/db.js';
import { hashToken } from '../../server/core/tokens.js';
import { run } from '../../server/cli/main.js';
import { nodeMigrations } from '../../server/node/migrations/index.js';
import { ContributorService, LAST_USED_RESOLUTION_MS } from '../../server/node/services/contributors.js';
import { ContributorStore } from '../../server/node/stores/contributors.js';
import { runCli } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';

const DAY = 86_400_000;

/** Runs a command in this process (so a fake clock reaches it) and returns what it printed. */
async function runHere(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  try {
    const code = await run(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

async function mint(t: TestNode, ...args: string[]): Promise<{ tokenId: string; token: string; expiresAt: string | null; name: string | null }> {
  const res = await runHere(['admin', 'token', '--dir', t.dir, '--json', ...args]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

describe('admin tokens', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists every admin token by id, label and dates, and never shows a token or its hash', async () => {
    const laptop = await mint(t, '--name', 'laptop');
    const deploy = await mint(t, '--name', 'deploy script', '--expires', 'never');
    const plain = runCli(['admin', 'token', '--dir', t.dir]);
    expect(plain.stdout.trim()).toMatch(/^trb_[A-Za-z0-9_-]{43}$/); // stdout is the token alone, for scripts
    expect(plain.stderr).toMatch(/expires \d{4}-\d\d-\d\d/);

    // The default lifetime is 90 days.
    expect(Date.parse(laptop.expiresAt!) - Date.now()).toBeGreaterThan(89 * DAY);
    expect(Date.parse(laptop.expiresAt!) - Date.now()).toBeLessThanOrEqual(90 * DAY);
    expect(deploy.expiresAt).toBeNull();

    const json = await runHere(['admin', 'tokens', '--dir', t.dir, '--json']);
    const table = await runHere(['admin', 'tokens', '--dir', t.dir]);
    expect(json.code, json.stderr).toBe(0);
    expect(table.code, table.stderr).toBe(0);
    const { tokens } = JSON.parse(json.stdout);
    const byId = new Map(tokens.map((token: { id: string }) => [token.id, token]));
    expect(byId.get(laptop.tokenId)).toMatchObject({ role: 'admin', name: 'laptop', status: 'active', revokedAt: null, lastUsedAt: null });
    expect(byId.get(deploy.tokenId)).toMatchObject({ name: 'deploy script', expiresAt: null, status: 'active' });
    expect(table.stdout).toContain(laptop.tokenId);
    expect(table.stdout).toMatch(/deploy script.*never/);

    const secrets = [laptop.token, deploy.token, plain.stdout.trim()].flatMap((token) => [token, hashToken(token)]);
    for (const secret of secrets) {
      expect(json.stdout).not.toContain(secret);
      expect(table.stdout).not.toContain(secret);
    }
  });

  it('revokes a token on a node that is already running with it cached, from its next request on', async () => {
    const kept = await mint(t, '--name', 'kept');
    const revoked = await mint(t, '--name', 'to revoke');
    // Resolved and cached by the running node.
    expect((await t.api.get('/me', revoked.token)).status).toBe(200);
    expect((await t.api.get('/me', revoked.token)).status).toBe(200);

    const res = runCli(['admin', 'revoke', revoked.tokenId, '--dir', t.dir]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain(`revoked token ${revoked.tokenId} (to revoke)`);

    // No waiting: the revocation is another process's commit, and the very next request sees it.
    const refused = await t.api.get('/me', revoked.token);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('Unauthenticated');
    expect((await t.api.get('/me', kept.token)).status).toBe(200);

    const again = await runHere(['admin', 'revoke', revoked.tokenId, '--dir', t.dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already revoked');
    const listed = JSON.parse((await runHere(['admin', 'tokens', '--dir', t.dir, '--json'])).stdout).tokens;
    expect(listed.find((token: { id: string }) => token.id === revoked.tokenId).status).toBe('revoked');
  });

  it('applies the same revocation to a volunteer’s token', async () => {
    const volunteer = await joinWithConsent(t.api);
    expect((await t.api.get('/me', volunteer.token)).status).toBe(200);
    const tokenId = t.inspect((db) =>
      db.prepare('SELECT id FROM tokens WHERE contributor_id = ?').pluck().get(volunteer.id),
    ) as string;
    expect((await runHere(['admin', 'revoke', tokenId, '--dir', t.dir])).code).toBe(0);
    expect((await t.api.get('/me', volunteer.token)).status).toBe(401);
  });

  it('refuses an expired token exactly as it refuses an unknown one', async () => {
    const shortLived = await mint(t, '--expires', '30m', '--name', 'support session');
    expect(Date.parse(shortLived.expiresAt!) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect((await t.api.get('/me', shortLived.token)).status).toBe(200);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(shortLived.expiresAt!) + 1);
    const expired = await t.api.get('/me', shortLived.token);
    const unknown = await t.api.get('/me', 'trb_' + 'x'.repeat(43));
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe(unknown.body.error.code);
    expect(expired.body.error.message).toBe(unknown.body.error.message);

    const listed = await runHere(['admin', 'tokens', '--dir', t.dir, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const token = JSON.parse(listed.stdout).tokens.find((x: { id: string }) => x.id === shortLived.tokenId);
    expect(token).toMatchObject({ status: 'expired', revokedAt: null });
  });

  it('records when a token was last used at most once a minute, not on every request', async () => {
    const token = await mint(t, '--name', 'busy');
    const lastUsed = () =>
      t.inspect((db) => db.prepare('SELECT last_used_at FROM tokens WHERE id = ?').pluck().get(token.tokenId)) as string | null;
    expect(lastUsed()).toBeNull();

    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now() + DAY;
    const iso = (ms: number) => new Date(ms).toISOString();
    vi.setSystemTime(start);
    expect((await t.api.get('/me', token.token)).status).toBe(200);
    expect(lastUsed()).toBe(iso(start));
    vi.setSystemTime(start + LAST_USED_RESOLUTION_MS - 1);
    for (let i = 0; i < 3; i++) expect((await t.api.get('/me', token.token)).status).toBe(200);
    expect(lastUsed()).toBe(iso(start));
    vi.setSystemTime(start + LAST_USED_RESOLUTION_MS);
    expect((await t.api.get('/me', token.token)).status).toBe(200);
    expect(lastUsed()).toBe(iso(start + LAST_USED_RESOLUTION_MS));
  });

  it('refuses a malformed lifetime or an unknown id in one line', () => {
    const badLifetime = runCli(['admin', 'token', '--dir', t.dir, '--expires', '3 months']);
    expect(badLifetime.status).not.toBe(0);
    expect(badLifetime.stderr.trim().split('\n')).toHaveLength(1);
    expect(badLifetime.stderr).toContain('12h, 30d or 1y');

    const unknown = runCli(['admin', 'revoke', '0123456789abcdef', '--dir', t.dir]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe('tributary: No token has the id 0123456789abcdef; `tributary admin tokens` lists them.');
  });
});

describe('token ids for a node made before they existed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-tokens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every existing token an id and keeps it working', () => {
    const file = join(dir, 'node.sqlite');
    const old = openDatabase(file, nodeMigrations.filter((m) => m.version <= 5));
    old.prepare(`INSERT INTO contributors (id, pseudonym, role, created_at) VALUES ('c1', 'admin', 'admin', '2026-01-01T00:00:00.000Z')`).run();
    const insert = old.prepare(`INSERT INTO tokens (hash, contributor_id, created_at, revoked_at) VALUES (?, 'c1', '2026-01-01T00:00:00.000Z', ?)`);
    insert.run(hashToken('trb_old-one'), null);
    insert.run(hashToken('trb_old-two'), '2026-02-01T00:00:00.000Z');
    old.close();

    const db = openDatabase(file, nodeMigrations);
    try {
      const service = new ContributorService(db, new ContributorStore(db));
      const tokens = service.privilegedTokens();
      expect(tokens).toHaveLength(2);
      expect(new Set(tokens.map((token) => token.id)).size).toBe(2);
      for (const token of tokens) expect(token.id).toMatch(/^[0-9a-f]{16}$/);
      expect(tokens.map((token) => token.expiresAt)).toEqual([null, null]);
      expect(service.authenticate('trb_old-one')?.id).toBe('c1');
      expect(service.authenticate('trb_old-two')).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
