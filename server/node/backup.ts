import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import tar from 'tar-stream';
import { z } from 'zod';
import { ConfigError, defineError } from '../core/errors.js';
import { digestFile } from '../core/file-digest.js';
import { CONFIG_FILE } from './config.js';
import { KEYS_DIR } from './secrets.js';

/**
 * A node's backup: one tar file with everything that makes the node itself: its database, its
 * settings, its keys (so a restored node signs as before and what it signed still verifies), its
 * clips, its releases and its learned language models. Left out: unfinished uploads (a client
 * starts a new one) and build folders.
 *
 * Taken while the node runs: the database first, as one consistent snapshot (SQLite's online
 * backup), then the files. A clip always reaches the blob store before its row, so every clip
 * the snapshot names is in the files, unless a withdrawal deleted it meanwhile; clips of rows the
 * snapshot does not have are left out on restore. `backup.json`, first in the archive, says what
 * it holds, with each file's sha256.
 *
 * What a backup cannot know: withdrawals after its snapshot. `node restore` asks the node's
 * indexes for the withdrawal notices the node signed since and applies them before the node
 * starts (services/withdrawal-recovery.ts); a withdrawal of samples no release held left no
 * notice, and stays undone.
 */
export const BACKUP_FORMAT = 'tributary-node-backup/1';

/** A file `node restore` cannot use: not a node backup, incomplete or damaged. Nothing is written. */
export const BackupUnusableError = defineError('BackupUnusable', 'The file is not a complete, undamaged Tributary node backup; nothing was restored.');
const BACKUP_MANIFEST = 'backup.json';
const DATABASE_FILE = 'node.sqlite';
/** Folders backed up whole, besides the config and the database. */
const FOLDERS = [KEYS_DIR, 'blobs', 'releases', 'langid'];

const backupManifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  /** The snapshot's schema version: a restore by older code that cannot read it is refused by `DatabaseTooNew`. */
  schemaVersion: z.number().int(),
  files: z.array(z.object({ path: z.string(), bytes: z.number().int(), sha256: z.string() })),
});
export type BackupManifest = z.infer<typeof backupManifest>;

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

export type BackupProgress = (done: number, total: number) => void;

function filesUnder(root: string, folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.includes('.partial'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Writes the backup of the node in `dir` to `out` (through a temporary file, renamed when whole). */
export async function backupNode(dir: string, out: string, onProgress: BackupProgress = () => {}): Promise<BackupSummary> {
  if (!existsSync(join(dir, DATABASE_FILE))) throw new ConfigError(`${dir} holds no node (no ${DATABASE_FILE})`);
  const staging = `${out}.${process.pid}.partial`;
  const snapshot = `${staging}.sqlite`;
  try {
    const createdAt = new Date().toISOString();
    // Not read-only: a read-only connection cannot open a WAL database whose shared memory is gone.
    const source = new Database(join(dir, DATABASE_FILE), { fileMustExist: true });
    let schemaVersion: number;
    let samples: number;
    try {
      await source.backup(snapshot);
      schemaVersion = source.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck().get() as number;
      samples = source.prepare('SELECT count(*) FROM samples').pluck().get() as number;
    } finally {
      source.close();
    }
    const paths = [CONFIG_FILE, ...FOLDERS.flatMap((folder) => filesUnder(dir, folder))];
    const sourceOf = (path: string) => (path === DATABASE_FILE ? snapshot : join(dir, path));
    const files = [];
    let vanished = 0;
    for (const path of [DATABASE_FILE, ...paths]) {
      const digest = await digestFile(sourceOf(path));
      // Deleted since the snapshot: a withdrawn clip, whose withdrawal the snapshot predates.
      if (!digest) vanished++;
      else files.push({ path, ...digest });
    }
    const manifest: BackupManifest = { format: BACKUP_FORMAT, createdAt, schemaVersion, files };

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
    return { file: out, files: files.length, bytes: files.reduce((sum, f) => sum + f.bytes, 0), samples, vanished, createdAt };
  } finally {
    rmSync(staging, { force: true });
    rmSync(snapshot, { force: true });
  }
}

/**
 * Restores a backup into `dir`, which must not hold a node: every file checked against its
 * sha256, written to a sibling folder first and renamed into place when all are there. Clips the
 * snapshot has no sample for are not restored.
 */
export async function restoreNode(archive: string, dir: string, onProgress: BackupProgress = () => {}): Promise<RestoreSummary> {
  if (existsSync(join(dir, DATABASE_FILE)) || existsSync(join(dir, CONFIG_FILE))) {
    throw new ConfigError(`${dir} already holds a node; restore into a new folder`);
  }
  const staging = `${dir.replace(/[/\\]+$/, '')}.restoring-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const manifest = await extract(archive, staging, onProgress).catch((error: unknown) => {
      if (error instanceof BackupUnusableError) throw error;
      // tar-stream's own words for a broken archive ("Invalid tar header", "Unexpected end of data").
      throw new BackupUnusableError(`${archive} cannot be read as a node backup (${error instanceof Error ? error.message : String(error)}); nothing was restored`);
    });
    const leftOut = await dropClipsWithoutSamples(staging);
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
    const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
    return { dir, files: manifest.files.length, bytes, leftOut, createdAt: manifest.createdAt };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

async function extract(archive: string, into: string, onProgress: BackupProgress): Promise<BackupManifest> {
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
        if (!parsed.success) throw new BackupUnusableError(`${archive} is not a Tributary node backup (${BACKUP_FORMAT})`);
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
  if (!manifest) throw new BackupUnusableError(`${archive} is not a Tributary node backup (no ${BACKUP_MANIFEST})`);
  const missing = [...expected.keys()].filter((path) => !seen.has(path));
  if (missing.length > 0) throw new BackupUnusableError(`${archive} is incomplete: ${missing.length} files missing, such as ${missing[0]}`);
  return manifest;
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
