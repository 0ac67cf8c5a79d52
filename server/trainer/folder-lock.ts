import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../core/process-alive.js';
import { STATE_DIR } from './access-grants.js';
import { FolderBusyError } from './errors.js';

/** Who holds a folder: written into `.tributary/busy` by the process working on it. */
interface Holder {
  pid: number;
  host: string;
  since: string;
}

/**
 * One `pull` or `verify` at a time on a folder: two at once would write the same shards and the
 * same lock. The process that works on a folder creates `.tributary/busy` exclusively (a hard
 * link of a file it wrote whole), naming itself, and removes it when done. A second one is
 * refused (FolderBusy) with the holder named. A file left by a process of this machine that is
 * no longer running (killed, power cut) is taken over; one from another machine (a shared disk)
 * is not, since its process cannot be checked from here: the message says which file to remove
 * once that machine is done.
 */
export async function holdingFolder<T>(dir: string, work: () => Promise<T>, options: { create: boolean }): Promise<T> {
  // Nothing to keep apart in a folder that is not there (verify then says what is missing).
  if (!options.create && !existsSync(dir)) return work();
  const state = join(dir, STATE_DIR);
  const made = !existsSync(state);
  await mkdir(state, { recursive: true });
  const path = join(state, 'busy');
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    // Written whole beside it, then linked into place: the file appears complete or not at all.
    const mine = `${path}.${process.pid}`;
    await writeFile(mine, JSON.stringify(me) + '\n');
    try {
      await link(mine, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readHolder(path);
      if (attempt >= 2 || (holder && (holder.host !== me.host || processAlive(holder.pid)))) throw busy(dir, path, holder, me);
      // Left by a process that is gone (or unreadable: a disk that lost it). Removed
      // only if it still says the same, so a process that took the folder meanwhile keeps it.
      if (JSON.stringify(await readHolder(path)) === JSON.stringify(holder)) await rm(path, { force: true });
    } finally {
      await rm(mine, { force: true });
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
    // A folder that turned out not to be a pulled one keeps no trace of having been looked at.
    if (made) await rmdir(state).catch(() => undefined);
  }
}

async function readHolder(path: string): Promise<Holder | null> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    if (typeof holder.pid !== 'number' || typeof holder.host !== 'string' || typeof holder.since !== 'string') return null;
    return holder as Holder;
  } catch {
    return null;
  }
}

function busy(dir: string, path: string, holder: Holder | null, me: Holder): Error {
  if (!holder) return new FolderBusyError(`another process is taking ${dir} just now; wait for it to finish`);
  const here = holder.host === me.host;
  return new FolderBusyError(
    `${dir} is being worked on by process ${holder.pid}${here ? '' : ` on ${holder.host}`} since ${holder.since}; wait for it to finish` +
      (here ? '' : `, then remove ${path}`),
  );
}
