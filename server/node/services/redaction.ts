import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { peekPayload } from '../../../pipelines/federation/statements.js';
import { parseLanguageTag } from '../../../pipelines/language/tags.js';
import { publishableDemographics } from '../../../pipelines/release/manifest/demographics.js';
import type { ReleaseDescription } from '../../../pipelines/release/manifest/types.js';
import { DEFAULT_ROW_GROUP_SIZE, ParquetShardWriter } from '../../../pipelines/release/shards/parquet-shard-writer.js';
import type { Split } from '../../../pipelines/release/shards/types.js';
import { WebDatasetShardWriter } from '../../../pipelines/release/shards/webdataset-shard-writer.js';
import { writeShards } from '../../../pipelines/release/shards/write-shards.js';
import { nextVersion } from '../../../pipelines/release/versioning.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { Db } from '../../core/db.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import type { NodeIdentity } from '../identity.js';
import { ReleaseSelection, type WrittenRecords } from '../stores/release-selection.js';
import type { Release, ReleaseStore, ShardRow, ShownCell } from '../stores/releases.js';
import type { DatasetAuthority, NoticeRef } from './dataset-authority.js';
import type { ReleaseActivity } from './release-activity.js';
import { round } from './release-builder.js';
import { describeRelease, publishRelease, type ShardEntry } from './release-publication.js';
import { cellKey, shardRecords } from './release-records.js';
import type { WithdrawalNotices } from './withdrawal-notices.js';

/** The reason a dataset left with no records is retracted with. */
export const EMPTIED_REASON = 'Every record of this dataset was withdrawn.';

export type RedactionOutcome =
  | { kind: 'nothing' }
  | {
      kind: 'released';
      release: Release;
      shards: ShardRow[];
      /** Shards written again without the removed records (or with values now suppressed blanked). */
      rewritten: string[];
      /** Shards carried over byte for byte. */
      carried: string[];
      removed: number;
    }
  | { kind: 'retracted'; notice: NoticeRef };

export interface RedactorDeps {
  db: Db;
  config: NodeConfig;
  identity: NodeIdentity;
  blobs: BlobStore;
  releaseFiles: BlobStore;
  releases: ReleaseStore;
  notices: WithdrawalNotices;
  authority: DatasetAuthority;
  activity: ReleaseActivity;
  buildsDir: string;
  langid: { readonly model: string };
  speechLangid: { readonly model: string };
}

/**
 * Makes the next version of a dataset without the records that left its current release
 * (withdrawn consent, erasure, moderation): a MAJOR version with the same splits, shard names,
 * seed, format, purposes, licence and speaker salt. Only the affected shards are written again,
 * from the database, by the same shard writer as a build (so each is what a build of its records
 * would be); every other shard is carried over byte for byte, so trainers fetch only what changed.
 *
 * A shard is affected when it held a removed record, or when one of its speakers' self-declared
 * values changes visibility: with fewer speakers a demographic cell may fall under five and be
 * suppressed (its value must then be blanked in every shard, not only where the removed records
 * were), or, less often, a cell suppressed with them may be published now. A shard left with no
 * records stays, empty (a valid file with no rows), so every name and the "-of-N" in the names
 * stay true and a trainer's list of files keeps its shape. A dataset left with no records is
 * retracted.
 */
export class Redactor {
  constructor(private readonly deps: RedactorDeps) {}

  redact(datasetId: string): Promise<RedactionOutcome> {
    return this.deps.activity.exclusive(datasetId, () => this.run(datasetId));
  }

