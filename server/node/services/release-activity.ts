/**
 * Which datasets this process is making a new version of, so that a redaction and a build of the
 * same dataset never run at once: a build waits for a redaction in progress, and a redaction for
 * every build in progress (which may well leave it nothing to do). A retraction removes the
 * dataset's files the same way, once whatever was being made of it has stopped. Builds do not
 * wait for each other: two operators building at once is settled when they publish
 * (ReleaseBuildConflict), as is a build in another process (the CLI beside a serving node).
 */
export class ReleaseActivity {
  private readonly builds = new Map<string, Set<Promise<unknown>>>();
  private readonly exclusives = new Map<string, Promise<unknown>>();

  async build<T>(datasetId: string, run: () => Promise<T>): Promise<T> {
    for (let other = this.exclusives.get(datasetId); other; other = this.exclusives.get(datasetId)) {
      await other.catch(() => undefined);
    }
    // Registered in the same turn as the last check: nothing can start in between.
    const running = run();
    const set = this.builds.get(datasetId) ?? this.builds.set(datasetId, new Set()).get(datasetId)!;
    set.add(running);
    try {
      return await running;
    } finally {
      set.delete(running);
      if (set.size === 0) this.builds.delete(datasetId);
    }
  }

  /** Runs `run` (a redaction, a retraction's clean-up) once no build of the dataset is in progress, and alone. */
  async exclusive<T>(datasetId: string, run: () => Promise<T>): Promise<T> {
    for (;;) {
      const builds = this.builds.get(datasetId);
      const other = this.exclusives.get(datasetId);
      if (!builds?.size && !other) break;
      await Promise.allSettled([...(builds ?? []), ...(other ? [other] : [])]);
    }
    const running = run();
    this.exclusives.set(datasetId, running);
    try {
      return await running;
    } finally {
      this.exclusives.delete(datasetId);
    }
  }
}
