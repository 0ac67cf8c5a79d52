import type { Db } from './db.js';

interface Pending {
  work: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: writes that arrive while the event loop is busy are run together in one SQLite
 * transaction. Callers are answered only after the shared COMMIT, so what a client was told is
 * stored is stored. Under load this divides the cost of a commit between every request in the
 * batch.
 *
 * A batch first runs as one plain transaction. If any write throws, that transaction is rolled
 * back and the batch runs again with each write in its own savepoint, so a refused write rolls
 * back alone. Work must therefore only touch the database: it may run twice.
 */
export class GroupCommit {
  private queue: Pending[] = [];

  constructor(private readonly db: Db) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.db.transaction(() => batch.map((item): Outcome => ({ ok: true, value: item.work() })))();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      try {
        outcomes = this.db.transaction(() => batch.map((item) => this.inSavepoint(item)))();
      } catch (commitError) {
        for (const item of batch) item.reject(commitError);
        return;
      }
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  private inSavepoint(item: Pending): Outcome {
    try {
      // A nested better-sqlite3 transaction is a savepoint.
      return { ok: true, value: this.db.transaction(item.work)() };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
