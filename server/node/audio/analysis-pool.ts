import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ClipAnalysis } from '../../../pipelines/audio/analyse.js';
import type { ScreeningRules } from '../../../pipelines/audio/screen.js';
import type { AnalysisReport, AnalysisTask, ClipSource } from '../../../pipelines/audio/worker.js';

type LoadBalancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;
type PoolThread = Parameters<LoadBalancer>[1][number];

/**
 * A thread whose array buffers and WebAssembly memories hold more than this after a clip is
 * ended and replaced. WebAssembly memory never shrinks, and what a large decode (or a refusal
 * part-way through one) leaves behind waits for a garbage collection that an idle thread may
 * never run; ending the thread frees all of it. An idle thread holds about 20 MB and a clip
 * leaves 20–50, so only unusually large decodes cost a thread. Measured on two Vorbis files
 * stopped at the sample budget: RSS stays 60 MB over idle with this, 100 MB without.
 */
const RECYCLE_EXTERNAL_BYTES = 64 * 1024 * 1024;

/**
 * Runs clip analysis on worker threads so the HTTP event loop stays responsive. The threads
 * start with the first clip, so commands that never touch audio start and exit quickly.
 */
export class AnalysisPool {
  private pool: Piscina | undefined;
  /**
   * Threads that get no more clips and are ended as soon as they are idle. A thread stays here
   * until the pool no longer lists it: it is still listed while it exits.
   */
  private retiring = new Set<number>();
  /** The pool's view of each thread (its live `currentUsage`), by thread id, as last seen. */
  private poolThreads = new Map<number, PoolThread>();

  constructor(
    private readonly threadCount = availableParallelism(),
    /** A thread whose memory passed this after a clip is ended and replaced. */
    private readonly recycleAboveBytes = RECYCLE_EXTERNAL_BYTES,
  ) {}

  private start(): Piscina {
    // From source (tests, tsx) the worker is TypeScript and needs the same loader.
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = new URL(`../../../pipelines/audio/worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    return new Piscina({
      filename: fileURLToPath(worker),
      // At least one thread, always: piscina starts threads for queued clips only when one ends
      // or becomes free, so with none left (the last one retired below) queued clips would wait
      // for ever (test/node/analysis-pool.test.ts). Others end after half a minute idle.
      minThreads: 1,
      maxThreads: this.threadCount,
      idleTimeout: 30_000,
      loadBalancer: (_task, threads) => {
        // Piscina's own choice (a thread with nothing to do), passing over retiring threads.
        this.poolThreads = new Map(threads.map((thread) => [thread.id, thread]));
        this.retiring = new Set([...this.retiring].filter((id) => this.poolThreads.has(id)));
        return threads.find((thread) => thread.currentUsage === 0 && !this.retiring.has(thread.id)) ?? null;
      },
      ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  /** Analyses a clip; with `speechModel` (a model folder) its language is scored too. */
  async analyse(source: ClipSource, rules: ScreeningRules, speechModel?: string): Promise<ClipAnalysis> {
    const pool = (this.pool ??= this.start());
    const task: AnalysisTask = { source, rules, ...(speechModel === undefined ? {} : { speechModel }) };
    const report: AnalysisReport = await pool.run(task);
    if (report.externalBytes > this.recycleAboveBytes) this.retiring.add(report.threadId);
    if (this.retiring.has(report.threadId)) this.endIfIdle(pool, report.threadId);
    return report.analysis;
  }

  /**
   * Ends a retiring thread once it has no clip (it may have been handed one before it was known
   * to be retiring; then this runs again when that one is done). Piscina starts a new thread
   * when the next clip needs one.
   */
  private endIfIdle(pool: Piscina, id: number): void {
    if ((this.poolThreads.get(id)?.currentUsage ?? 0) > 0) return;
    void pool.threads.find((thread) => thread.threadId === id)?.terminate();
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
    this.retiring = new Set();
    this.poolThreads = new Map();
  }
}
