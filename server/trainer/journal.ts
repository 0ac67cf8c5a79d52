import { access, mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { STATE_DIR } from './access-grants.js';
import { syncDirectory, writeFileAtomic } from './atomic-file.js';
import { LockInvalidError } from './errors.js';
import { lockSchema, type Lock } from './lock.js';

/**
 * The lock a layout is about to make true, written (atomically) before the first shard is
 * renamed and removed only once `tributary.lock.json` says the same. A run killed in between
 * leaves shards the old lock no longer describes; the next command that opens the folder finds
 * the journal and finishes the change (the shards are found by sha256 among the folder's files),
 * so a folder is never stuck between two locks. It carries each source's envelope and card too:
 * a source new in this change has them nowhere else yet.
 */
export const JOURNAL_FILE = `${STATE_DIR}/lock.next.json`;
const JOURNAL_VERSION = 1;

const journalSchema = z
  .object({
    journalVersion: z.literal(JOURNAL_VERSION),
    lock: lockSchema,
    sources: z.array(z.object({ id: z.string(), envelope: z.string(), card: z.string() }).strict()),
  })
  .strict();
export type Journal = z.output<typeof journalSchema>;

export async function writeJournal(dir: string, lock: Lock, sources: Journal['sources']): Promise<void> {
  const journal: Journal = { journalVersion: JOURNAL_VERSION, lock, sources };
  await mkdir(join(dir, STATE_DIR), { recursive: true });
  await writeFileAtomic(join(dir, JOURNAL_FILE), `${JSON.stringify(journalSchema.parse(journal))}\n`);
}

/** The journalled change a killed run left, or null. */
export async function readJournal(dir: string): Promise<Journal | null> {
  let text: string;
  try {
    text = await readFile(join(dir, JOURNAL_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LockInvalidError(`${JOURNAL_FILE} is not JSON`);
  }
  const parsed = journalSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new LockInvalidError(`${JOURNAL_FILE}: ${first?.path.join('.') || '(root)'} ${first?.message ?? 'is not valid'}`);
  }
  return parsed.data;
}

export async function hasJournal(dir: string): Promise<boolean> {
  return access(join(dir, JOURNAL_FILE)).then(
    () => true,
    () => false,
  );
}

/** The change is done: the lock holds it. */
export async function clearJournal(dir: string): Promise<void> {
  if (!(await hasJournal(dir))) return;
  await rm(join(dir, JOURNAL_FILE), { force: true });
  await syncDirectory(join(dir, STATE_DIR));
  // A folder written without a pull (no downloads, no access grants) keeps no empty state folder.
  await rmdir(join(dir, STATE_DIR)).catch(() => undefined);
}