  private async run(datasetId: string): Promise<RedactionOutcome> {
    const { db, releases } = this.deps;
    const dataset = releases.dataset(datasetId);
    const previous = releases.current(datasetId);
    if (!dataset || dataset.retractedAt || !previous) return { kind: 'nothing' };
    const removals = releases.removals(previous.id);
    if (removals.length === 0) return { kind: 'nothing' };
    const language = parseLanguageTag(dataset.language);
    if (!language) throw new Error(`dataset ${datasetId} has an unreadable language tag ${dataset.language}`);

    const selection = ReleaseSelection.remainderOf(db, previous.id);
    const buildDir = join(this.deps.buildsDir, `build-${process.pid}-${newId()}`);
    try {
      if (selection.count() === 0) return await this.retractEmptied(datasetId);

      const cells = selection.demographics();
      const shownCells: ShownCell[] = publishableDemographics(cells, selection.speakers().length).map((cell) => [cell.field, cell.value]);
      const shown = new Set(shownCells.map(([field, value]) => cellKey(field, value)));
      const shownBefore = new Set((previous.shownCells ?? shownInManifest(previous.envelope)).map(([field, value]) => cellKey(field, value)));
      const changed = new Set([...shown].filter((c) => !shownBefore.has(c)).concat([...shownBefore].filter((c) => !shown.has(c))));
      const affected = new Set(removals.map((r) => r.shard));
      for (const row of selection.shardSpeakers()) {
        for (const field of ['age_band', 'gender', 'variant', 'accent'] as const) {
          const value = row[field];
          if (value !== null && changed.has(cellKey(field, value))) affected.add(row.shard);
        }
      }

      const shards = releases.shards(previous.id);
      await mkdir(buildDir, { recursive: true });
      const entries: ShardEntry[] = [];
      const written: string[] = [];
      const marked = selection.written();
      const carried: Array<{ name: string; from: string }> = [];
      for (const [index, shard] of shards.entries()) {
        if (!affected.has(shard.name)) {
          carried.push({ name: shard.name, from: `${previous.dir}/${shard.name}` });
          entries.push(shard);
          continue;
        }
        const rewritten = await this.rewrite(selection, shard, previous, dataset.modality, shown, join(buildDir, `.shard-${index}`), buildDir, marked);
        entries.push(rewritten);
        written.push(shard.name);
      }
      marked.flush();

      // The release is what its shards hold (a record withdrawn while they were written is left out).
      selection.keepWritten(carried.map((c) => c.name));
      const records = selection.count();
      if (records === 0) return await this.retractEmptied(datasetId);
      const comparison = selection.compare(previous.id);
      const { version } = nextVersion(previous.version, { ...comparison, terms: 'same' });

      const speech = dataset.modality === 'speech';
      const bySplit: ReleaseDescription['counts']['bySplit'] = {};
      for (const split of new Set(shards.map((s) => s.split))) bySplit[split] = { records: 0, speakers: 0, hours: speech ? 0 : null };
      let seconds = 0;
      for (const counts of selection.splitCounts()) {
        seconds += counts.seconds;
        bySplit[counts.split] = { records: counts.records, speakers: counts.speakers, hours: speech ? round(counts.seconds / 3600) : null };
      }
      const description = describeRelease(this.deps, {
        datasetId,
        language,
        modality: dataset.modality,
        license: previous.license,
        purposes: previous.purposes,
        accessClass: dataset.accessClass,
        format: previous.format,
        version,
        previous,
        published: nowIso(),
        counts: { records, hours: speech ? round(seconds / 3600) : null, speakers: selection.speakers().length, bySplit },
        demographics: selection.demographics(),
        shards: entries,
        withdrawnSincePrevious: comparison.removed,
      });
      const published = await publishRelease(this.deps, {
        description,
        language: dataset.language,
        seed: previous.seed,
        speakerSalt: previous.speakerSalt,
        shownCells,
        format: previous.format,
        buildDir,
        written,
        carried,
        records: selection.recordShards(),
        basedOn: previous.id,
      });
      return { kind: 'released', ...published, rewritten: written, carried: carried.map((c) => c.name), removed: comparison.removed };
    } finally {
      selection.dispose();
      await rm(buildDir, { recursive: true, force: true });
    }
  }

  /**
   * Writes one shard again from its remaining records, in the order it held them, into
   * `buildDir/<name>`: through `writeShards` with no size limit (fewer records than before always
   * fit in one shard), or as an empty file of the release's format when none remain.
   */
  private async rewrite(
    selection: ReleaseSelection,
    shard: ShardRow,
    release: Release,
    modality: 'text' | 'speech',
    shown: ReadonlySet<string>,
    workDir: string,
    buildDir: string,
    marked: WrittenRecords,
  ): Promise<ShardEntry> {
    const split = shard.split as Split;
    const source = { blobs: this.deps.blobs, withdrawn: (id: string) => selection.withdrawn(id) };
    const rows = shardRecords(selection.shardRecords(shard.name), source, release.speakerSalt, shown);
    const [file] = await writeShards(rows, {
      dir: workDir,
      split,
      modality,
      format: release.format,
      targetBytes: Number.MAX_SAFE_INTEGER,
      // Its records keep the shard (and name) they had; they are only marked as written.
      onRecord: (key) => marked.add(key, 0),
    });
    const target = join(buildDir, shard.name);
    await mkdir(dirname(target), { recursive: true });
    if (file) {
      await rename(join(workDir, file.name), target);
      return { name: shard.name, split: shard.split, sha256: file.sha256, bytes: file.bytes, records: file.records };
    }
    const writer =
      release.format === 'parquet'
        ? await ParquetShardWriter.create(target, { split, modality, rowGroupSize: DEFAULT_ROW_GROUP_SIZE[modality] })
        : await WebDatasetShardWriter.create(target);
    const { sha256, bytes } = await writer.close();
    return { name: shard.name, split: shard.split, sha256, bytes, records: 0 };
  }

  private async retractEmptied(datasetId: string): Promise<RedactionOutcome> {
    const { notice } = await this.deps.authority.retractWithin(datasetId, EMPTIED_REASON);
    return { kind: 'retracted', notice };
  }
}

/**
 * The cells a release made before `shown_cells` was kept published, read back from its signed
 * manifest: the values its shards show are those of these cells.
 */
function shownInManifest(envelope: string): ShownCell[] {
  const payload = peekPayload(JSON.parse(envelope)) as Record<string, unknown> | undefined;
  const cells = (payload?.['tributary:demographics'] ?? []) as Array<Record<string, string>>;
  return cells.map((cell) => [cell['tributary:field']!, cell['tributary:value']!]);
}
