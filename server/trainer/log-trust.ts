import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { openCheckpoint, type CheckpointVerifier } from '../../pipelines/transparency/checkpoint.js';
import { appendToFrontier, frontierFromInclusionProof, frontierRoot, type Frontier } from '../../pipelines/transparency/frontier.js';
import { hashLeaf, sameHash } from '../../pipelines/transparency/hashing.js';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { verifyConsistency, verifyInclusion } from '../../pipelines/transparency/verify.js';
import { TributaryError } from '../../pipelines/errors.js';
import { IndexAnswerInvalidError, LogInconsistentError, LogKeyChangedError, LogProofFailedError } from './errors.js';
import type { FeedEntry, IndexClient, IndexDocument } from './index-client.js';

/**
 * The trainer's view of an index's Merkle log (server/index/README.md, "The log"): checkpoints
 * opened under the log key the folder pinned on its first pull, inclusion proofs for the entries
 * a pull or verify acts on, and consistency proofs from the checkpoint the folder last saw. The
 * proof arithmetic is pipelines/transparency; this only fetches and decides.
 */

/** A checkpoint the pinned key signed: what the lock keeps. */
export interface SignedHead {
  size: number;
  /** Standard base64, as in the note. */
  rootHash: string;
  note: string;
}

export class LogTrust {
  private readonly verifier: CheckpointVerifier;

  private constructor(
    private readonly client: IndexClient,
    readonly logKey: string,
    readonly origin: string,
  ) {
    try {
      this.verifier = { ...parseVerifierKey(logKey), origin };
    } catch (error) {
      throw new LogProofFailedError(`the index publishes a log key that cannot be read: ${(error as Error).message}`);
    }
  }

  /**
   * The index's log key, pinned: a folder that pinned one before accepts only the same key
   * (a new key would let the index sign any history); a new folder pins what the index publishes.
   */
  static pin(client: IndexClient, document: IndexDocument, pinned: string | null | undefined): LogTrust {
    if (pinned && pinned !== document.logKey) {
      throw new LogKeyChangedError(
        `the index at ${client.url} now signs its log with ${document.logKey}, but this folder pinned ${pinned}; if the index really changed its key, pull into a new folder`,
        { pinned, published: document.logKey },
      );
    }
    return new LogTrust(client, document.logKey, document.origin);
  }

  /** Opens a checkpoint note under the pinned key. */
  open(note: string): SignedHead {
    try {
      const head = openCheckpoint(note, this.verifier);
      return { size: head.size, rootHash: Buffer.from(head.rootHash).toString('base64'), note };
    } catch (error) {
      if (error instanceof TributaryError) throw new LogProofFailedError(`the index's checkpoint does not open under the pinned log key: ${error.message}`);
      throw error;
    }
  }

  /** The index's current checkpoint, signature checked. */
  async head(): Promise<SignedHead> {
    return this.open(await this.client.checkpoint());
  }

  /**
   * Proves that `newer` extends `older` (RFC 9162 consistency): an index that dropped or
   * rewrote an entry it had shown in `older` cannot produce this proof.
   */
  async proveConsistent(older: Pick<SignedHead, 'size' | 'rootHash'>, newer: SignedHead): Promise<void> {
    if (newer.size < older.size) {
      throw new LogInconsistentError(`the index's log has ${newer.size} entries, fewer than the ${older.size} this folder saw: it dropped entries`, {
        from: older.size,
        to: newer.size,
      });
    }
    if (newer.size === older.size) {
      if (newer.rootHash !== older.rootHash) {
        throw new LogInconsistentError(`the index's log of ${newer.size} entries has another root than the one this folder saw: it rewrote entries`, {
          from: older.size,
          to: newer.size,
        });
      }
      return;
    }
    const proof = older.size === 0 ? [] : await this.client.consistency(older.size, newer.size);
    const verdict = verifyConsistency(older.size, newer.size, Buffer.from(older.rootHash, 'base64'), Buffer.from(newer.rootHash, 'base64'), proof);
    if (!verdict.ok) {
      throw new LogInconsistentError(
        `the index's log of ${newer.size} entries does not extend the log of ${older.size} entries this folder checked (${verdict.reason}): entries it served were dropped or rewritten`,
        { from: older.size, to: newer.size, reason: verdict.reason },
      );
    }
  }

