import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFiles, type DownloadFile, type DownloadProgress } from '../../server/trainer/download.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { seedReleaseData } from '../helpers/release-data.js';
import { accessToken, adminToken, buildRelease, downloadList, sha256, type PublishedRelease } from './releases.js';

const root = join(fileURLToPath(import.meta.url), '../../..');

/** Every file under a folder, relative to it. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** The download child, killed by itself once `killAfter` bytes are in a `.part` file. */
function downloadThenDie(files: DownloadFile[], killAfter: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/trainer/download-then-die.ts'), JSON.stringify({ files, killAfter })], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('downloading shards from a real node', () => {
  let t: TestNode;
  let admin: string;
  let speech: PublishedRelease;
  let text: PublishedRelease;
  let token: string;
  let dir: string;
  const receipts = async () => (await t.api.get('/admin/receipts?dataset=sw-speech', admin)).body.receipts as Array<{ shard: string; range: string | null }>;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
    admin = adminToken(t);
    await seedReleaseData(t);
    speech = await buildRelease(t, admin, { language: 'sw', modality: 'speech', accessClass: 'gated' });
    text = await buildRelease(t, admin, { language: 'sw', modality: 'text' });
    token = await accessToken(t, 'sw-speech');
    dir = mkdtempSync(join(tmpdir(), 'tributary-download-'));
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('downloads every shard of two releases in parallel, each checked against its sha256, and skips them once in place', async () => {
    const files = [...downloadList(speech, dir, token), ...downloadList(text, dir)];
    expect(files.length).toBeGreaterThanOrEqual(4);
    const progress: DownloadProgress[] = [];
    const report = await downloadFiles(files, { concurrency: 3, onProgress: (p) => progress.push(p) });

    expect(report.ok, JSON.stringify(report.files)).toBe(true);
    for (const [index, file] of files.entries()) {
      expect(report.files[index]).toMatchObject({ ok: true, status: 'downloaded', path: file.path, sha256: file.sha256, bytes: file.size, resumedFrom: 0 });
      expect(sha256(readFileSync(file.path))).toBe(file.sha256);
    }
    expect(listFiles(dir).filter((name) => name.endsWith('.part'))).toEqual([]);
    const total = files.reduce((sum, file) => sum + file.size, 0);
    for (const p of progress) expect(p.bytesDone).toBeLessThanOrEqual(total);
    expect(progress.at(-1)).toEqual({ bytesDone: total, bytesTotal: total, filesDone: files.length, filesTotal: files.length });
    // Every gated shard was fetched once, whole, with the token (the node kept a receipt of each).
    const fetched = await receipts();
    expect(fetched.map((r) => r.shard).sort()).toEqual(speech.files.map((f) => f.name).sort());
    expect(fetched.every((r) => r.range === null)).toBe(true);

    // Again: every file is re-hashed and found right; nothing is requested.
    const again = await downloadFiles(files);
    expect(again.files.map((outcome) => (outcome.ok ? [outcome.status, outcome.attempts] : outcome.code))).toEqual(files.map(() => ['present', 0]));
    expect(await receipts()).toHaveLength(fetched.length);
  });

  it('resumes a download killed mid-way with Range, and ends with the same sha256', async () => {
    const largest = [...speech.files].sort((a, b) => Number.parseInt(b.contentSize) - Number.parseInt(a.contentSize))[0]!;
    const [file] = downloadList({ ...speech, files: [largest] }, join(dir, 'resume'), token);
    const killAfter = 64 * 1024;
    expect(file!.size).toBeGreaterThan(4 * killAfter);

    const child = await downloadThenDie([file!], killAfter);
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const partSize = statSync(`${file!.path}.part`).size;
    expect(partSize).toBeGreaterThanOrEqual(killAfter);
    expect(partSize).toBeLessThan(file!.size);
    expect(existsSync(file!.path)).toBe(false);

    const before = (await receipts()).length;
    const report = await downloadFiles([file!]);
    expect(report.files[0]).toMatchObject({ ok: true, status: 'downloaded', resumedFrom: partSize, sha256: file!.sha256, attempts: 1 });
    expect(sha256(readFileSync(file!.path))).toBe(file!.sha256);
    expect(existsSync(`${file!.path}.part`)).toBe(false);
    // The node was asked for the rest only.
    expect((await receipts()).slice(before)).toEqual([expect.objectContaining({ shard: largest.name, range: `bytes=${partSize}-` })]);
  });

  it('refuses a file whose sha256 or size is not the manifest’s, and keeps nothing of it', async () => {
    const [file] = downloadList(text, join(dir, 'wrong'));
    const wrongHash = { ...file!, sha256: file!.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    const report = await downloadFiles([wrongHash], { backoffMs: 1 });
    expect(report.ok).toBe(false);
    expect(report.files[0]).toMatchObject({ ok: false, code: 'DownloadHashMismatch' });
    expect(existsSync(file!.path)).toBe(false);
    expect(existsSync(`${file!.path}.part`)).toBe(false);

    const wrongSize = { ...file!, size: file!.size + 1 };
    const sized = await downloadFiles([wrongSize], { backoffMs: 1 });
    expect(sized.files[0]).toMatchObject({ ok: false, code: 'DownloadSizeMismatch', attempts: 1 });
    expect(existsSync(file!.path)).toBe(false);
    expect(existsSync(`${file!.path}.part`)).toBe(false);
  });

  it('reports refusals with the node’s code and does not retry them: 401 without a token, 410 for a superseded release', async () => {
    const [gated] = downloadList(speech, join(dir, 'refused'));
    const unauthorised = await downloadFiles([gated!], { backoffMs: 1 });
    expect(unauthorised.files[0]).toMatchObject({ ok: false, code: 'AccessTokenRequired', httpStatus: 401, attempts: 1 });

    // Other consent purposes change the rights given: a new MAJOR version supersedes 1.0.0.
    const next = await buildRelease(t, admin, { language: 'sw', modality: 'text', purposes: ['evaluate'] });
    expect(next.version).toBe('2.0.0');
    const old = downloadList(text, join(dir, 'superseded'));
    const report = await downloadFiles(old, { backoffMs: 1 });
    for (const outcome of report.files) expect(outcome).toMatchObject({ ok: false, code: 'ReleaseSuperseded', httpStatus: 410, attempts: 1 });
    expect(listFiles(join(dir, 'superseded'))).toEqual([]);
  });
});
