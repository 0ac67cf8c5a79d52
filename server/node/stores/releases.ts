import type { Db } from '../../core/db.js';
import { ReleaseBuildConflictError } from '../errors.js';

export type AccessClass = 'open' | 'gated' | 'on-request';

export interface Dataset {
  id: string;
  language: string;
  modality: 'text' | 'speech';
  accessClass: AccessClass;
  createdAt: string;
}

export interface Release {
  id: string;
  datasetId: string;
  version: string;
  rev: number;
  status: 'current' | 'superseded';
  /** `<dataset>/<version>`: the prefix of its files (`<dir>/<name>`) in the node's release store. */
  dir: string;
  license: string;
  purposes: string[];
  format: 'parquet' | 'webdataset';
  seed: number;
  speakerSalt: string;
  manifestSha256: string;
  envelope: string;
  records: number;
  createdAt: string;
  supersededAt: string | null;
}

export interface ShardRow {
  releaseId: string;
  name: string;
  split: string;
  sha256: string;
  bytes: number;
  records: number;
}

const RELEASE_COLUMNS = `id, dataset_id AS datasetId, version, rev, status, dir, license, purposes, format, seed,
  speaker_salt AS speakerSalt, manifest_sha256 AS manifestSha256, envelope, records, created_at AS createdAt,
  superseded_at AS supersededAt`;

type ReleaseRow = Omit<Release, 'purposes'> & { purposes: string };
const toRelease = (row: ReleaseRow): Release => ({ ...row, purposes: JSON.parse(row.purposes) as string[] });

/** Datasets, their releases, shards and the records in each shard. */
export class ReleaseStore {
  private readonly upsertDatasetStmt;
  private readonly datasetStmt;
  private readonly datasetsStmt;
  private readonly currentStmt;
  private readonly byVersionStmt;
  private readonly insertReleaseStmt;
  private readonly supersedeStmt;
  private readonly insertShardStmt;
  private readonly insertRecordStmt;
  private readonly shardStmt;
  private readonly containingStmt;
  private readonly withdrawnInStmt;
  private readonly supersededDirsStmt;

  constructor(private readonly db: Db) {
    this.upsertDatasetStmt = db.prepare(
      `INSERT INTO datasets (id, language, modality, access_class, created_at) VALUES (@id, @language, @modality, @accessClass, @createdAt)
       ON CONFLICT (id) DO UPDATE SET access_class = excluded.access_class`,
    );
    this.datasetStmt = db.prepare<[string], Dataset>(
      'SELECT id, language, modality, access_class AS accessClass, created_at AS createdAt FROM datasets WHERE id = ?',
    );
    this.datasetsStmt = db.prepare<[], Dataset>(
      'SELECT id, language, modality, access_class AS accessClass, created_at AS createdAt FROM datasets ORDER BY id',
    );
    this.currentStmt = db.prepare<[string], ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM releases WHERE dataset_id = ? AND status = 'current'`,
    );
    this.byVersionStmt = db.prepare<[string, string], ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM releases WHERE dataset_id = ? AND version = ?`,
    );
    this.insertReleaseStmt = db.prepare(
      `INSERT INTO releases (id, dataset_id, version, rev, status, dir, license, purposes, format, seed, speaker_salt,
         manifest_sha256, envelope, records, created_at)
       VALUES (@id, @datasetId, @version, @rev, 'current', @dir, @license, @purposes, @format, @seed, @speakerSalt,
         @manifestSha256, @envelope, @records, @createdAt)`,
    );
    this.supersedeStmt = db.prepare(
      "UPDATE releases SET status = 'superseded', superseded_at = ? WHERE dataset_id = ? AND status = 'current'",
    );
    this.insertShardStmt = db.prepare(
      `INSERT INTO shards (release_id, name, split, sha256, bytes, records)
       VALUES (@releaseId, @name, @split, @sha256, @bytes, @records)`,
    );
    this.insertRecordStmt = db.prepare('INSERT INTO release_records (release_id, sample_id, shard) VALUES (?, ?, ?)');
    this.shardStmt = db.prepare<[string, string], ShardRow>(
      'SELECT release_id AS releaseId, name, split, sha256, bytes, records FROM shards WHERE release_id = ? AND name = ?',
    );
    this.withdrawnInStmt = db
      .prepare<[string], string>(
        `SELECT rr.sample_id FROM release_records rr JOIN samples s ON s.id = rr.sample_id
         WHERE rr.release_id = ? AND s.status = 'withdrawn' ORDER BY rr.sample_id`,
      )
      .pluck();
    this.containingStmt = db.prepare<[string], { datasetId: string; releaseId: string; version: string; shard: string; sha256: string }>(
      `SELECT r.dataset_id AS datasetId, r.id AS releaseId, r.version, rr.shard, sh.sha256
       FROM release_records rr
       JOIN releases r ON r.id = rr.release_id AND r.status = 'current'
       JOIN shards sh ON sh.release_id = rr.release_id AND sh.name = rr.shard
       WHERE rr.sample_id = ?`,
    );
    this.supersededDirsStmt = db.prepare<[string], { dir: string }>(
      "SELECT dir FROM releases WHERE dataset_id = ? AND status = 'superseded'",
    );
  }

  saveDataset(dataset: Dataset): void {
    this.upsertDatasetStmt.run(dataset);
  }

  dataset(id: string): Dataset | undefined {
    return this.datasetStmt.get(id);
  }

  datasets(): Dataset[] {
    return this.datasetsStmt.all();
  }

  current(datasetId: string): Release | undefined {
    const row = this.currentStmt.get(datasetId);
    return row && toRelease(row);
  }

  byVersion(datasetId: string, version: string): Release | undefined {
    const row = this.byVersionStmt.get(datasetId, version);
    return row && toRelease(row);
  }

  /**
   * The new release becomes current and its predecessor superseded, in one transaction. Returns
   * the records withdrawn while the release was being built: they are in its shards, so they
   * need a withdrawal notice like any record withdrawn after publication. Refuses
   * (ReleaseBuildConflict) when the current release is no longer `basedOn`, the one the build
   * compared itself with: another build published in between.
   */
  publish(
    release: Omit<Release, 'status' | 'supersededAt'>,
    shards: ShardRow[],
    records: Iterable<[string, string]>,
    basedOn: string | null,
  ): string[] {
    return this.db.transaction(() => {
      if ((this.currentStmt.get(release.datasetId)?.id ?? null) !== basedOn) throw new ReleaseBuildConflictError();
      this.supersedeStmt.run(release.createdAt, release.datasetId);
      this.insertReleaseStmt.run({ ...release, purposes: JSON.stringify(release.purposes) });
      for (const shard of shards) this.insertShardStmt.run(shard);
      for (const [sampleId, shard] of records) this.insertRecordStmt.run(release.id, sampleId, shard);
      return this.withdrawnInStmt.all(release.id);
    }).immediate();
  }

  shard(releaseId: string, name: string): ShardRow | undefined {
    return this.shardStmt.get(releaseId, name);
  }

  /** Where a sample was published in current releases: dataset, shard and the shard's hash. */
  publishedIn(sampleId: string) {
    return this.containingStmt.all(sampleId);
  }

  supersededDirs(datasetId: string): string[] {
    return this.supersededDirsStmt.all(datasetId).map((r) => r.dir);
  }
}
