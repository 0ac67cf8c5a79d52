import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import { LockInvalidError } from './errors.js';

/**
 * Access a pulled folder was given (or is waiting for) on gated and on-request datasets:
 * `.tributary/access.json`, one entry per node and dataset, with the token the node showed once.
 * The tokens are secrets: the file is written 0600 and never copied into the lock or the card.
 * A later pull uses a pending grant's token, and the node's answer says whether it was approved.
 */
export const STATE_DIR = '.tributary';
const ACCESS_FILE = 'access.json';

const grantSchema = z
  .object({
    node: z.string().min(1),
    dataset: z.string().min(1),
    grantId: z.string().min(1),
    token: z.string().min(1),
    status: z.enum(['approved', 'pending', 'refused']),
    requestedAt: z.string(),
    /** The origin (scheme, host, port) of the node's signed URLs the grant was asked of: the token goes nowhere else. Absent in grants kept before it was recorded (asked for again). */
    origin: z.string().optional(),
  })
  .strict();
const fileSchema = z.object({ grants: z.array(grantSchema) }).strict();
export type AccessGrant = z.output<typeof grantSchema>;

/** How the file is written; tests put a gate in it to force two writes into an order. */
export type WriteGrantsFile = (path: string, text: string) => Promise<unknown>;

export class AccessGrants {
  /** The last write queued: writes happen one at a time, each of every grant put so far. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private grants: AccessGrant[],
    private readonly write: WriteGrantsFile,
  ) {}

  static async open(dir: string, options: { write?: WriteGrantsFile } = {}): Promise<AccessGrants> {
    const write: WriteGrantsFile =
      options.write ??
      (async (path, text) => {
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, text, { mode: 0o600 });
      });
    const path = join(dir, STATE_DIR, ACCESS_FILE);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === null) return new AccessGrants(path, [], write);
    try {
      return new AccessGrants(path, fileSchema.parse(JSON.parse(text)).grants, write);
    } catch {
      throw new LockInvalidError(`${STATE_DIR}/${ACCESS_FILE} is not valid; delete it to ask the nodes for access again`);
    }
  }

  find(node: string, dataset: string): AccessGrant | undefined {
    return this.grants.find((grant) => grant.node === node && grant.dataset === dataset);
  }

  /**
   * Keeps a grant. Several datasets ask for access at once, so writes are serialised, and each
   * writes the grants as they are when it starts: a write that finishes late never puts back a
   * file without a grant another put added meanwhile.
   */
  put(grant: AccessGrant): Promise<void> {
    this.grants = [...this.grants.filter((g) => !(g.node === grant.node && g.dataset === grant.dataset)), grant];
    const next = this.writing.then(async () => {
      await this.write(this.path, `${JSON.stringify({ grants: this.grants }, null, 2)}\n`);
    });
    this.writing = next.catch(() => {});
    return next;
  }
}
