import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { holdingFolder } from '../../server/trainer/folder-lock.js';
import { verifyFolder } from '../../server/trainer/verify-folder.js';

/** One pull or verify at a time on a pulled folder, with real files and real processes. */
describe('a pulled folder is worked on by one process at a time', () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-folder-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses a second worker while the first holds the folder, naming it, and lets the next one in after', async () => {
    const dir = folder();
    let finish!: () => void;
    let started!: () => void;
    const holding = new Promise<void>((resolve) => (started = resolve));
    const first = holdingFolder(dir, () => new Promise<string>((resolve) => {
      started();
      finish = () => resolve('first done');
    }), { create: true });
    await holding;
    const busy = JSON.parse(readFileSync(join(dir, '.tributary', 'busy'), 'utf8'));
    expect(busy).toMatchObject({ pid: process.pid, host: hostname() });

    const second = holdingFolder(dir, async () => 'second ran', { create: true });
    await expect(second).rejects.toMatchObject({ code: 'FolderBusy', message: expect.stringContaining(`process ${process.pid}`) });

    finish();
    expect(await first).toBe('first done');
    expect(existsSync(join(dir, '.tributary', 'busy'))).toBe(false);
    expect(await holdingFolder(dir, async () => 'third ran', { create: true })).toBe('third ran');
  });

  it('takes over from a process that died holding it, on this machine only', async () => {
    const dir = folder();
    mkdirSync(join(dir, '.tributary'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dead = { pid: Number(gone.stdout), host: hostname(), since: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, '.tributary', 'busy'), JSON.stringify(dead));
    expect(await holdingFolder(dir, async () => 'ran', { create: true })).toBe('ran');

    // Another machine's process cannot be checked from here: refused, saying which file to remove.
    const elsewhere = { pid: Number(gone.stdout), host: `${hostname()}-other`, since: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, '.tributary', 'busy'), JSON.stringify(elsewhere));
    await expect(holdingFolder(dir, async () => 'ran', { create: true })).rejects.toMatchObject({
      code: 'FolderBusy',
      message: expect.stringContaining(`remove ${join(dir, '.tributary', 'busy')}`),
    });
  });

  it('leaves a folder that is not a pulled one as it found it', async () => {
    const dir = folder();
    await expect(verifyFolder({ dir, index: 'http://127.0.0.1:9' })).rejects.toMatchObject({ code: 'LockInvalid' });
    expect(existsSync(join(dir, '.tributary'))).toBe(false);
    await expect(verifyFolder({ dir: join(dir, 'missing'), index: 'http://127.0.0.1:9' })).rejects.toMatchObject({ code: 'LockInvalid' });
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});
