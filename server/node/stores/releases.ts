import type { Db } from '../../core/db.js';
import { ReleaseBuildConflictError, UnretractRequiredError } from '../errors.js';

export type AccessClass = 'open' | 'gated' | 'on-request';

export interface Dataset {
  id: string;
  language: string;
  modality: 'text' | 'speech';
  accessClass: AccessClass;
  createdAt: string;
  /** When the community retracted it (served nowhere since), else null. */
  retractedAt: string | null;
  retractionReason: string | null;
}

/** Why a record left a published release. */
export type RemovalReason = 'consent-withdrawn' | 'moderation';

/** A record of a current release that left it, and the shard that holds it. */
export interface Removal {
  releaseId: string;
  sampleId: string;
  shard: string;
  reason: RemovalReason;
  removedAt: string;
  /** The signed withdrawal notice that named it; null until one is issued. */
  noticeId: string | null;
}

/** A removal not yet named in a notice, with what the notice says about its release and shard. */
export interface UnannouncedRemoval extends Removal {
  datasetId: string;
  version: string;
  sha256: string;
}

/** A dataset whose current release holds removed records: it is due to be rebuilt without them. */
export interface PendingRedaction {
  datasetId: string;
  releaseId: string;
  records: number;
  /** When its first record was removed: the delay before the rebuild runs from here. */
  since: string;
}

