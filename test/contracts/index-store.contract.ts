import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendLeaves } from '../../pipelines/transparency/append.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { rootHash } from '../../pipelines/transparency/proofs.js';
import type {
  DatasetQuery,
  DatasetRecord,
  IndexStore,
  IndexTransaction,
  ManifestRecord,
  NodeRecord,
  NoticeRecord,
} from '../../server/index/store/index-store.js';
import { hex, naiveRoot } from '../fixtures/transparency/naive-merkle.js';

/**
 * The one contract every `IndexStore` passes (SQLite now, PostgreSQL next), the way blob stores
 * share blob-store.contract.ts. `open` gives a fresh, empty database; `connect` opens another
 * store on the same database, as a second index process would, and works after `store` is closed.
 */
export interface IndexStoreFixture {
  store: IndexStore;
  connect(): Promise<IndexStore>;
  close(): Promise<void>;
}

const T0 = '2027-01-01T00:00:00.000Z';
const sha = (n: number) => n.toString(16).padStart(64, '0');

export function node(did: string, changes: Partial<NodeRecord> = {}): NodeRecord {
  return {
    did,
    name: `Node ${did}`,
    url: 'https://node.example',
    languages: ['sw'],
    rotationKey: { id: 'ed25519:rotation', publicKeyMultibase: 'zRotation' },
    signingKey: { id: 'ed25519:signing', publicKeyMultibase: 'zSigning' },
    rotationSequence: 0,
    lastRotation: null,
    registration: sha(1),
    registrationIssued: T0,
    registeredAt: T0,
    lastHeardAt: T0,
    heartbeat: { sequence: 0, at: null, datasets: [] },
    stale: false,
    suspended: null,
    ...changes,
  };
}

export function manifest(n: number, changes: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    sha256: sha(100 + n),
    nodeDid: 'did:web:node.example',
    datasetId: 'sw-text',
    version: `${n}.0.0`,
    rev: n,
    envelope: sha(1),
    published: T0,
    expires: '2028-01-01T00:00:00.000Z',
    receivedAt: T0,
    logIndex: n,
    supersededBy: null,
    ...changes,
  };
}

export function dataset(changes: Partial<DatasetRecord> = {}): DatasetRecord {
  return {
    nodeDid: 'did:web:node.example',
    datasetId: 'sw-text',
    manifest: sha(101),
    version: '1.0.0',
    rev: 1,
    name: 'Kiswahili text',
    description: 'Sentences',
    languageTag: 'sw',
    iso639_3: 'swa',
    modality: 'text',
    license: 'CC-BY-4.0',
    licenseUrl: 'https://spdx.org/licenses/CC-BY-4.0.html',
    accessClass: 'open',
    permittedActions: ['train', 'evaluate'],
    purposes: ['train-asr', 'evaluate'],
    records: 12,
    hours: null,
    speakers: 4,
    published: T0,
    expires: '2028-01-01T00:00:00.000Z',
    accessChanged: null,
    retracted: null,
    updatedAt: T0,
    ...changes,
  };
}

/** Appends one feed entry and its log leaf, the way the feed service does. */
async function appendOne(tx: IndexTransaction, label: string): Promise<number> {
  const size = await tx.logSize();
  const leaf = JSON.stringify({ label });
  await tx.log.writeNodes(await appendLeaves(tx.log, size, [hashLeaf(Buffer.from(leaf))]));
  await tx.appendFeed(size, [{ type: 'test', nodeDid: 'did:web:node.example', datasetId: null, at: T0, leaf }]);
  return size;
}

export const envelopeRecord = (n: number) => ({ sha256: sha(n), payloadType: 'application/test', nodeDid: 'did:web:node.example', body: `{"n":${n}}`, receivedAt: T0 });

