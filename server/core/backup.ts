import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import tar from 'tar-stream';
import { z } from 'zod';
import { ConfigError, defineError } from './errors.js';
import { digestFile } from './file-digest.js';

/**
 * A service's backup: one tar file holding its SQLite database as one consistent snapshot
 * (SQLite's online backup, taken while the service runs), its settings file and whole folders
 * (keys and the rest), then restored with every file checked. The service says what its folder
 * holds (`BackupLayout`); this writes and reads the archive.
 *
 * `backup.json`, first in the archive, names the format, when the snapshot was taken, its schema
 * version (older code that cannot read it refuses the restored database, `DatabaseTooNew`) and
 * each file with its size and sha256. Files under the folders that vanish between the snapshot
 * and their reading (clips withdrawn meanwhile) are left out and counted.
 */
export interface BackupLayout {
  /** `tributary-<service>-backup/<version>`: a restore refuses any other. */
  format: string;
  /** What the folder holds, for messages ("index", say). */
  service: string;
  /** The SQLite database, in the folder. */
  database: string;
  /** The settings file, in the folder. */
  config: string;
  /** Folders backed up whole. Files whose name holds `.partial` (writes in progress) are left out. */
  folders: readonly string[];
}

/** A file a restore cannot use: not a backup of this kind, incomplete or damaged. Nothing is written. */
export const BackupUnusableError = defineError('BackupUnusable', 'The file is not a complete, undamaged Tributary backup; nothing was restored.');

const BACKUP_MANIFEST = 'backup.json';

const backupManifest = z.object({
  format: z.string(),
  createdAt: z.string(),
  schemaVersion: z.number().int(),
  files: z.array(
    z.object({
      // Inside the folder restored into: relative, no `..`.
      path: z.string().refine((path) => path !== '' && !path.startsWith('/') && !path.split(/[/\\]/).includes('..')),
      bytes: z.number().int(),
      sha256: z.string(),
    }),
  ),
});
export type BackupManifest = z.infer<typeof backupManifest>;

export type BackupProgress = (done: number, total: number) => void;

export interface WrittenBackup<Facts> {
  file: string;
  files: number;
  bytes: number;
  /** Files deleted between the snapshot and their reading: not in the backup. */
  vanished: number;
  createdAt: string;
  /** What `read` found in the snapshot. */
  facts: Facts;
}

export interface RestoredBackup {
  dir: string;
  files: number;
  bytes: number;
  createdAt: string;
}