  /** Proves that `entry` (its exact JSON) is entry `entry.index` of the log under `head`. */
  async proveIncluded(entry: FeedEntry, head: SignedHead): Promise<void> {
    if (entry.index >= head.size) throw new LogProofFailedError(`entry ${entry.index} is not in the log of ${head.size} entries`);
    const proof = await this.client.inclusion(entry.index, head.size);
    const leaf = hashLeaf(Buffer.from(canonicalJson(entry.event), 'utf8'));
    const verdict = verifyInclusion(leaf, entry.index, head.size, proof, Buffer.from(head.rootHash, 'base64'));
    if (!verdict.ok) {
      throw new LogProofFailedError(`the index could not prove that entry ${entry.index} (${entry.event.type}) is in its signed log (${verdict.reason})`, {
        index: entry.index,
        reason: verdict.reason,
      });
    }
  }

  /**
   * Reads every feed entry in [from, head.size) and proves them all under `head`: each entry's
   * leaf (its canonical JSON) is appended to the log's frontier at `from` (read off the
   * inclusion proof of entry `from`), and the root that ends up must be the checkpoint's. So an
   * index that skips entries, stops early, or changes one (its type, its node) is caught, whoever
   * the entry is about. Only the entries `keep` picks are held, and they are returned only once
   * the whole range is proven: nothing is acted on before.
   */
  async proveRange(from: number, head: SignedHead, keep: (entry: FeedEntry) => boolean, pageSize = 1000): Promise<{ kept: FeedEntry[]; read: number }> {
    if (!Number.isSafeInteger(from) || from < 0 || from > head.size) {
      throw new LogProofFailedError(`the feed cursor ${from} is not in the log of ${head.size} entries`);
    }
    if (from === head.size) return { kept: [], read: 0 };
    const start = frontierFromInclusionProof(from, head.size, await this.client.inclusion(from, head.size));
    if (!start) throw new LogProofFailedError(`the index's inclusion proof of entry ${from} is not one for a log of ${head.size} entries`);
    let frontier: Frontier = start;
    const kept: FeedEntry[] = [];
    for (let cursor = from; cursor < head.size; ) {
      const page = await this.client.feed(cursor, Math.min(pageSize, head.size - cursor));
      if (page.events.length === 0) {
        throw new IndexAnswerInvalidError(`the index's feed ends at entry ${cursor}, but its signed log has ${head.size} entries`);
      }
      // Entries logged after the checkpoint are read again next time, under a later one.
      const entries = page.events.slice(0, head.size - cursor);
      for (const entry of entries) {
        frontier = appendToFrontier(frontier, hashLeaf(Buffer.from(canonicalJson(entry.event), 'utf8')));
        if (keep(entry)) kept.push(entry);
      }
      cursor += entries.length;
    }
    if (!sameHash(frontierRoot(frontier), Buffer.from(head.rootHash, 'base64'))) {
      throw new LogProofFailedError(
        `the feed entries ${from} to ${head.size - 1} the index served are not the ones its signed checkpoint commits to: an entry was skipped, added or changed`,
        { from, to: head.size },
      );
    }
    return { kept, read: head.size - from };
  }

  /** Reads entry `index` of the feed and proves it under `head`. */
  async provenEntry(index: number, head: SignedHead): Promise<FeedEntry> {
    const page = await this.client.feed(index, 1);
    const entry = page.events[0];
    if (!entry || entry.index !== index) throw new LogProofFailedError(`the index's feed has no entry ${index}`);
    await this.proveIncluded(entry, head);
    return entry;
  }
}
