import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { publishableDemographics } from '../../../pipelines/release/manifest/demographics.js';
import type { ReleaseDescription } from '../../../pipelines/release/manifest/types.js';
import type { ShardFile, Split } from '../../../pipelines/release/shards/types.js';
import { writeShards } from '../../../pipelines/release/shards/write-shards.js';
import { assignSplits } from '../../../pipelines/release/splits.js';
import { nextVersion, type VersionChange } from '../../../pipelines/release/versioning.js';
import type { BlobStore } from '../../core/blob-store.js';
import { processAlive } from '../../core/process-alive.js';
import type { Db } from '../../core/db.js';
import { NodeUrlRequiredError, NothingToReleaseError, PurposeNotOfferedError, ReleaseUnchangedError, UnretractRequiredError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import type { Purpose } from '../domain/purposes.js';
import type { NodeIdentity } from '../identity.js';
import type { NodeLanguages } from '../languages.js';
import { ReleaseSelection } from '../stores/release-selection.js';
import type { AccessClass, Release, ReleaseStore, ShardRow, ShownCell } from '../stores/releases.js';
import type { DatasetAuthority } from './dataset-authority.js';
import type { ReleaseActivity } from './release-activity.js';
import { describeRelease, publishRelease } from './release-publication.js';
import { cellKey, shardRecords } from './release-records.js';
import type { WithdrawalNotices } from './withdrawal-notices.js';

const SPLITS: Split[] = ['train', 'dev', 'test'];
const DEFAULT_PURPOSES: Record<'text' | 'speech', Purpose[]> = {
  speech: ['train-asr', 'train-tts', 'evaluate'],
  text: ['train-lm', 'evaluate'],
};

export interface BuildRequest {
  language: string;
  modality: 'text' | 'speech';
  license?: string;
  purposes?: Purpose[];
  format?: 'parquet' | 'webdataset';
  seed?: number;
  accessClass?: AccessClass;
  targetShardBytes?: number;
  maxPerSentence?: number;
  /** Publish a dataset the community retracted: an operator's explicit decision. */
  unretract?: boolean;
}

export type BuildProgress =
  | { phase: 'selecting' }
  | { phase: 'writing'; split: Split; records: number; totalRecords: number; bytes: number }
  | { phase: 'signing' }
  | { phase: 'publishing' };

/**
 * Told of each step of a build. The build waits for it where a step begins (selecting, each
 * split before its records are read, signing, publishing once the version is claimed), so a caller can act at exactly that point; the
 * updates while records are written are not waited for.
 */
export type BuildProgressListener = (p: BuildProgress) => void | Promise<void>;

/** A build running in this process, where it has got to: what the operator's releases page shows while it waits. */
export interface BuildInProgress {
  datasetId: string;
  startedAt: string;
  progress: BuildProgress;
}

export interface BuildOutcome {
  release: Release;
  shards: ShardRow[];
  change: VersionChange;
  added: number;
  removed: number;
}

export interface ReleaseBuilderDeps {
  db: Db;
  config: NodeConfig;
  languages: NodeLanguages;
  identity: NodeIdentity;
  /** Where the clips are. */
  blobs: BlobStore;
  /** Where releases are published and served from: `<dataset>/<version>/<name>`. */
  releaseFiles: BlobStore;
  releases: ReleaseStore;
  notices: WithdrawalNotices;
  /** Keeps builds and redactions of one dataset apart in this process. */
  activity: ReleaseActivity;
  /** Announces an access class a build is asked to change. */
  authority: DatasetAuthority;
  /** The node's folder, named in refusals that the operator fixes there. */
  nodeDir: string;
  /** A local folder for builds in progress, outside the served store. */
  buildsDir: string;
  /** The node's language ID, whose model a text release's manifest names. */
  langid: { readonly model: string };
  speechLangid: { readonly model: string };
}

/**
 * Builds a release: select what consent allows, split by speaker, write shards into a local
 * temporary folder, describe and sign, then publish each file to the release store and record
 * the release in one transaction (release-publication.ts). Rows decide what is served, so a
 * crash at any point before that transaction leaves nothing served: files an interrupted build
 * published under its version are cleared by the next build of that version, its temporary
 * folder by the next build.
 */
export class ReleaseBuilder {
  private readonly db: Db;
  private readonly config: NodeConfig;
  private readonly languages: NodeLanguages;
  private readonly releases: ReleaseStore;
  private readonly running = new Map<string, BuildInProgress>();

  constructor(private readonly deps: ReleaseBuilderDeps) {
    this.db = deps.db;
    this.config = deps.config;
    this.languages = deps.languages;
    this.releases = deps.releases;
  }

  async build(request: BuildRequest, onProgress: BuildProgressListener = () => {}): Promise<BuildOutcome> {
    // What is signed says where trainers reach the node; a manifest of relative links would
    // point wherever a copy of it is read from.
    if (!this.config.url) {
      throw new NodeUrlRequiredError(
        `This node has no public URL, and a release must say where trainers reach it: set "url" in ` +
          `${join(this.deps.nodeDir, 'node.json')} to the address trainers reach the node at, e.g. https://sauti.example.org, and restart.`,
      );
    }
    const tag = this.languages.resolve(request.language);
    const datasetId = `${tag.tag.toLowerCase()}-${request.modality}`;
    return this.deps.activity.build(datasetId, async () => {
      const running: BuildInProgress = { datasetId, startedAt: new Date().toISOString(), progress: { phase: 'selecting' } };
      this.running.set(datasetId, running);
      try {
        return await this.buildDataset(datasetId, tag, request, (progress) => {
          running.progress = progress;
          return onProgress(progress);
        });
      } finally {
        this.running.delete(datasetId);
      }
    });
  }

  /** The builds running in this process now (one per dataset at most), oldest first. */
  inProgress(): BuildInProgress[] {
    return [...this.running.values()].map((build) => ({ ...build, progress: { ...build.progress } }));
  }

  private async buildDataset(
    datasetId: string,
    tag: ReturnType<NodeLanguages['resolve']>,
    request: BuildRequest,
    onProgress: BuildProgressListener,
  ): Promise<BuildOutcome> {
    const license = request.license ?? this.config.license;
    const purposes = request.purposes ?? DEFAULT_PURPOSES[request.modality].filter((p) => this.config.consent.purposes.includes(p));
    const unknown = purposes.filter((p) => !this.config.consent.purposes.includes(p));
    if (unknown.length) throw new PurposeNotOfferedError(undefined, { purposes: unknown });
    const format = request.format ?? 'parquet';
    const seed = request.seed ?? 42;
    const dataset = this.releases.dataset(datasetId);
    // The community retracted it: only the operator's explicit word publishes it again.
    const retracted = dataset?.retractedAt ? dataset : undefined;
    if (retracted && !request.unretract) {
      throw new UnretractRequiredError(
        `The community retracted ${datasetId} on ${retracted.retractedAt!.slice(0, 10)} (${retracted.retractionReason ?? 'no reason given'}); ` +
          'build it with --unretract (API: "unretract": true) to publish it again.',
        { dataset: datasetId, retractedAt: retracted.retractedAt, reason: retracted.retractionReason },
      );
    }
    // An explicit class that differs is an access change, announced as one, before the build.
    if (request.accessClass && dataset && !retracted && dataset.accessClass !== request.accessClass) {
      this.deps.authority.setAccess(datasetId, request.accessClass);
    }
    const current = this.releases.current(datasetId);
    // After a retraction the last release is still the one this follows: the version and rev go on from it.
    const previous = current ?? (retracted ? this.releases.latest(datasetId) : undefined);
    const accessClass = request.accessClass ?? dataset?.accessClass ?? 'open';
    const terms = !previous
      ? 'same'
      : // Published again after a retraction: what trainers were told to delete comes back, a break like changed rights.
        retracted || previous.license !== license || [...previous.purposes].sort().join() !== [...purposes].sort().join()
        ? 'rights'
        : previous.format !== format
          ? 'packaging'
          : 'same';

    await onProgress({ phase: 'selecting' });
    const selection = new ReleaseSelection(this.db, {
      language: tag.tag,
      modality: request.modality,
      license,
      purposes,
      maxPerSentence: request.maxPerSentence ?? 10,
    });
    // Named after this process, so that another build can tell a folder in use from an abandoned one.
    const buildDir = join(this.deps.buildsDir, `build-${process.pid}-${newId()}`);
    try {
      const totalRecords = selection.count();
      if (totalRecords === 0) throw new NothingToReleaseError();
      // Refused before anything is written when the selection is the previous release again;
      // the version itself is decided on what is written (below).
      const selected = previous ? selection.compare(previous.id) : { removed: 0, added: totalRecords };
      if (nextVersion(previous?.version ?? null, { ...selected, terms }).change === 'none') throw new ReleaseUnchangedError();

      const speakerLoads = selection.speakers();
      selection.assign(assignSplits(speakerLoads, seed));
      // Self-declared demographics go into the shards only where their cell is published too:
      // a value shared by fewer than five speakers would point at people.
      const shownCells: ShownCell[] = publishableDemographics(selection.demographics(), speakerLoads.length).map((cell) => [cell.field, cell.value]);
      const shown = new Set(shownCells.map(([field, value]) => cellKey(field, value)));
      await this.clearAbandonedBuilds();
      await mkdir(buildDir, { recursive: true });

      const speakerSalt = randomBytes(16).toString('hex');
      const source = { blobs: this.deps.blobs, withdrawn: (id: string) => selection.withdrawn(id) };
      const shards: ShardFile[] = [];
      const bySplit: ReleaseDescription['counts']['bySplit'] = {};
      let written = 0;
      let writtenBytes = 0;
      let totalSeconds = 0;
      const marked = selection.written();
      for (const split of SPLITS) {
        await onProgress({ phase: 'writing', split, records: written, totalRecords, bytes: writtenBytes });
        const speakers = new Set<string>();
        let seconds = 0;
        let records = 0;
        const rows = shardRecords(selection.records(split), source, speakerSalt, shown, (r) => {
          speakers.add(r.contributorId);
          seconds += r.durationSeconds ?? 0;
          records++;
        });
        const splitShards = await writeShards(
          rows,
          {
            dir: buildDir,
            split,
            modality: request.modality,
            format,
            targetBytes: request.targetShardBytes ?? 256 * 1024 * 1024,
            onRecord: (key, shard) => marked.add(key, shard),
          },
          (p) => void onProgress({ phase: 'writing', split, records: written + p.records, totalRecords, bytes: writtenBytes + p.bytes }),
        );
        marked.flush();
        selection.nameShards(split, splitShards.map((s) => s.name));
        written += records;
        totalSeconds += seconds;
        writtenBytes += splitShards.reduce((n, s) => n + s.bytes, 0);
        shards.push(...splitShards);
        if (records > 0) {
          bySplit[split] = { records, speakers: speakers.size, hours: request.modality === 'speech' ? round(seconds / 3600) : null };
        }
      }

      // The release is what the shards hold: records withdrawn while they were written are not
      // in it, so they count as removed (MAJOR), like any record the previous release had.
      selection.keepWritten();
      if (written === 0) throw new NothingToReleaseError();
      const comparison = previous ? selection.compare(previous.id) : { removed: 0, added: written };
      const { version, change } = nextVersion(previous?.version ?? null, { ...comparison, terms });
      if (change === 'none') throw new ReleaseUnchangedError();

      await onProgress({ phase: 'signing' });
      const description = describeRelease(this.deps, {
        datasetId,
        language: tag,
        modality: request.modality,
        license,
        purposes,
        accessClass,
        format,
        version,
        previous,
        published: nowIso(),
        counts: {
          records: written,
          hours: request.modality === 'speech' ? round(totalSeconds / 3600) : null,
          speakers: selection.speakers().length,
          bySplit,
        },
        demographics: selection.demographics(),
        shards,
        withdrawnSincePrevious: comparison.removed,
      });
      const published = await publishRelease(this.deps, {
        description,
        language: tag.tag,
        seed,
        speakerSalt,
        shownCells,
        format,
        buildDir,
        written: shards.map((s) => s.name),
        carried: [],
        records: selection.recordShards(),
        basedOn: current?.id ?? null,
        unretract: Boolean(retracted),
      }, () => onProgress({ phase: 'publishing' }));
      return { ...published, change, added: comparison.added, removed: comparison.removed };
    } finally {
      selection.dispose();
      await rm(buildDir, { recursive: true, force: true });
    }
  }

  /**
   * Build folders that a crashed or killed build left behind: those of processes that are gone.
   * A build running in this or another process (the CLI beside a serving node) keeps its folder.
   */
  private async clearAbandonedBuilds(): Promise<void> {
    const entries = await readdir(this.deps.buildsDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const abandoned = entries.filter((entry) => {
      const owner = /^build-(\d+)-[0-9A-Z]{26}$/.exec(entry)?.[1];
      return owner !== undefined && !processAlive(Number(owner));
    });
    await Promise.all(abandoned.map((entry) => rm(join(this.deps.buildsDir, entry), { recursive: true, force: true })));
  }
}

export const round = (value: number) => Number(value.toFixed(3));

/**
 * A build's outcome as it is shown (API, CLI): without the speaker salt, which would link the
 * pseudonyms back to people, nor the envelope, which is served at /manifest (nor the cells it
 * shows, which the manifest publishes).
 */
export function buildSummary(outcome: BuildOutcome) {
  const { speakerSalt: _secret, envelope: _envelope, shownCells: _shown, ...release } = outcome.release;
  return { release, shards: outcome.shards, change: outcome.change, added: outcome.added, removed: outcome.removed };
}