/** The files under `folder` of `root`, as archive paths ('/'-separated, relative to `root`). */
export function filesUnder(root: string, folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.includes('.partial'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * Writes the backup of the service in `dir` to `out` (through a temporary file, renamed when
 * whole). `read` looks at the snapshot (a count for the summary, say) before the files are copied.
 */
export async function writeBackup<Facts>(
  layout: BackupLayout,
  dir: string,
  out: string,
  read: (snapshot: Database.Database) => Facts,
  onProgress: BackupProgress = () => {},
): Promise<WrittenBackup<Facts>> {
  if (!existsSync(join(dir, layout.database))) throw new ConfigError(`${dir} holds no ${layout.service} (no ${layout.database})`);
  const staging = `${out}.${process.pid}.partial`;
  const snapshot = `${staging}.sqlite`;
  try {
    const createdAt = new Date().toISOString();
    // Not read-only: a read-only connection cannot open a WAL database whose shared memory is gone.
    const source = new Database(join(dir, layout.database), { fileMustExist: true });
    try {
      await source.backup(snapshot);
    } finally {
      source.close();
    }
    // Not read-only either: a read-only connection to a WAL database leaves its -wal and -shm behind.
    const copy = new Database(snapshot, { fileMustExist: true });
    let schemaVersion: number;
    let facts: Facts;
    try {
      schemaVersion = copy.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck().get() as number;
      facts = read(copy);
    } finally {
      copy.close();
    }
    const paths = [layout.config, ...layout.folders.flatMap((folder) => filesUnder(dir, folder))];
    const sourceOf = (path: string) => (path === layout.database ? snapshot : join(dir, path));
    const files = [];
    let vanished = 0;
    for (const path of [layout.database, ...paths]) {
      const digest = await digestFile(sourceOf(path));
      if (!digest) vanished++;
      else files.push({ path, ...digest });
    }
    const manifest: BackupManifest = { format: layout.format, createdAt, schemaVersion, files };

    const pack = tar.pack();
    const written = pipeline(pack, createWriteStream(staging));
    pack.entry({ name: BACKUP_MANIFEST }, JSON.stringify(manifest, null, 2) + '\n');
    let done = 0;
    for (const { path, bytes } of files) {
      const entry = pack.entry({ name: path, size: bytes });
      await pipeline(createReadStream(sourceOf(path)), entry);
      onProgress(++done, files.length);
    }
    pack.finalize();
    await written;
    renameSync(staging, out);
    return { file: out, files: files.length, bytes: files.reduce((sum, f) => sum + f.bytes, 0), vanished, createdAt, facts };
  } finally {
    for (const file of [staging, snapshot, `${snapshot}-wal`, `${snapshot}-shm`]) rmSync(file, { force: true });
  }
}

/**
 * Restores a backup into `dir`, which must not hold the service: every file checked against its
 * sha256, written to a sibling folder first and renamed into place when all are there. `settle`
 * runs on that folder before the rename (dropping what the snapshot does not know, say).
 */
export async function restoreBackup<Settled>(
  layout: BackupLayout,
  archive: string,
  dir: string,
  settle: (staging: string) => Promise<Settled>,
  onProgress: BackupProgress = () => {},
): Promise<RestoredBackup & { settled: Settled }> {
  if (existsSync(join(dir, layout.database)) || existsSync(join(dir, layout.config))) {
    throw new ConfigError(`${dir} already holds ${article(layout.service)} ${layout.service}; restore into a new folder`);
  }
  const staging = `${dir.replace(/[/\\]+$/, '')}.restoring-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const manifest = await extract(layout, archive, staging, onProgress).catch((error: unknown) => {
      if (error instanceof BackupUnusableError) throw error;
      // tar-stream's own words for a broken archive ("Invalid tar header", "Unexpected end of data").
      throw new BackupUnusableError(`${archive} cannot be read as a ${layout.service} backup (${error instanceof Error ? error.message : String(error)}); nothing was restored`);
    });
    const settled = await settle(staging);
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
    const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
    return { dir, files: manifest.files.length, bytes, createdAt: manifest.createdAt, settled };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

async function extract(layout: BackupLayout, archive: string, into: string, onProgress: BackupProgress): Promise<BackupManifest> {
  const kind = `Tributary ${layout.service} backup (${layout.format})`;
  let manifest: BackupManifest | undefined;
  const expected = new Map<string, { bytes: number; sha256: string }>();
  const seen = new Set<string>();
  const unpack = tar.extract();
  unpack.on('entry', (header, stream, next) => {
    void (async () => {
      if (header.name === BACKUP_MANIFEST && !manifest) {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const parsed = backupManifest.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        if (!parsed.success || parsed.data.format !== layout.format) throw new BackupUnusableError(`${archive} is not a ${kind}`);
        manifest = parsed.data;
        for (const file of manifest.files) expected.set(file.path, file);
        return;
      }
      const file = expected.get(header.name);
      if (!manifest || !file || seen.has(header.name) || header.type !== 'file') {
        throw new BackupUnusableError(`${archive} holds ${header.name}, which its backup.json does not list`);
      }
      const target = join(into, ...header.name.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      await pipeline(stream, createWriteStream(target));
      if ((await digestFile(target))?.sha256 !== file.sha256) throw new BackupUnusableError(`${header.name} in ${archive} is damaged (its sha256 differs); nothing was restored`);
      seen.add(header.name);
      onProgress(seen.size, expected.size);
    })().then(
      () => next(),
      (error: unknown) => unpack.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  await pipeline(createReadStream(archive), unpack);
  if (!manifest) throw new BackupUnusableError(`${archive} is not a ${kind} (no ${BACKUP_MANIFEST})`);
  const missing = [...expected.keys()].filter((path) => !seen.has(path));
  if (missing.length > 0) throw new BackupUnusableError(`${archive} is incomplete: ${missing.length} files missing, such as ${missing[0]}`);
  return manifest;
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? 'an' : 'a');
