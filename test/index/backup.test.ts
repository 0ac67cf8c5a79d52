import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../../pipelines/transparency/checkpoint.js';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { verifyConsistency } from '../../pipelines/transparency/verify.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { apiClient, startTestNode, type TestNode } from '../helpers/node.js';
import { postgresProgram, postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { accessChange, craftedManifest, exited, registration, signerOf, startIndexProcess, type IndexProcess, type Signer } from './helpers.js';

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * An index restored from its backup serves the same log under the same key, the same envelopes
 * and the same search, and goes on extending the log trainers hold checkpoints of. On SQLite the
 * backup is `index backup` (taken while the index serves); on PostgreSQL it is the database's own
 * tools (pg_dump) and the index's folder, as docs/deployment.md gives it.
 */
describe('an index restored from its backup', () => {
  let t: TestNode;
  let signer: Signer;
  const dirs: string[] = [];
  const processes: IndexProcess[] = [];

  beforeAll(async () => {
    t = await startTestNode();
    signer = signerOf(t);
  });
  afterAll(async () => {
    for (const index of processes) index.child.kill('SIGTERM');
    await t?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const folder = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `tributary-index-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const start = async (dir: string, args: string[] = []) => {
    const index = await startIndexProcess(dir, { args });
    processes.push(index);
    return index;
  };
  const stop = async (index: IndexProcess) => {
    index.child.kill('SIGTERM');
    await exited(index.child);
  };
  const init = (name: string) => {
    const dir = folder(name);
    const made = runCli(['index', 'init', '--dir', dir, '--name', `Index ${name}`, '--url', 'http://127.0.0.1:8091', '--json']);
    expect(made.status, made.stderr).toBe(0);
    return dir;
  };

  /** Registers the node and takes four manifests and a notice; what the index serves then. */
  async function fill(index: IndexProcess) {
    const api = apiClient(index.url + '/api/v1');
    expect((await api.post('/nodes', registration(signer))).status).toBe(200);
    for (let n = 0; n < 4; n += 1) expect((await api.post('/manifests', craftedManifest(signer, (r) => (r.datasetId = `kept-${n}`)).envelope)).status).toBe(200);
    expect((await api.post('/notices', accessChange(signer, 'kept-2', 'gated'))).status).toBe(200);
    const wellKnown = (await (await fetch(`${index.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    const checkpoint = await checkpointOf(index, wellKnown);
    expect(checkpoint.size).toBe(6);
    return { wellKnown, checkpoint, served: await served(index) };
  }

  const checkpointOf = async (index: IndexProcess, wellKnown: { logKey: string; origin: string }) =>
    openCheckpoint(await (await fetch(`${index.url}/api/v1/log/checkpoint`)).text(), { ...parseVerifierKey(wellKnown.logKey), origin: wellKnown.origin });

  /** The whole feed, every manifest's envelope as served, and two searches. */
  async function served(index: IndexProcess) {
    const reader = apiClient(index.url + '/api/v1');
    const feed = (await reader.get('/feed?cursor=0&limit=100')).body as { events: Array<{ event: { envelopeSha256?: string } }> };
    const shas = feed.events.flatMap(({ event }) => (event.envelopeSha256 ? [event.envelopeSha256] : []));
    const envelopes = await Promise.all(shas.map(async (sha) => (await fetch(`${index.url}/api/v1/envelopes/${sha}`)).text()));
    // The registration's, the four manifests' and the notice's.
    expect(envelopes).toHaveLength(6);
    return { feed: feed.events, envelopes, search: (await reader.get('/manifests?limit=100')).body, words: (await reader.get('/manifests?q=kept')).body };
  }

  /** The restored index: the same key, log, envelopes and search; then a new manifest extends that log. */
  async function expectSameIndex(restored: IndexProcess, before: Awaited<ReturnType<typeof fill>>) {
    const wellKnown = (await (await fetch(`${restored.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    expect(wellKnown.logKey).toBe(before.wellKnown.logKey);
    const again: Checkpoint = await checkpointOf(restored, before.wellKnown);
    expect({ size: again.size, rootHash: again.rootHash }).toEqual({ size: before.checkpoint.size, rootHash: before.checkpoint.rootHash });
    expect(await served(restored)).toEqual(before.served);

    const api = apiClient(restored.url + '/api/v1');
    expect((await api.post('/manifests', craftedManifest(signer, (r) => (r.datasetId = 'after-restore')).envelope)).status).toBe(200);
    const after = await checkpointOf(restored, before.wellKnown);
    expect(after.size).toBe(before.checkpoint.size + 1);
    const proof = (await api.get(`/log/consistency?from=${before.checkpoint.size}&to=${after.size}`)).body.proof.map(b64);
    expect(verifyConsistency(before.checkpoint.size, after.size, before.checkpoint.rootHash, after.rootHash, proof)).toEqual({ ok: true });
  }

  it('on SQLite: `index backup` while it serves, `index restore` into a new folder; a damaged backup restores nothing', async () => {
    const dir = init('sqlite');
    const live = await start(dir);
    const before = await fill(live);

    const file = join(folder('backup'), 'index.tar');
    const backup = await runCliAsync(['index', 'backup', '--dir', dir, '--out', file, '--json']);
    expect(backup.status, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ file, logSize: 6, manifests: 4 });
    await stop(live);

    // Damaged: one byte of the log key changed. Nothing is written.
    const bytes = readFileSync(file);
    const damaged = Buffer.from(bytes);
    const keyAt = bytes.indexOf('-----BEGIN PRIVATE KEY-----');
    expect(keyAt).toBeGreaterThan(0);
    damaged[keyAt + 40] = damaged[keyAt + 40]! ^ 0x01;
    writeFileSync(join(dirs.at(-1)!, 'damaged.tar'), damaged);
    const nowhere = join(tmpdir(), `tributary-index-never-${process.pid}`);
    const refused = await runCliAsync(['index', 'restore', '--from', join(dirs.at(-1)!, 'damaged.tar'), '--dir', nowhere]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^tributary: keys\/log\.key .*damaged/);
    expect(existsSync(nowhere)).toBe(false);
    // Not over an index, and not from a node's backup.
    const over = await runCliAsync(['index', 'restore', '--from', file, '--dir', dir]);
    expect(over.stderr).toMatch(/already holds an index; restore into a new folder/);
    const nodeBackup = join(dirs.at(-1)!, 'node.tar');
    expect((await runCliAsync(['node', 'backup', '--dir', t.dir, '--out', nodeBackup])).status).toBe(0);
    const wrongKind = await runCliAsync(['index', 'restore', '--from', nodeBackup, '--dir', nowhere]);
    expect(wrongKind.stderr).toMatch(/is not a Tributary index backup/);
    expect(existsSync(nowhere)).toBe(false);

    const restoredDir = join(folder('restored'), 'index');
    const restore = await runCliAsync(['index', 'restore', '--from', file, '--dir', restoredDir]);
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`tributary index start --dir ${restoredDir}`);
    await expectSameIndex(await start(restoredDir), before);
  });

  const skip = postgresSkipReason();
  it.skipIf(skip !== undefined)('on PostgreSQL: pg_dump and the folder, restored into a new database and folder', async () => {
    const server = await postgresServer();
    const dir = init('postgres');
    const database = await server.createDatabase();
    const live = await start(dir, ['--database', database]);
    const before = await fill(live);

    // `index backup` is for SQLite: it says what to do instead.
    const refused = await runCliAsync(['index', 'backup', '--dir', dir, '--out', join(dir, 'x.tar')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/keeps its data in PostgreSQL .*pg_dump/);

    const dump = join(folder('dump'), 'index.dump');
    execFileSync(postgresProgram('pg_dump'), ['--format=custom', `--file=${dump}`, database]);
    const keys = folder('keys');
    cpSync(dir, keys, { recursive: true });
    await stop(live);

    const restoredDatabase = await server.createDatabase();
    execFileSync(postgresProgram('pg_restore'), ['--no-owner', `--dbname=${restoredDatabase}`, dump]);
    const restoredDir = folder('restored-postgres');
    cpSync(keys, restoredDir, { recursive: true });
    await expectSameIndex(await start(restoredDir, ['--database', restoredDatabase]), before);
  });
});
