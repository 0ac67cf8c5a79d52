import type { KeyObject } from 'node:crypto';
import { appendLeaves } from '../../../pipelines/transparency/append.js';
import { signCheckpoint } from '../../../pipelines/transparency/checkpoint.js';
import { InvalidTreeRequestError, MissingTreeNodeError } from '../../../pipelines/transparency/errors.js';
import { hashLeaf } from '../../../pipelines/transparency/hashing.js';
import { consistencyProof, inclusionProof, rootHash } from '../../../pipelines/transparency/proofs.js';
import { datasetOf, leafOf, type FeedEvent } from '../domain/feed-events.js';
import type { IndexReads, IndexStore, IndexTransaction } from '../store/index-store.js';

export interface FeedPage {
  events: Array<{ index: number; event: FeedEvent }>;
  /** The cursor to ask with next: the index after the last event given. */
  next: number;
  /** The log's size when the page was read. */
  size: number;
}

/**
 * The change feed as an append-only Merkle log (pipelines/transparency): events are appended
 * inside the caller's transaction, with the subtree hashes they complete, so a state change and
 * its event commit together or not at all; reads, checkpoints and proofs see committed entries.
 * They come from the store's replica when it has one (a log complete up to some earlier entry,
 * as good to serve as the latest); a proof for a size the replica has not reached yet, asked by
 * someone just told of a new entry, comes from the primary.
 */
export class FeedLog {
  /** The largest log size each reads (the replica's, the primary's) has shown. */
  #seenSizes = new WeakMap<IndexReads, number>();

  constructor(
    private readonly store: IndexStore,
    private readonly signer: { origin: string; logKey: KeyObject },
  ) {}

  /** Appends events in order and returns their log indices. The log's size is read under the transaction's write lock. */
  async append(tx: IndexTransaction, events: readonly FeedEvent[]): Promise<number[]> {
    if (events.length === 0) return [];
    const size = await tx.logSize();
    const leaves = events.map(leafOf);
    await tx.log.writeNodes(await appendLeaves(tx.log, size, leaves.map((leaf) => hashLeaf(Buffer.from(leaf, 'utf8')))));
    await tx.appendFeed(
      size,
      events.map((event, i) => ({ type: event.type, nodeDid: event.node, datasetId: datasetOf(event), at: event.at, leaf: leaves[i]! })),
    );
    return events.map((_, i) => size + i);
  }

  async page(cursor: number, limit: number): Promise<FeedPage> {
    const reads = this.store.replica;
    const size = await reads.logSize();
    const entries = await reads.feed(cursor, limit);
    return {
      events: entries.map((entry) => ({ index: entry.index, event: JSON.parse(entry.leaf) as FeedEvent })),
      next: entries.length ? entries.at(-1)!.index + 1 : Math.max(cursor, 0),
      size,
    };
  }

  /**
   * The log's head as a signed note. Size first, then the root of that size: entries committed
   * in between do not change the root of a size already reached.
   */
  async checkpoint(): Promise<string> {
    const reads = this.store.replica;
    const size = await reads.logSize();
    const root = await rootHash(reads.log, size);
    return signCheckpoint({ origin: this.signer.origin, size, rootHash: root }, this.signer.origin, this.signer.logKey);
  }

  async inclusion(index: number, size: number): Promise<Uint8Array[]> {
    if (index >= size) throw new InvalidTreeRequestError(`Entry ${index} is not in a log of ${size} entries.`);
    return this.#prove(size, (reads) => inclusionProof(reads.log, index, size));
  }

  async consistency(from: number, to: number): Promise<Uint8Array[]> {
    if (from > to) throw new InvalidTreeRequestError(`A log of ${to} entries cannot extend one of ${from}.`);
    return this.#prove(to, (reads) => consistencyProof(reads.log, from, to));
  }

  /**
   * `prove` over the replica if its log has `size` entries, else over the primary if it has; else
   * the request is for a log that does not exist yet. A log only grows, so a size already seen
   * needs no new look (a proof is then one read). Should a replica have been rebuilt from an
   * older copy since, the proof finds a subtree missing and is made again after a new look.
   */
  async #prove(size: number, prove: (reads: IndexReads) => Promise<Uint8Array[]>): Promise<Uint8Array[]> {
    const seen = this.#held(size);
    if (seen) {
      try {
        return await prove(seen);
      } catch (error) {
        if (!(error instanceof MissingTreeNodeError)) throw error;
        this.#seenSizes = new WeakMap();
      }
    }
    return prove(await this.#holding(size));
  }

  /** The reads (replica first) already seen holding `size` entries. */
  #held(size: number): IndexReads | undefined {
    return [this.store.replica, this.store].find((reads) => size <= (this.#seenSizes.get(reads) ?? 0));
  }

  /** The replica if its log has `size` entries, else the primary if it has; else the request is for a log that does not exist yet. */
  async #holding(size: number): Promise<IndexReads> {
    let held = 0;
    // The primary last: what it holds is the log's size.
    for (const reads of new Set([this.store.replica, this.store])) {
      held = await reads.logSize();
      this.#seenSizes.set(reads, Math.max(held, this.#seenSizes.get(reads) ?? 0));
      if (size <= held) return reads;
    }
    throw new InvalidTreeRequestError(`The log has ${held} entries, not ${size}.`);
  }
}
