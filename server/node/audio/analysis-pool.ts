import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ClipAnalysis } from '../../../pipelines/audio/analyse.js';
import type { ScreeningRules } from '../../../pipelines/audio/screen.js';
import type { AnalysisTask, ClipSource } from '../../../pipelines/audio/worker.js';

/**
 * Runs clip analysis on worker threads so the HTTP event loop stays responsive. The threads
 * start with the first clip, so commands that never touch audio start and exit quickly.
 */
export class AnalysisPool {
  private pool: Piscina | undefined;

  constructor(private readonly threads = availableParallelism()) {}

  private start(): Piscina {
    // From source (tests, tsx) the worker is TypeScript and needs the same loader.
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = new URL(`../../../pipelines/audio/worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    return new Piscina({
      filename: fileURLToPath(worker),
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  analyse(source: ClipSource, rules: ScreeningRules): Promise<ClipAnalysis> {
    this.pool ??= this.start();
    const task: AnalysisTask = { source, rules };
    return this.pool.run(task);
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}