export function describeIndexStoreContract(name: string, open: () => Promise<IndexStoreFixture>): void {
  describe(`IndexStore contract: ${name}`, () => {
    let fixture: IndexStoreFixture;
    let store: IndexStore;
    const others: IndexStore[] = [];

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      for (const other of others.splice(0)) await other.close();
      await fixture.close();
    });

    it('starts empty', async () => {
      expect(await store.counts()).toEqual({ nodes: 0, signingKeys: 0, envelopes: 0, manifests: 0, datasets: 0, notices: 0, feed: 0, logNodes: 0 });
      expect(await store.logSize()).toBe(0);
      expect(await store.feed(0, 10)).toEqual([]);
      expect(await store.node('did:web:node.example')).toBeUndefined();
      expect(await store.envelope(sha(1))).toBeUndefined();
      expect(await store.releaseShards('did:web:node.example', 'sw-text', '1.0.0')).toBeUndefined();
    });

    it('keeps what a transaction wrote; inside, the transaction reads its own writes', async () => {
      const did = 'did:web:node.example';
      const notice: NoticeRecord = { nodeDid: did, id: 'a'.repeat(32), kind: 'withdrawal', datasetId: 'sw-text', envelope: sha(1), issued: '2027-01-01', receivedAt: T0, logIndex: 2 };
      await store.transaction(async (tx) => {
        await tx.putEnvelope(envelopeRecord(1));
        await tx.putEnvelope(envelopeRecord(1));
        await tx.putNode(node(did));
        await tx.addSigningKey(did, { id: 'ed25519:signing', publicKeyMultibase: 'zSigning', sequence: 0 });
        await tx.addSigningKey(did, { id: 'ed25519:signing', publicKeyMultibase: 'zSigning', sequence: 0 });
        await tx.addSigningKey(did, { id: 'ed25519:next', publicKeyMultibase: 'zNext', sequence: 1 });
        await tx.putManifest(manifest(1), [{ name: 'data/train-00000-of-00001.parquet', sha256: sha(7) }]);
        await tx.putDataset(dataset());
        await tx.putNotice(notice);
        expect(await tx.node(did)).toEqual(node(did));
        expect(await tx.envelope(sha(1))).toBe('{"n":1}');
        expect(await tx.dataset(did, 'sw-text')).toEqual(dataset());
      });
      expect(await store.node(did)).toEqual(node(did));
      expect(await store.signingKeys(did)).toEqual([
        { id: 'ed25519:signing', publicKeyMultibase: 'zSigning', sequence: 0 },
        { id: 'ed25519:next', publicKeyMultibase: 'zNext', sequence: 1 },
      ]);
      expect(await store.keyHolders('ed25519:next')).toEqual([did]);
      expect(await store.keyHolders('ed25519:unknown')).toEqual([]);
      expect(await store.envelope(sha(1))).toBe('{"n":1}');
      expect(await store.manifest(sha(101))).toEqual(manifest(1));
      expect(await store.dataset(did, 'sw-text')).toEqual(dataset());
      expect(await store.dataset(did, 'yo-text')).toBeUndefined();
      expect(await store.notice(did, 'a'.repeat(32))).toEqual(notice);
      expect(await store.releaseShards(did, 'sw-text', '1.0.0')).toEqual([{ name: 'data/train-00000-of-00001.parquet', sha256: sha(7) }]);
      expect(await store.counts()).toEqual({ nodes: 1, signingKeys: 2, envelopes: 1, manifests: 1, datasets: 1, notices: 1, feed: 0, logNodes: 0 });
    });

    it('replaces nodes and datasets, marks manifests superseded, and gathers a version’s shards over its manifests', async () => {
      const did = 'did:web:node.example';
      await store.transaction(async (tx) => {
        await tx.putEnvelope(envelopeRecord(1));
        await tx.putNode(node(did));
        await tx.putManifest(manifest(1), [{ name: 'a.parquet', sha256: sha(7) }]);
        // The same version signed again (a new rev, a later expiry) lists the same shards.
        await tx.putManifest(manifest(2, { version: '1.0.0', sha256: sha(202) }), [{ name: 'a.parquet', sha256: sha(7) }, { name: 'b.parquet', sha256: sha(8) }]);
        await tx.putDataset(dataset());
      });
      const suspended = node(did, { stale: true, suspended: { at: T0, reason: 'spam' }, heartbeat: { sequence: 3, at: T0, datasets: [{ id: 'sw-text', version: '1.0.0', manifestSha256: sha(101) }] } });
      const retracted = dataset({ retracted: { at: T0, notice: 'b'.repeat(32) }, accessClass: 'gated', accessChanged: T0, hours: 1.25 });
      await store.transaction(async (tx) => {
        await tx.putNode(suspended);
        await tx.supersedeManifest(sha(101), sha(202));
        await tx.putDataset(retracted);
      });
      expect(await store.node(did)).toEqual(suspended);
      expect(await store.dataset(did, 'sw-text')).toEqual(retracted);
      expect((await store.manifest(sha(101)))?.supersededBy).toBe(sha(202));
      expect(await store.releaseShards(did, 'sw-text', '1.0.0')).toEqual([
        { name: 'a.parquet', sha256: sha(7) },
        { name: 'b.parquet', sha256: sha(8) },
      ]);
      expect(await store.releaseShards(did, 'sw-text', '2.0.0')).toBeUndefined();
    });

    it('finds the nodes gone quiet: neither stale nor suspended, last heard before the time given', async () => {
      await store.transaction(async (tx) => {
        await tx.putEnvelope(envelopeRecord(1));
        await tx.putNode(node('did:web:a.example', { lastHeardAt: '2027-01-01T00:00:00.000Z' }));
        await tx.putNode(node('did:web:b.example', { lastHeardAt: '2027-01-01T01:00:00.000Z' }));
        await tx.putNode(node('did:web:c.example', { lastHeardAt: '2027-01-01T00:00:00.000Z', stale: true }));
        await tx.putNode(node('did:web:d.example', { lastHeardAt: '2027-01-01T00:00:00.000Z', suspended: { at: T0, reason: 'x' } }));
      });
      expect(await store.quietNodes('2027-01-01T00:30:00.000Z')).toEqual(['did:web:a.example']);
      expect(await store.quietNodes('2027-01-02T00:00:00.000Z')).toEqual(['did:web:a.example', 'did:web:b.example']);
    });

    it('keeps nothing of a transaction that fails, and passes its error on', async () => {
      const failure = new Error('refused half way');
      await expect(
        store.transaction(async (tx) => {
          await tx.putEnvelope(envelopeRecord(1));
          await tx.putNode(node('did:web:node.example'));
          await appendOne(tx, 'lost');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await store.counts()).toEqual({ nodes: 0, signingKeys: 0, envelopes: 0, manifests: 0, datasets: 0, notices: 0, feed: 0, logNodes: 0 });
      // The store is usable afterwards.
      await store.transaction((tx) => appendOne(tx, 'kept'));
      expect(await store.logSize()).toBe(1);
    });

    it('shows reads outside a transaction only what has committed', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const running = store.transaction(async (tx) => {
        await tx.putEnvelope(envelopeRecord(1));
        await tx.putNode(node('did:web:node.example'));
        await appendOne(tx, 'pending');
        written();
        await held;
      });
      await wrote;
      expect(await store.node('did:web:node.example')).toBeUndefined();
      expect(await store.logSize()).toBe(0);
      release();
      await running;
      expect(await store.node('did:web:node.example')).toBeDefined();
      expect(await store.logSize()).toBe(1);
    });

    it('runs concurrent transactions one after another: each append reads the size the last one left', async () => {
      const indices = await Promise.all(Array.from({ length: 25 }, (_, i) => store.transaction((tx) => appendOne(tx, `entry ${i}`))));
      expect([...indices].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      const entries = await store.feed(0, 100);
      expect(entries.map((e) => e.index)).toEqual(indices.slice().sort((a, b) => a - b));
      const leaves = entries.map((e) => hashLeaf(Buffer.from(e.leaf)));
      expect(hex(await rootHash(store.log, 25))).toBe(hex(naiveRoot(leaves)));
      expect((await store.feed(20, 3)).map((e) => e.index)).toEqual([20, 21, 22]);
    });

    it('serialises appends in the database: two stores on one database (two processes) never append at the same size', async () => {
      const second = await fixture.connect();
      others.push(second);
      const stores = [store, second];
      const appended = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          stores[i % 2]!.transaction(async (tx) => {
            const at = await appendOne(tx, `from store ${i % 2}, #${i}`);
            // Hold the lock across a turn of the event loop, so the other store has to wait for it.
            await new Promise((resolve) => setImmediate(resolve));
            return at;
          }),
        ),
      );
      expect([...appended].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      for (const reader of stores) {
        expect(await reader.logSize()).toBe(30);
        const leaves = (await reader.feed(0, 100)).map((e) => hashLeaf(Buffer.from(e.leaf)));
        expect(hex(await rootHash(reader.log, 30))).toBe(hex(naiveRoot(leaves)));
      }
    });

    describe('search', () => {
      const AT = '2027-06-01T00:00:00.000Z';
      const query = (changes: Partial<DatasetQuery> = {}): DatasetQuery => ({
        languages: [],
        modality: null,
        licenses: [],
        access: [],
        actions: [],
        purposes: [],
        minHours: null,
        minRecords: null,
        node: null,
        words: [],
        at: AT,
        after: null,
        limit: 100,
        ...changes,
      });
      const ids = async (changes: Partial<DatasetQuery> = {}) => (await store.searchDatasets(query(changes))).datasets.map((d) => d.datasetId);

      // Six datasets on three nodes, one suspended; one retracted, one expired.
      beforeEach(async () => {
        const a = 'did:web:a.example';
        const b = 'did:web:b.example';
        const c = 'did:web:c.example';
        const rows: DatasetRecord[] = [
          dataset({ nodeDid: a, datasetId: 'sw-ke-speech', languageTag: 'sw-KE', modality: 'speech', hours: 3.5, records: 100, speakers: 10, name: 'Kiswahili cha Kenya', description: 'Sauti za wajitolea', published: '2027-01-05T00:00:00.000Z' }),
          dataset({ nodeDid: a, datasetId: 'sw-text', languageTag: 'sw', records: 50, speakers: 5, published: '2027-01-04T00:00:00.000Z', permittedActions: ['evaluate'], purposes: ['evaluate'] }),
          dataset({ nodeDid: b, datasetId: 'pa-text', languageTag: 'pa-Arab', iso639_3: 'pan', license: 'CC-BY-NC-4.0', accessClass: 'gated', records: 30, speakers: 3, name: 'Shahmukhi sentences', description: 'Punjabi in Arabic script', published: '2027-01-03T00:00:00.000Z', permittedActions: ['train', 'evaluate', 'redistribute'], purposes: ['train-lm'] }),
          dataset({ nodeDid: b, datasetId: 'yo-text', languageTag: 'yo', retracted: { at: T0, notice: 'c'.repeat(32) }, published: '2027-01-02T00:00:00.000Z' }),
          dataset({ nodeDid: b, datasetId: 'en-text', languageTag: 'en', expires: '2027-05-01T00:00:00.000Z', published: '2027-01-01T00:00:00.000Z' }),
          dataset({ nodeDid: c, datasetId: 'sw-hidden', languageTag: 'sw', published: '2027-01-06T00:00:00.000Z' }),
        ];
        await store.transaction(async (tx) => {
          await tx.putEnvelope(envelopeRecord(1));
          await tx.putNode(node(a, { stale: true }));
          await tx.putNode(node(b));
          await tx.putNode(node(c, { suspended: { at: T0, reason: 'spam' } }));
          for (const [i, row] of rows.entries()) {
            await tx.putManifest(manifest(i + 1, { nodeDid: row.nodeDid, datasetId: row.datasetId, logIndex: 40 + i }), []);
            await tx.putDataset({ ...row, manifest: sha(101 + i) });
          }
        });
      });

      it('finds current datasets only, newest first, with their node and the whole match’s totals', async () => {
        const result = await store.searchDatasets(query());
        expect(result.datasets.map((d) => d.datasetId)).toEqual(['sw-ke-speech', 'sw-text', 'pa-text']);
        expect(result.datasets[0]).toMatchObject({ manifest: sha(101), logIndex: 40, envelope: sha(1), node: { name: 'Node did:web:a.example', stale: true, lastHeardAt: T0 } });
        expect(result.totals).toEqual({ datasets: 3, records: 180, hours: 3.5, speakers: 18, nodes: 2 });
        // An instant before the expiry brings the expired dataset back.
        expect(await ids({ at: '2027-04-01T00:00:00.000Z' })).toContain('en-text');
      });

      it('matches language ranges (RFC 4647 basic filtering, any case)', async () => {
        expect(await ids({ languages: ['sw'] })).toEqual(['sw-ke-speech', 'sw-text']);
        expect(await ids({ languages: ['sw-ke'] })).toEqual(['sw-ke-speech']);
        expect(await ids({ languages: ['pa'] })).toEqual(['pa-text']);
        expect(await ids({ languages: ['pa-arab', 'sw-ke'] })).toEqual(['sw-ke-speech', 'pa-text']);
        expect(await ids({ languages: ['s'] })).toEqual([]);
      });

      it('filters on modality, licence, access, actions, purposes, sizes, node and words', async () => {
        expect(await ids({ modality: 'speech' })).toEqual(['sw-ke-speech']);
        expect(await ids({ licenses: ['cc-by-nc-4.0'] })).toEqual(['pa-text']);
        expect(await ids({ access: ['gated', 'on-request'] })).toEqual(['pa-text']);
        expect(await ids({ actions: ['train'] })).toEqual(['sw-ke-speech', 'pa-text']);
        expect(await ids({ actions: ['train', 'redistribute'] })).toEqual(['pa-text']);
        expect(await ids({ actions: ['train'], purposes: ['train-asr'] })).toEqual(['sw-ke-speech']);
        expect(await ids({ minHours: 1 })).toEqual(['sw-ke-speech']);
        expect(await ids({ minRecords: 40 })).toEqual(['sw-ke-speech', 'sw-text']);
        expect(await ids({ node: 'did:web:b.example' })).toEqual(['pa-text']);
        expect(await ids({ words: ['punjabi'] })).toEqual(['pa-text']);
        expect(await ids({ words: ['shah', 'arab'] })).toEqual(['pa-text']);
        expect(await ids({ words: ['kiswahili', 'punjabi'] })).toEqual([]);
      });

      it('pages after a position; totals stay those of the whole match', async () => {
        const first = await store.searchDatasets(query({ limit: 2 }));
        expect(first.datasets.map((d) => d.datasetId)).toEqual(['sw-ke-speech', 'sw-text']);
        const last = first.datasets[1]!;
        const second = await store.searchDatasets(query({ limit: 2, after: { published: last.published, manifest: last.manifest } }));
        expect(second.datasets.map((d) => d.datasetId)).toEqual(['pa-text']);
        expect(second.totals).toEqual(first.totals);
      });

      it('follows a dataset’s row: a new manifest, a name change, a retraction', async () => {
        await store.transaction(async (tx) => {
          const current = (await tx.dataset('did:web:b.example', 'pa-text'))!;
          await tx.putManifest(manifest(9, { nodeDid: current.nodeDid, datasetId: current.datasetId, logIndex: 90 }), []);
          await tx.supersedeManifest(current.manifest, sha(109));
          await tx.putDataset({ ...current, manifest: sha(109), rev: 9, name: 'Gurmukhi sentences', description: 'Punjabi', published: '2027-02-01T00:00:00.000Z' });
        });
        expect(await ids({ words: ['shahmukhi'] })).toEqual([]);
        const found = await store.searchDatasets(query({ words: ['gurmukhi'] }));
        expect(found.datasets.map((d) => [d.datasetId, d.manifest, d.logIndex])).toEqual([['pa-text', sha(109), 90]]);
        await store.transaction(async (tx) => {
          const current = (await tx.dataset('did:web:b.example', 'pa-text'))!;
          await tx.putDataset({ ...current, retracted: { at: T0, notice: 'd'.repeat(32) } });
        });
        expect(await ids({ words: ['gurmukhi'] })).toEqual([]);
      });

      it('takes every change made between two searches, however many (more than a store reads at once)', async () => {
        expect((await store.searchDatasets(query())).totals.datasets).toBe(3);
        const node = 'did:web:b.example';
        await store.transaction(async (tx) => {
          for (let i = 0; i < 2_500; i++) {
            await tx.putManifest(manifest(1_000 + i, { nodeDid: node, datasetId: `bulk-${i}`, logIndex: 1_000 + i }), []);
            await tx.putDataset(dataset({ nodeDid: node, datasetId: `bulk-${i}`, manifest: sha(1_100 + i), name: `Bulk ${i}`, published: '2027-01-07T00:00:00.000Z' }));
          }
        });
        const after = await store.searchDatasets(query({ words: ['bulk'], limit: 1 }));
        expect(after.totals.datasets).toBe(2_500);
        expect((await store.searchDatasets(query())).totals.datasets).toBe(2_503);
      });

      it('sees what another store on the same database (another process) commits, and nothing it has not', async () => {
        expect(await ids()).toEqual(['sw-ke-speech', 'sw-text', 'pa-text']);
        const other = await fixture.connect();
        others.push(other);
        // A new dataset, a renamed one, a retraction and a suspension, each written by the other store.
        await other.transaction(async (tx) => {
          await tx.putManifest(manifest(20, { nodeDid: 'did:web:b.example', datasetId: 'ha-text', logIndex: 60 }), []);
          await tx.putDataset(dataset({ nodeDid: 'did:web:b.example', datasetId: 'ha-text', manifest: sha(120), languageTag: 'ha', name: 'Hausa proverbs', published: '2027-01-07T00:00:00.000Z' }));
        });
        expect(await ids()).toEqual(['ha-text', 'sw-ke-speech', 'sw-text', 'pa-text']);
        expect(await ids({ words: ['proverbs'] })).toEqual(['ha-text']);
        await other.transaction(async (tx) => {
          const current = (await tx.dataset('did:web:a.example', 'sw-text'))!;
          await tx.putDataset({ ...current, name: 'Mithali za Kiswahili', retracted: null });
        });
        expect(await ids({ words: ['mithali'] })).toEqual(['sw-text']);
        await other.transaction(async (tx) => {
          const current = (await tx.dataset('did:web:b.example', 'pa-text'))!;
          await tx.putDataset({ ...current, retracted: { at: T0, notice: 'e'.repeat(32) } });
        });
        expect(await ids()).toEqual(['ha-text', 'sw-ke-speech', 'sw-text']);
        await other.transaction(async (tx) => tx.putNode(node('did:web:a.example', { suspended: { at: T0, reason: 'spam' } })));
        const afterSuspension = await store.searchDatasets(query());
        expect(afterSuspension.datasets.map((d) => d.datasetId)).toEqual(['ha-text']);
        expect(afterSuspension.totals).toMatchObject({ datasets: 1, nodes: 1 });

        // Written but not committed, then rolled back: never seen.
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let written!: () => void;
        const wrote = new Promise<void>((resolve) => (written = resolve));
        const failing = other.transaction(async (tx) => {
          await tx.putNode(node('did:web:a.example'));
          await tx.putManifest(manifest(21, { nodeDid: 'did:web:b.example', datasetId: 'ig-text', logIndex: 61 }), []);
          await tx.putDataset(dataset({ nodeDid: 'did:web:b.example', datasetId: 'ig-text', manifest: sha(121), published: '2027-01-08T00:00:00.000Z' }));
          written();
          await held;
          throw new Error('refused');
        });
        await wrote;
        expect(await ids()).toEqual(['ha-text']);
        release();
        await expect(failing).rejects.toThrow('refused');
        expect(await ids()).toEqual(['ha-text']);
        // The first store's own writes after the other's show too.
        await store.transaction((tx) => tx.putNode(node('did:web:a.example')));
        expect(await ids()).toEqual(['ha-text', 'sw-ke-speech', 'sw-text']);
      });

      it('reads expiry as a time, at the instant asked, with no write in between', async () => {
        // 02:00 at +03:00 is 23:00 UTC the day before: expired at AT, though its text sorts after AT's.
        await store.transaction(async (tx) => {
          await tx.putManifest(manifest(22, { nodeDid: 'did:web:b.example', datasetId: 'so-text', logIndex: 62 }), []);
          await tx.putDataset(dataset({ nodeDid: 'did:web:b.example', datasetId: 'so-text', manifest: sha(122), expires: '2027-06-01T02:00:00+03:00', published: '2027-01-09T00:00:00.000Z' }));
        });
        expect(await ids()).toEqual(['sw-ke-speech', 'sw-text', 'pa-text']);
        expect(await ids({ at: '2027-05-31T22:59:59.999Z' })).toEqual(['so-text', 'sw-ke-speech', 'sw-text', 'pa-text']);
        // The same state a year on: everything has expired.
        expect(await store.searchDatasets(query({ at: '2028-06-01T00:00:00.000Z' }))).toEqual({ datasets: [], totals: { datasets: 0, records: 0, hours: 0, speakers: 0, nodes: 0 } });
      });

      it('keeps a cursor valid while datasets change: a dataset republished meanwhile moves to the front', async () => {
        const first = await store.searchDatasets(query({ limit: 1 }));
        expect(first.datasets.map((d) => d.datasetId)).toEqual(['sw-ke-speech']);
        await store.transaction(async (tx) => {
          const current = (await tx.dataset('did:web:b.example', 'pa-text'))!;
          await tx.putManifest(manifest(23, { nodeDid: current.nodeDid, datasetId: current.datasetId, logIndex: 63 }), []);
          await tx.putDataset({ ...current, manifest: sha(123), rev: 23, published: '2027-03-01T00:00:00.000Z' });
        });
        const last = first.datasets[0]!;
        const rest = await store.searchDatasets(query({ after: { published: last.published, manifest: last.manifest } }));
        expect(rest.datasets.map((d) => d.datasetId)).toEqual(['sw-text']);
        expect(rest.totals.datasets).toBe(3);
        expect(await ids()).toEqual(['pa-text', 'sw-ke-speech', 'sw-text']);
        // Two datasets published at the same instant are ordered by manifest id, across pages too.
        await store.transaction(async (tx) => {
          for (const [n, id] of [[25, 'tie-b'], [24, 'tie-a']] as const) {
            await tx.putManifest(manifest(n, { nodeDid: 'did:web:b.example', datasetId: id, logIndex: 40 + n }), []);
            await tx.putDataset(dataset({ nodeDid: 'did:web:b.example', datasetId: id, manifest: sha(100 + n), published: '2027-04-01T00:00:00.000Z' }));
          }
        });
        const tie = await store.searchDatasets(query({ limit: 1 }));
        expect(tie.datasets.map((d) => d.datasetId)).toEqual(['tie-a']);
        const next = await store.searchDatasets(query({ limit: 1, after: { published: tie.datasets[0]!.published, manifest: tie.datasets[0]!.manifest } }));
        expect(next.datasets.map((d) => d.datasetId)).toEqual(['tie-b']);
      });

      it('lists the nodes to harvest and keeps a harvest cursor per node', async () => {
        expect(await store.activeNodes()).toEqual(['did:web:a.example', 'did:web:b.example']);
        expect(await store.harvestCursor('did:web:a.example')).toBe(0);
        await store.transaction((tx) => tx.putHarvestCursor('did:web:a.example', 7, T0));
        await store.transaction((tx) => tx.putHarvestCursor('did:web:a.example', 9, T0));
        expect(await store.harvestCursor('did:web:a.example')).toBe(9);
        expect(await store.harvestCursor('did:web:b.example')).toBe(0);
      });
    });

    it('keeps everything across a reopen', async () => {
      await store.transaction(async (tx) => {
        await tx.putEnvelope(envelopeRecord(1));
        await tx.putNode(node('did:web:node.example'));
        await appendOne(tx, 'one');
        await appendOne(tx, 'two');
      });
      const root = hex(await rootHash(store.log, 2));
      await store.close();
      const reopened = await fixture.connect();
      others.push(reopened);
      expect(await reopened.node('did:web:node.example')).toEqual(node('did:web:node.example'));
      expect(await reopened.logSize()).toBe(2);
      expect(hex(await rootHash(reopened.log, 2))).toBe(root);
    });
  });
}
