import { restoreBackup, writeBackup, type BackupLayout, type BackupProgress, type RestoredBackup } from '../core/backup.js';
import { CONFIG_FILE } from './config.js';
import { DATABASE_FILE } from './context.js';
import { KEYS_DIR } from './secrets.js';

/**
 * An index's backup on SQLite (core/backup.ts): its database as one consistent snapshot taken
 * while it serves, its settings and its log key (trainers pin the key; a restored index that
 * signed with another would be a different log to them). An index on PostgreSQL backs its
 * database up with PostgreSQL's own tools (docs/deployment.md), and this folder's keys beside it.
 */
export const INDEX_BACKUP_FORMAT = 'tributary-index-backup/1';

const layout: BackupLayout = { format: INDEX_BACKUP_FORMAT, service: 'index', database: DATABASE_FILE, config: CONFIG_FILE, folders: [KEYS_DIR] };

export interface IndexBackupSummary {
  file: string;
  files: number;
  bytes: number;
  createdAt: string;
  /** The log's size in the snapshot: a checkpoint of the restored index is at least this. */
  logSize: number;
  manifests: number;
}

export async function backupIndex(dir: string, out: string, onProgress: BackupProgress = () => {}): Promise<IndexBackupSummary> {
  const { facts, file, files, bytes, createdAt } = await writeBackup(
    layout,
    dir,
    out,
    (snapshot) =>
      snapshot.prepare('SELECT (SELECT coalesce(max(log_index), -1) + 1 FROM feed_events) AS logSize, (SELECT count(*) FROM manifests) AS manifests').get() as {
        logSize: number;
        manifests: number;
      },
    onProgress,
  );
  return { file, files, bytes, createdAt, ...facts };
}

/** Restores a backup into `dir`, which must not hold an index: every file checked against its sha256 before any is put in place. */
export async function restoreIndex(archive: string, dir: string, onProgress: BackupProgress = () => {}): Promise<RestoredBackup> {
  const { settled: _, ...restored } = await restoreBackup(layout, archive, dir, async () => undefined, onProgress);
  return restored;
}
