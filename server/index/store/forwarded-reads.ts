import type { TreeNodeReader } from '../../../pipelines/transparency/tree-store.js';
import type { IndexReads } from './index-store.js';

/**
 * The reads of an index store, answered by its own `IndexReads` (the reading connection or pool).
 * Both stores extend it, so a read added to `IndexReads` is forwarded in one place.
 */
export abstract class ForwardedReads implements IndexReads {
  protected abstract readonly reads: IndexReads;

  get log(): TreeNodeReader {
    return this.reads.log;
  }
  node(did: string) {
    return this.reads.node(did);
  }
  signingKeys(nodeDid: string) {
    return this.reads.signingKeys(nodeDid);
  }
  keyHolders(keyId: string) {
    return this.reads.keyHolders(keyId);
  }
  dataset(nodeDid: string, datasetId: string) {
    return this.reads.dataset(nodeDid, datasetId);
  }
  manifest(sha256: string) {
    return this.reads.manifest(sha256);
  }
  releaseShards(nodeDid: string, datasetId: string, version: string) {
    return this.reads.releaseShards(nodeDid, datasetId, version);
  }
  notice(nodeDid: string, id: string) {
    return this.reads.notice(nodeDid, id);
  }
  envelope(sha256: string) {
    return this.reads.envelope(sha256);
  }
  feed(fromIndex: number, limit: number) {
    return this.reads.feed(fromIndex, limit);
  }
  logSize() {
    return this.reads.logSize();
  }
  quietNodes(before: string) {
    return this.reads.quietNodes(before);
  }
  activeNodes() {
    return this.reads.activeNodes();
  }
  harvestCursor(nodeDid: string) {
    return this.reads.harvestCursor(nodeDid);
  }
  counts() {
    return this.reads.counts();
  }
}
