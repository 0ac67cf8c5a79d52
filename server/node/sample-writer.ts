import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CONNECTION_PRAGMAS } from '../core/db.js';
import { ACTIVE_CONSENT_SQL } from './stores/consents.js';
import { ConsentRequiredError, DuplicateTextError } from './errors.js';
import { INSERT_SAMPLE_SQL, insertParams, type NewSample, type Sample } from './stores/samples.js';

/** What the thread says became of each sample of a batch. */
type ThreadOutcome = 'inserted' | 'duplicate' | 'consent-withdrawn' | { error: string };

interface Job {
  sample: NewSample;
  resolve: (stored: Sample) => void;
  reject: (error: Error) => void;
}

// The thread's program, plain CommonJS so that it starts in milliseconds with no TypeScript
// loader. It receives batches of insert parameters and answers each batch with one outcome per
// sample, in order, after the batch's COMMIT.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
for (const pragma of workerData.pragmas) db.pragma(pragma);
// Nothing waits on this thread but the samples it writes: wait out any lock rather than fail.
db.pragma('busy_timeout = 60000');
const consentActive = db.prepare(workerData.consentSql).pluck();
const insert = db.prepare(workerData.insertSql);
function write(params) {
  // Checked in the writing transaction: a withdrawal may have landed since the request's check.
  if (consentActive.get(params.consentRecordId) === undefined) return 'consent-withdrawn';
  return insert.run(params).changes > 0 ? 'inserted' : 'duplicate';
}
const writeAll = db.transaction((batch) => batch.map(write));
const writeOne = db.transaction(write);
parentPort.on('message', (batch) => {
  let outcomes;
  try {
    outcomes = writeAll.immediate(batch);
  } catch {
    // One sample broke the batch: write each alone so the others still land.
    outcomes = batch.map((params) => {
      try {
        return writeOne.immediate(params);
      } catch (error) {
        return { error: String((error && error.message) || error) };
      }
    });
  }
  parentPort.postMessage(outcomes);
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Writes samples on a thread of its own with its own SQLite connection, so the HTTP event loop
 * never waits on an insert, a COMMIT or a checkpoint's disk syncs (on a text submission those
 * were a fifth of the node's work). Group commit: one batch is in flight at a time, and
 * everything handed over meanwhile goes together in the next, as one transaction. A caller is
 * answered only after its batch committed, so what a client was told is stored is stored.
 *
 * The thread starts with the first sample, and keeps the process alive only while it holds
 * samples not yet committed.
 */
export class SampleWriter {
  private thread: Worker | undefined;
  private waiting: Job[] = [];
  private inFlight: Job[] | null = null;
  private idle: (() => void) | undefined;
  private closed = false;

  constructor(private readonly databaseFile: string) {}

  /**
   * Stores a new sample and answers with it as stored, once committed. Refuses a text already on
   * the node (`DuplicateText`) and a sample whose consent was withdrawn meanwhile (`ConsentRequired`).
   */
  insert(sample: NewSample): Promise<Sample> {
    if (this.closed) return Promise.reject(new Error('The sample writer is closed.'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ sample, resolve, reject });
      if (!this.inFlight && this.waiting.length === 1) setImmediate(() => this.send());
    });
  }

  /** Waits for every sample handed over so far, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight || this.waiting.length > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  private send(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    this.inFlight = this.waiting;
    this.waiting = [];
    const thread = this.start();
    thread.ref();
    thread.postMessage(this.inFlight.map((job) => insertParams(job.sample)));
  }

  private settle(outcomes: ThreadOutcome[]): void {
    const batch = this.inFlight ?? [];
    this.inFlight = null;
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome === 'inserted') job.resolve(storedSample(job.sample));
      else if (outcome === 'duplicate') job.reject(new DuplicateTextError());
      else if (outcome === 'consent-withdrawn') job.reject(new ConsentRequiredError());
      else job.reject(new Error(outcome?.error ?? 'The sample writer gave no answer.'));
    });
    this.send();
    if (!this.inFlight) this.becameIdle();
  }

  private becameIdle(): void {
    this.thread?.unref();
    const idle = this.idle;
    this.idle = undefined;
    idle?.();
  }

  /** The thread died (it could not open the database, say): fail what it held, restart on demand. */
  private fail(error: Error): void {
    this.thread = undefined;
    const lost = [...(this.inFlight ?? []), ...this.waiting];
    this.inFlight = null;
    this.waiting = [];
    for (const job of lost) job.reject(error);
    this.becameIdle();
  }

  private start(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        driver,
        file: this.databaseFile,
        pragmas: CONNECTION_PRAGMAS,
        insertSql: INSERT_SAMPLE_SQL,
        consentSql: ACTIVE_CONSENT_SQL,
      },
    });
    thread.unref();
    thread.on('message', (outcomes: ThreadOutcome[]) => this.settle(outcomes));
    thread.on('error', (error) => this.fail(error));
    thread.on('exit', (code) => {
      if (this.thread === thread) this.fail(new Error(`The sample writer stopped (exit code ${code}).`));
    });
    this.thread = thread;
    return thread;
  }
}

/** A new sample as it reads once stored: pending, undecided, not withdrawn. */
function storedSample(sample: NewSample): Sample {
  const { textKey: _key, uploadId: _upload, ...stored } = sample;
  return { ...stored, status: 'pending', decidedAt: null, withdrawnAt: null };
}
