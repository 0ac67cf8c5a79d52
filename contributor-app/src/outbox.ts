import { ApiError } from './api.js';
import { recordingQueue, type QueuedRecording } from './recording-queue.js';
import type { Sample } from './types.js';
import { sendRecording, type SendOutcome, type Sending } from './upload.js';

/** What the offline banner shows: whether the node can be reached and what waits to be sent. */
export interface OutboxState {
  /** The browser says it is online and the last attempt to reach the node did not fail for want of a link. */
  reachable: boolean;
  /** Recordings kept on this device, not yet confirmed by the node. */
  waiting: number;
  sending: boolean;
  /** Recordings the node refused while they were sent from the queue (since the app started). */
  refused: number;
}

/** How a screen follows its own take: the node's sample, or a refusal; `onQueued` when it must wait. */
export interface RecordingUpload {
  done: Promise<Sample>;
  /** Stops following (progress, outcome); the recording itself stays queued and is still sent. */
  abort(): void;
}

/** While something waits, the node is asked again this often even without an `online` event (lie-fi). */
const RETRY_EVERY_MS = 20_000;

interface Follower {
  onProgress(fraction: number): void;
  onQueued(error: ApiError): void;
  resolve(sample: Sample): void;
  reject(error: ApiError): void;
}

/**
 * Every recording goes through here: kept in IndexedDB first, then sent with tus, and removed
 * only once the node has answered with its sample (or refused it for good). What could not be
 * sent waits and goes when the connection returns, after a reload too (the app calls `start`).
 * One sender per recording, across tabs too (Web Locks), so nothing is sent twice.
 */
export class Outbox {
  private state: OutboxState = { reachable: navigator.onLine, waiting: 0, sending: false, refused: 0 };
  private readonly listeners = new Set<(state: OutboxState) => void>();
  private readonly inFlight = new Map<string, Sending>();
  private readonly followers = new Map<string, Follower>();
  private draining: Promise<void> | null = null;
  private timer = 0;

  /** Looks at what was left from earlier visits and sends it when it can. */
  start(): void {
    window.addEventListener('online', () => {
      this.update({ reachable: true });
      void this.drain();
    });
    window.addEventListener('offline', () => this.update({ reachable: false }));
    void this.refreshCount().then(() => this.drain());
  }

  get current(): OutboxState {
    return this.state;
  }

  subscribe(listener: (state: OutboxState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  /** Keeps the take on the device, then sends it; a screen follows it through the returned handle. */
  submit(take: { blob: Blob; promptId: string; language: string; token: string }, follower: Omit<Follower, 'resolve' | 'reject'>): RecordingUpload {
    let id: string | null = null;
    let detached = false;
    const done = new Promise<Sample>((resolve, reject) => {
      recordingQueue.add(take).then(
        (item) => {
          id = item.id;
          if (!detached) this.followers.set(item.id, { ...follower, resolve, reject });
          void this.refreshCount();
          void this.send(item);
        },
        // IndexedDB unavailable (private mode, full disk): sent straight away, held only in memory.
        () => {
          const item: QueuedRecording = { ...take, id: `memory-${Date.now()}`, createdAt: new Date().toISOString(), uploadUrl: null };
          id = item.id;
          this.followers.set(item.id, { ...follower, resolve, reject });
          void this.send(item);
        },
      );
    });
    return {
      done,
      abort: () => {
        detached = true;
        if (id) this.followers.delete(id);
      },
    };
  }

  /** Sends every kept recording, oldest first, one at a time. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        for (const item of await recordingQueue.list()) {
          if (!navigator.onLine) break;
          const outcome = await this.send(item);
          if (outcome?.kind === 'waiting') break;
        }
      } catch {
        // IndexedDB unreadable: nothing to drain.
      } finally {
        this.draining = null;
        await this.refreshCount();
      }
    })();
    return this.draining;
  }

  private async send(item: QueuedRecording): Promise<SendOutcome | null> {
    if (this.inFlight.has(item.id)) return this.inFlight.get(item.id)!.outcome;
    const attempt = async (): Promise<SendOutcome | null> => {
      // Another tab may hold it; it stays queued there and is its business.
      const sending = sendRecording(item, (fraction) => this.followers.get(item.id)?.onProgress(fraction));
      this.inFlight.set(item.id, sending);
      this.update({ sending: true });
      const outcome = await sending.outcome;
      this.inFlight.delete(item.id);
      await this.settle(item, outcome);
      this.update({ sending: this.inFlight.size > 0 });
      return outcome;
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) return attempt();
    return locks.request(`tributary-recording:${item.id}`, { ifAvailable: true }, (lock) => (lock ? attempt() : null));
  }

  private async settle(item: QueuedRecording, outcome: SendOutcome): Promise<void> {
    const follower = this.followers.get(item.id);
    if (outcome.kind === 'waiting') {
      this.update({ reachable: outcome.error.status !== 0 && navigator.onLine ? this.state.reachable : false });
      follower?.onQueued(outcome.error);
      this.schedule();
      await this.refreshCount();
      return;
    }
    // Confirmed or refused for good: the node has answered for this take, so it leaves the device.
    await recordingQueue.remove(item.id).catch(() => {});
    this.followers.delete(item.id);
    this.update({ reachable: true });
    if (outcome.kind === 'sample') follower?.resolve(outcome.sample);
    else {
      if (!follower) this.update({ refused: this.state.refused + 1 });
      follower?.reject(outcome.error);
    }
    await this.refreshCount();
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      if (this.state.waiting > 0 && navigator.onLine) void this.drain();
      else if (this.state.waiting > 0) this.schedule();
    }, RETRY_EVERY_MS);
  }

  private async refreshCount(): Promise<void> {
    const waiting = await recordingQueue.count().catch(() => this.state.waiting);
    this.update({ waiting });
  }

  private update(change: Partial<OutboxState>): void {
    const next = { ...this.state, ...change };
    if (Object.entries(change).every(([key, value]) => this.state[key as keyof OutboxState] === value)) return;
    this.state = next;
    for (const listener of this.listeners) listener(next);
  }
}