/** A demographic cell whose value a release's shards show: [field, value]. */
export type ShownCell = [field: string, value: string];

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
  /** The demographic cells its shards show values of; null for releases made before this was kept. */
  shownCells: ShownCell[] | null;
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
  superseded_at AS supersededAt, shown_cells AS shownCells`;
const DATASET_COLUMNS = `id, language, modality, access_class AS accessClass, created_at AS createdAt,
  retracted_at AS retractedAt, retraction_reason AS retractionReason`;
const SHARD_COLUMNS = 'release_id AS releaseId, name, split, sha256, bytes, records';
const REMOVAL_COLUMNS = `rm.release_id AS releaseId, rm.sample_id AS sampleId, rm.shard, rm.reason, rm.removed_at AS removedAt,
  rm.notice_id AS noticeId`;

type ReleaseRow = Omit<Release, 'purposes' | 'shownCells'> & { purposes: string; shownCells: string | null };
const toRelease = (row: ReleaseRow): Release => ({
  ...row,
  purposes: JSON.parse(row.purposes) as string[],
  shownCells: row.shownCells === null ? null : (JSON.parse(row.shownCells) as ShownCell[]),
});

/**
 * Datasets, their releases, shards and the records in each shard, and the records that left a
 * current release. Removals are written by the database itself (trigger `samples_leave_releases`,
 * migration 008) in the transaction that withdraws or rejects a released sample, so no path that
 * takes a sample away can forget them; `publish` adds those of a release built while its records
 * were being withdrawn.
 */
export class ReleaseStore {
  private readonly insertDatasetStmt;
  private readonly claimStmt;
  private readonly putClaimStmt;
  private readonly dropClaimStmt;
  private readonly claimsStmt;
  private readonly datasetStmt;
  private readonly datasetsStmt;
  private readonly currentStmt;
  private readonly byVersionStmt;
  private readonly insertReleaseStmt;
  private readonly supersedeStmt;
  private readonly insertShardStmt;
  private readonly insertRecordStmt;
  private readonly shardStmt;
  private readonly removeInStmt;
  private readonly supersededDirsStmt;
  private readonly latestStmt;
  private readonly shardsStmt;
  private readonly removalsStmt;
  private readonly removedShardStmt;
  private readonly pendingStmt;
  private readonly unannouncedStmt;
  private readonly announceStmt;
  private readonly retractStmt;
  private readonly unretractStmt;
  private readonly accessStmt;

  constructor(private readonly db: Db) {
    this.insertDatasetStmt = db.prepare(
      `INSERT INTO datasets (id, language, modality, access_class, created_at) VALUES (@id, @language, @modality, @accessClass, @createdAt)`,
    );
    this.claimStmt = db.prepare<[string, string], { owner: string }>('SELECT owner FROM release_claims WHERE dataset_id = ? AND version = ?');
    this.putClaimStmt = db.prepare<[string, string, string, string]>(
      `INSERT INTO release_claims (dataset_id, version, owner, claimed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (dataset_id, version) DO UPDATE SET owner = excluded.owner, claimed_at = excluded.claimed_at`,
    );
    this.dropClaimStmt = db.prepare<[string, string, string]>('DELETE FROM release_claims WHERE dataset_id = ? AND version = ? AND owner = ?');
    this.claimsStmt = db.prepare<[string], { owner: string }>('SELECT owner FROM release_claims WHERE dataset_id = ?');
    this.datasetStmt = db.prepare<[string], Dataset>(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE id = ?`);
    this.datasetsStmt = db.prepare<[], Dataset>(`SELECT ${DATASET_COLUMNS} FROM datasets ORDER BY id`);
    this.currentStmt = db.prepare<[string], ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM releases WHERE dataset_id = ? AND status = 'current'`,
    );
    this.byVersionStmt = db.prepare<[string, string], ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM releases WHERE dataset_id = ? AND version = ?`,
    );
    this.insertReleaseStmt = db.prepare(
      `INSERT INTO releases (id, dataset_id, version, rev, status, dir, license, purposes, format, seed, speaker_salt,
         manifest_sha256, envelope, records, created_at, shown_cells)
       VALUES (@id, @datasetId, @version, @rev, 'current', @dir, @license, @purposes, @format, @seed, @speakerSalt,
         @manifestSha256, @envelope, @records, @createdAt, @shownCells)`,
    );
    this.supersedeStmt = db.prepare(
      "UPDATE releases SET status = 'superseded', superseded_at = ? WHERE dataset_id = ? AND status = 'current'",
    );
    this.insertShardStmt = db.prepare(
      `INSERT INTO shards (release_id, name, split, sha256, bytes, records)
       VALUES (@releaseId, @name, @split, @sha256, @bytes, @records)`,
    );
    this.insertRecordStmt = db.prepare('INSERT INTO release_records (release_id, sample_id, shard) VALUES (?, ?, ?)');
    this.shardStmt = db.prepare<[string, string], ShardRow>(`SELECT ${SHARD_COLUMNS} FROM shards WHERE release_id = ? AND name = ?`);
    this.removeInStmt = db.prepare<[string, string]>(
      `INSERT OR IGNORE INTO release_removals (release_id, sample_id, shard, reason, removed_at)
       SELECT rr.release_id, rr.sample_id, rr.shard, CASE s.status WHEN 'withdrawn' THEN 'consent-withdrawn' ELSE 'moderation' END, ?
       FROM release_records rr JOIN samples s ON s.id = rr.sample_id
       WHERE rr.release_id = ? AND s.status IN ('withdrawn', 'rejected')`,
    );
    this.supersededDirsStmt = db.prepare<[string], { dir: string }>(
      "SELECT dir FROM releases WHERE dataset_id = ? AND status = 'superseded'",
    );
    this.latestStmt = db.prepare<[string], ReleaseRow>(`SELECT ${RELEASE_COLUMNS} FROM releases WHERE dataset_id = ? ORDER BY rev DESC LIMIT 1`);
    this.shardsStmt = db.prepare<[string], ShardRow>(`SELECT ${SHARD_COLUMNS} FROM shards WHERE release_id = ? ORDER BY name`);
    this.removalsStmt = db.prepare<[string], Removal>(
      `SELECT ${REMOVAL_COLUMNS} FROM release_removals rm WHERE rm.release_id = ? ORDER BY rm.sample_id`,
    );
    this.removedShardStmt = db
      .prepare<[string, string], string | null>(
        'SELECT DISTINCT notice_id FROM release_removals WHERE release_id = ? AND shard = ? ORDER BY notice_id',
      )
      .pluck();
    this.pendingStmt = db.prepare<[], PendingRedaction>(
      `SELECT r.dataset_id AS datasetId, r.id AS releaseId, count(*) AS records, min(rm.removed_at) AS since
       FROM release_removals rm
       JOIN releases r ON r.id = rm.release_id AND r.status = 'current'
       JOIN datasets d ON d.id = r.dataset_id AND d.retracted_at IS NULL
       GROUP BY r.id ORDER BY since`,
    );
    this.unannouncedStmt = db.prepare<[], UnannouncedRemoval>(
      `SELECT ${REMOVAL_COLUMNS}, r.dataset_id AS datasetId, r.version, sh.sha256
       FROM release_removals rm
       JOIN releases r ON r.id = rm.release_id
       JOIN datasets d ON d.id = r.dataset_id AND d.retracted_at IS NULL
       JOIN shards sh ON sh.release_id = rm.release_id AND sh.name = rm.shard
       WHERE rm.notice_id IS NULL ORDER BY r.dataset_id, rm.reason, rm.sample_id`,
    );
    this.announceStmt = db.prepare<[string, string, string]>(
      'UPDATE release_removals SET notice_id = ? WHERE release_id = ? AND sample_id = ? AND notice_id IS NULL',
    );
    this.retractStmt = db.prepare<[string, string, string]>(
      'UPDATE datasets SET retracted_at = ?, retraction_reason = ? WHERE id = ? AND retracted_at IS NULL',
    );
    this.unretractStmt = db.prepare<[string]>('UPDATE datasets SET retracted_at = NULL, retraction_reason = NULL WHERE id = ?');
    this.accessStmt = db.prepare<[string, string]>('UPDATE datasets SET access_class = ? WHERE id = ?');
  }

  /**
   * Claims the writing of a dataset's version for one attempt (`owner`, `<pid>-<random>`), before
   * any of its files are written: refused (ReleaseBuildConflict) when the version is published,
   * the current release is no longer `basedOn`, or another attempt whose process runs holds it.
   */
  claim(datasetId: string, version: string, basedOn: string | null, owner: string, alive: (owner: string) => boolean): void {
    this.db.transaction(() => {
      if (this.byVersionStmt.get(datasetId, version) || (this.currentStmt.get(datasetId)?.id ?? null) !== basedOn) {
        throw new ReleaseBuildConflictError();
      }
      const held = this.claimStmt.get(datasetId, version);
      if (held && held.owner !== owner && alive(held.owner)) throw new ReleaseBuildConflictError();
      this.putClaimStmt.run(datasetId, version, owner, new Date().toISOString());
    }).immediate();
  }

  /** Gives up a claim (the attempt failed); a claim taken over by another attempt stays theirs. */
  releaseClaim(datasetId: string, version: string, owner: string): void {
    this.dropClaimStmt.run(datasetId, version, owner);
  }

  /** Whether an attempt that still runs is writing a version of the dataset. */
  beingWritten(datasetId: string, alive: (owner: string) => boolean): boolean {
    return this.claimsStmt.all(datasetId).some((claim) => alive(claim.owner));
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

  /** The dataset's newest release, current or not (a retracted dataset has no current one). */
  latest(datasetId: string): Release | undefined {
    const row = this.latestStmt.get(datasetId);
    return row && toRelease(row);
  }

  /**
   * The new release becomes current and its predecessor superseded, in one transaction. Refuses
   * (ReleaseBuildConflict) when the current release is no longer `basedOn`, the one the build
   * compared itself with (another build published in between), or this attempt no longer holds
   * the version's claim. Records withdrawn or rejected while the release was being built are in
   * its shards: they are removals of the new release from the start (their shards answer 410,
   * a notice and a redaction follow, like any removal). A retracted dataset is published again only
   * with `unretract`, which lifts the retraction in the same transaction.
   */
  publish(
    release: Omit<Release, 'status' | 'supersededAt'>,
    shards: ShardRow[],
    records: Iterable<[string, string]>,
    basedOn: string | null,
    options: { dataset: Omit<Dataset, 'retractedAt' | 'retractionReason'>; owner: string; unretract?: boolean },
  ): void {
    return this.db.transaction(() => {
      if ((this.currentStmt.get(release.datasetId)?.id ?? null) !== basedOn) throw new ReleaseBuildConflictError();
      if (this.claimStmt.get(release.datasetId, release.version)?.owner !== options.owner) throw new ReleaseBuildConflictError();
      this.dropClaimStmt.run(release.datasetId, release.version, options.owner);
      const dataset = this.datasetStmt.get(release.datasetId);
      if (!dataset) this.insertDatasetStmt.run(options.dataset);
      else if (dataset.retractedAt) {
        if (!options.unretract) throw new UnretractRequiredError();
        this.unretractStmt.run(release.datasetId);
        this.accessStmt.run(options.dataset.accessClass, release.datasetId);
      } else if (dataset.accessClass !== options.dataset.accessClass) {
        // Changed while the release was made: its manifest would state the old class.
        throw new ReleaseBuildConflictError('The dataset’s access class changed while this release was being made; build it again.');
      }
      this.supersedeStmt.run(release.createdAt, release.datasetId);
      this.insertReleaseStmt.run({
        ...release,
        purposes: JSON.stringify(release.purposes),
        shownCells: release.shownCells && JSON.stringify(release.shownCells),
      });
      for (const shard of shards) this.insertShardStmt.run(shard);
      for (const [sampleId, shard] of records) this.insertRecordStmt.run(release.id, sampleId, shard);
      this.removeInStmt.run(release.createdAt, release.id);
    }).immediate();
  }

  /** Every shard of a release, by name. */
  shards(releaseId: string): ShardRow[] {
    return this.shardsStmt.all(releaseId);
  }

  /** The records that left a release since it was published, by sample id. */
  removals(releaseId: string): Removal[] {
    return this.removalsStmt.all(releaseId);
  }

  /**
   * Whether a shard holds records that left its release, and the notices that named them: null
   * when it holds none (it is served), else the ids of the notices issued so far.
   */
  removedFromShard(releaseId: string, shard: string): { noticeIds: string[] } | null {
    const notices = this.removedShardStmt.all(releaseId, shard);
    if (notices.length === 0) return null;
    return { noticeIds: notices.filter((id): id is string => id !== null) };
  }

  /** Datasets whose current release holds removed records, oldest removal first; retracted ones are not rebuilt. */
  pendingRedactions(): PendingRedaction[] {
    return this.pendingStmt.all();
  }

  /** Removals that no notice names yet, of current releases and of those superseded since (their trainers must hear too). */
  unannounced(): UnannouncedRemoval[] {
    return this.unannouncedStmt.all();
  }

  /** Records that a notice now names (in the transaction that stores the notice). */
  announced(releaseId: string, sampleIds: readonly string[], noticeId: string): void {
    for (const sampleId of sampleIds) this.announceStmt.run(noticeId, releaseId, sampleId);
  }

  /**
   * The community takes a dataset back: it is marked retracted and its current release stops
   * being current (nothing of it is served, nor announced as current). Returns false when it was
   * retracted already. Run inside the transaction that stores the retraction notice.
   */
  retract(datasetId: string, at: string, reason: string): boolean {
    if (this.retractStmt.run(at, reason, datasetId).changes === 0) return false;
    this.supersedeStmt.run(at, datasetId);
    return true;
  }

  setAccessClass(datasetId: string, accessClass: AccessClass): void {
    this.accessStmt.run(accessClass, datasetId);
  }

  shard(releaseId: string, name: string): ShardRow | undefined {
    return this.shardStmt.get(releaseId, name);
  }

  supersededDirs(datasetId: string): string[] {
    return this.supersededDirsStmt.all(datasetId).map((r) => r.dir);
  }
}
