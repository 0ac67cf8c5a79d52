import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Models a node trained, kept in a folder of its own: `<version>/` with the model's files, and
 * `current.json` naming the one in use. Versions are never overwritten (a version is its
 * content's hash), so a result's recorded model can always be looked up; switching is one atomic
 * rename of the pointer. The text models (`langid/`) and the speech models (`langid/speech/`)
 * both live this way.
 */
export class ModelVersions {
  constructor(
    readonly root: string,
    /** What a version looks like (`ngram-…`, `speech-…`): the pointer may name nothing else. */
    private readonly versionPattern: RegExp,
  ) {}

  get pointerPath(): string {
    return join(this.root, 'current.json');
  }

  /** Writes the files under `version` (whole or not at all) and makes it current; returns its folder. */
  save(version: string, files: Iterable<readonly [string, Uint8Array | string]>): string {
    const folder = join(this.root, version);
    const partial = `${folder}.${process.pid}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    for (const [name, bytes] of files) writeFileSync(join(partial, name), bytes);
    rmSync(folder, { recursive: true, force: true });
    renameSync(partial, folder);
    const pointer = `${this.pointerPath}.${process.pid}.partial`;
    writeFileSync(pointer, JSON.stringify({ version, since: new Date().toISOString() }) + '\n');
    renameSync(pointer, this.pointerPath);
    return folder;
  }

  /**
   * The pointer's identity (inode, size, time), `none` without one: one `stat`, a few
   * microseconds, so callers can check it on every use and re-read only when it changed. No
   * exception when there is none (the usual case): a thrown ENOENT costs more than the stat.
   */
  signature(): string {
    const stat = statSync(this.pointerPath, { throwIfNoEntry: false });
    return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : 'none';
  }

  /** The folder of the model in use, or undefined when none was trained; throws when the pointer is not one. */
  current(): { version: string; dir: string } | undefined {
    let text: string;
    try {
      text = readFileSync(this.pointerPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const { version } = JSON.parse(text) as { version?: unknown };
    if (typeof version !== 'string' || !this.versionPattern.test(version)) {
      throw new Error(`${this.pointerPath} names ${JSON.stringify(version)}, not a model version`);
    }
    return { version, dir: join(this.root, version) };
  }
}
