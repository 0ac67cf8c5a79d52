import type { Logger } from '../../core/log.js';
import type { ReleaseStore } from '../stores/releases.js';
import type { Redactor } from './redaction.js';

/** A redaction that failed is tried again after the delay, doubled each time, up to an hour. */
const MAX_RETRY_MS = 3600_000;
/**
 * How often the database is looked at for removals nobody told this scheduler of: a release
 * published already holding withdrawn records, a build or withdrawal by another process (the CLI).
 */
const POLL_MS = 5_000;

/**
 * Runs each redaction when it falls due: `redactAfterSeconds` after the first record left the
 * dataset's current release, so a burst of withdrawals makes one version. What is due is read
 * from the database (current releases holding removals), never kept only in memory: `start`
 * finds what a stopped or crashed node left pending (overdue ones run at once), `check`, called
 * after every withdrawal, finds the new ones, and a poll every few seconds finds those that came
 * another way (a release published with records withdrawn meanwhile, the CLI). One redaction
 * runs at a time.
 *
 * Only a serving node runs them (`createNode` starts the scheduler); commands that open the node
 * leave them to it.
 */
export class RedactionScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private poll: NodeJS.Timeout | undefined;
  /** Fell due while held. */
  private readonly held = new Set<string>();
  /** Queued or running. */
  private readonly active = new Set<string>();
  private readonly failures = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private holds = 0;
  private started = false;
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(
    private readonly deps: { releases: ReleaseStore; redactor: Redactor; redactAfterSeconds: number; log: Logger },
  ) {}

  start(): void {
    this.started = true;
    this.poll ??= setInterval(() => this.check(), POLL_MS);
    this.poll.unref();
    this.check();
  }

  /** Sets a timer for every dataset due to be rebuilt that has none yet. Cheap: call it after any withdrawal. */
  check(): void {
    if (!this.started) return;
    for (const { datasetId, since } of this.deps.releases.pendingRedactions()) {
      if (this.timers.has(datasetId) || this.held.has(datasetId) || this.active.has(datasetId)) continue;
      this.schedule(datasetId, Date.parse(since) + this.deps.redactAfterSeconds * 1000 - Date.now());
    }
    this.notifyIfIdle();
  }

  /**
   * Holds back redactions that fall due until the returned function is called: the operator's
   * (or a test's) way to be sure a burst of withdrawals lands in one version.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds > 0) return;
      for (const datasetId of [...this.held]) this.enqueue(datasetId);
      this.notifyIfIdle();
    };
  }

  /**
   * Resolves once nothing is due, held or running; rejects with the error of a redaction that
   * fails meanwhile. A redaction still waiting for its delay is waited for.
   */
  settled(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // What the database holds counts, not only what this scheduler was told of.
      if (this.started) this.check();
      else this.notifyIfIdle();
    });
  }

  /** Clears the timers and waits for a redaction in progress; what was pending stays pending in the database. */
  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.poll);
    this.poll = undefined;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
    await this.queue;
  }

  private schedule(datasetId: string, inMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(datasetId);
      if (this.holds > 0) this.held.add(datasetId);
      else this.enqueue(datasetId);
    }, Math.max(0, inMs));
    timer.unref();
    this.timers.set(datasetId, timer);
  }

  private enqueue(datasetId: string): void {
    this.held.delete(datasetId);
    if (!this.started || this.active.has(datasetId)) return;
    this.active.add(datasetId);
    this.queue = this.queue.then(async () => {
      try {
        const outcome = await this.deps.redactor.redact(datasetId);
        this.failures.delete(datasetId);
        if (outcome.kind === 'released') {
          const { release, rewritten, carried, removed } = outcome;
          this.deps.log.info({ dataset: datasetId, version: release.version, removed, rewritten, carried: carried.length }, 'redacted release published');
        } else if (outcome.kind === 'retracted') {
          this.deps.log.info({ dataset: datasetId }, 'dataset retracted: every record was withdrawn');
        }
      } catch (error) {
        // Another build published first: what is due now is judged afresh from the database.
        if ((error as { code?: string }).code !== 'ReleaseBuildConflict') this.failed(datasetId, error);
      } finally {
        this.active.delete(datasetId);
        this.check();
      }
    });
  }

  private failed(datasetId: string, error: unknown): void {
    const failures = (this.failures.get(datasetId) ?? 0) + 1;
    this.failures.set(datasetId, failures);
    const retryMs = Math.min(MAX_RETRY_MS, this.deps.redactAfterSeconds * 1000 * 2 ** failures);
    this.deps.log.error({ err: error, dataset: datasetId, retryInSeconds: retryMs / 1000 }, 'redaction failed; its shards keep answering 410 until it succeeds');
    if (this.started) this.schedule(datasetId, retryMs);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private notifyIfIdle(): void {
    if (this.timers.size > 0 || this.held.size > 0 || this.active.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }
}
