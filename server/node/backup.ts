import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { filesUnder, restoreBackup, writeBackup, type BackupLayout, type BackupProgress } from '../core/backup.js';
import { CONFIG_FILE } from './config.js';
import { KEYS_DIR } from './secrets.js';

/**
 * A node's backup (core/backup.ts): one tar file with everything that makes the node itself: its
 * database, its settings, its keys (so a restored node signs as before and what it signed still
 * verifies), its clips, its releases and its learned language models. Left out: unfinished
 * uploads (a client starts a new one) and build folders.
 *
 * Taken while the node runs: the database first, as one consistent snapshot, then the files. A
 * clip always reaches the blob store before its row, so every clip the snapshot names is in the
 * files, unless a withdrawal deleted it meanwhile; clips of rows the snapshot does not have are
 * left out on restore.
 *
 * What a backup cannot know: withdrawals after its snapshot. `node restore` asks the node's
 * indexes for the withdrawal notices the node signed since and applies them before the node
 * starts (services/withdrawal-recovery.ts); a withdrawal of samples no release held left no
 * notice, and stays undone.
 */
export const BACKUP_FORMAT = 'tributary-node-backup/1';

const DATABASE_FILE = 'node.sqlite';
const layout: BackupLayout = { format: BACKUP_FORMAT, service: 'node', database: DATABASE_FILE, config: CONFIG_FILE, folders: [KEYS_DIR, 'blobs', 'releases', 'langid'] };

export interface BackupSummary {
  file: string;
  files: number;
  bytes: number;
  samples: number;
  /** Files deleted between the snapshot and their reading (clips withdrawn meanwhile): not in the backup. */
  vanished: number;
  createdAt: string;
}

export interface RestoreSummary {
  dir: string;
  files: number;
  bytes: number;
  /** Clips in the archive whose sample the snapshot does not have (recorded after it), not restored. */
  leftOut: number;
  createdAt: string;
}

/** Writes the backup of the node in `dir` to `out` (through a temporary file, renamed when whole). */
export async function backupNode(dir: string, out: string, onProgress: BackupProgress = () => {}): Promise<BackupSummary> {
  const { facts, ...written } = await writeBackup(layout, dir, out, (snapshot) => snapshot.prepare('SELECT count(*) FROM samples').pluck().get() as number, onProgress);
  return { ...written, samples: facts };
}

/**
 * Restores a backup into `dir`, which must not hold a node: every file checked against its
 * sha256 before any is put in place. Clips the snapshot has no sample for are not restored.
 */
export async function restoreNode(archive: string, dir: string, onProgress: BackupProgress = () => {}): Promise<RestoreSummary> {
  const { settled, ...restored } = await restoreBackup(layout, archive, dir, dropClipsWithoutSamples, onProgress);
  return { ...restored, leftOut: settled };
}

/** Deletes clips whose sample the restored database does not hold as a clip: recorded after the snapshot. */
async function dropClipsWithoutSamples(dir: string): Promise<number> {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  let kept: Set<string>;
  try {
    const rows = db.prepare('SELECT audio_original, audio_normalized FROM samples WHERE audio_original IS NOT NULL').raw().all() as string[][];
    kept = new Set(rows.flat().map((key) => `blobs/${key}`));
  } finally {
    db.close();
  }
  let dropped = 0;
  for (const path of filesUnder(dir, 'blobs')) {
    if (!path.startsWith('blobs/samples/') || kept.has(path)) continue;
    await unlink(join(dir, path));
    dropped++;
  }
  return dropped;
}
