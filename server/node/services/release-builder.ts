import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LANGID_MODEL } from '../../../pipelines/language/identify.js';
import { AUDIO_PIPELINE_VERSION } from '../../../pipelines/audio/analyse.js';
import { buildManifest, MANIFEST_PAYLOAD_TYPE, manifestBytes } from '../../../pipelines/release/manifest/croissant.js';
import { publishableDemographics } from '../../../pipelines/release/manifest/demographics.js';
import { datasetCard } from '../../../pipelines/release/manifest/dataset-card.js';
import type { ReleaseDescription } from '../../../pipelines/release/manifest/types.js';
import type { ShardFile, SpeechRecord, Split, TextRecord } from '../../../pipelines/release/shards/types.js';
import { writeShards } from '../../../pipelines/release/shards/write-shards.js';
import { assignSplits, speakerPseudonym, SPLIT_VERSION } from '../../../pipelines/release/splits.js';
import { nextVersion, type VersionChange } from '../../../pipelines/release/versioning.js';
import { signEnvelope } from '../../../pipelines/signing/dsse.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { Db } from '../../core/db.js';
import { NodeUrlRequiredError, NothingToReleaseError, PurposeNotOfferedError, ReleaseBuildConflictError, ReleaseUnchangedError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import { permittedActions, usageDuties, type Purpose } from '../domain/purposes.js';
import type { NodeIdentity } from '../identity.js';
import type { NodeLanguages } from '../languages.js';
import { ReleaseSelection, type SelectedRecord } from '../stores/release-selection.js';
import type { AccessClass, Release, ReleaseStore, ShardRow } from '../stores/releases.js';
import type { WithdrawalNotices } from './withdrawal-notices.js';

const SPLITS: Split[] = ['train', 'dev', 'test'];
const DEFAULT_PURPOSES: Record<'text' | 'speech', Purpose[]> = {
  speech: ['train-asr', 'train-tts', 'evaluate'],
  text: ['train-lm', 'evaluate'],
};

/** A record the build leaves out after reading it (its sample was withdrawn meanwhile). */
const LEFT_OUT = Symbol('left out');

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
}

export type BuildProgress =
  | { phase: 'selecting' }
  | { phase: 'writing'; split: Split; records: number; totalRecords: number; bytes: number }
  | { phase: 'signing' };

/**
 * Told of each step of a build. The build waits for it where a step begins (selecting, each
 * split before its records are read, signing), so a caller can act at exactly that point; the
 * updates while records are written are not waited for.
 */
export type BuildProgressListener = (p: BuildProgress) => void | Promise<void>;

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
  /** The node's folder, named in refusals that the operator fixes there. */
  nodeDir: string;
  /** A local folder for builds in progress, outside the served store. */
  buildsDir: string;
}

/**
 * Builds a release: select what consent allows, split by speaker, write shards into a local
 * temporary folder, describe and sign, then publish each file to the release store and record
 * the release in one transaction. Rows decide what is served, so a crash at any point before
 * that transaction leaves nothing served: files an interrupted build published under its
 * version are cleared by the next build of that version, its temporary folder by the next build.
 */
export class ReleaseBuilder {
  private readonly db: Db;
  private readonly config: NodeConfig;
  private readonly languages: NodeLanguages;
  private readonly identity: NodeIdentity;
  private readonly blobs: BlobStore;
  private readonly releaseFiles: BlobStore;
  private readonly releases: ReleaseStore;
  private readonly notices: WithdrawalNotices;

  constructor(private readonly deps: ReleaseBuilderDeps) {
    this.db = deps.db;
    this.config = deps.config;
    this.languages = deps.languages;
    this.identity = deps.identity;
    this.blobs = deps.blobs;
    this.releaseFiles = deps.releaseFiles;
    this.releases = deps.releases;
    this.notices = deps.notices;
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
    const license = request.license ?? this.config.license;
    const purposes = request.purposes ?? DEFAULT_PURPOSES[request.modality].filter((p) => this.config.consent.purposes.includes(p));
    const unknown = purposes.filter((p) => !this.config.consent.purposes.includes(p));
    if (unknown.length) throw new PurposeNotOfferedError(undefined, { purposes: unknown });
    const format = request.format ?? 'parquet';
    const seed = request.seed ?? 42;
    const previous = this.releases.current(datasetId);
    const accessClass = request.accessClass ?? this.releases.dataset(datasetId)?.accessClass ?? 'open';
    const terms = !previous
      ? 'same'
      : previous.license !== license || [...previous.purposes].sort().join() !== [...purposes].sort().join()
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
      const shown = new Set(
        publishableDemographics(selection.demographics(), speakerLoads.length).map((cell) => `${cell.field}\u0000${cell.value}`),
      );
      await this.clearAbandonedBuilds();
      await mkdir(buildDir, { recursive: true });

      const speakerSalt = randomBytes(16).toString('hex');
      const shards: ShardFile[] = [];
      const bySplit: ReleaseDescription['counts']['bySplit'] = {};
      let written = 0;
      let writtenBytes = 0;
      let totalSeconds = 0;
      for (const split of SPLITS) {
        await onProgress({ phase: 'writing', split, records: written, totalRecords, bytes: writtenBytes });
        const speakers = new Set<string>();
        let seconds = 0;
        let records = 0;
        const source = this.records(selection, split, speakerSalt, shown, (r) => {
          speakers.add(r.contributorId);
          seconds += r.durationSeconds ?? 0;
          records++;
        });
        const splitShards = await writeShards(
          source,
          { dir: buildDir, split, modality: request.modality, format, targetBytes: request.targetShardBytes ?? 256 * 1024 * 1024 },
          (p) => void onProgress({ phase: 'writing', split, records: written + p.records, totalRecords, bytes: writtenBytes + p.bytes }),
        );
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
      selection.keepOnly(recordKeys(shards));
      if (written === 0) throw new NothingToReleaseError();
      const comparison = previous ? selection.compare(previous.id) : { removed: 0, added: written };
      const { version, change } = nextVersion(previous?.version ?? null, { ...comparison, terms });
      if (change === 'none') throw new ReleaseUnchangedError();

      await onProgress({ phase: 'signing' });
      const published = nowIso();
      const description: ReleaseDescription = {
        datasetId,
        name: `${tag.name} ${request.modality} from ${this.config.name}`,
        description:
          `${request.modality === 'speech' ? 'Read speech' : 'Text'} in ${tag.name} (${tag.tag}) contributed and validated by volunteers ` +
          `of the ${this.config.name} community node, released under consent for: ${purposes.join(', ')}.`,
        version,
        rev: (previous?.rev ?? 0) + 1,
        published,
        expires: new Date(Date.now() + 365 * 24 * 3600_000).toISOString(),
        previousManifest: previous?.manifestSha256 ?? null,
        node: { did: this.identity.did, name: this.config.name, url: this.identity.apiBase },
        language: { tag: tag.tag, iso639_3: tag.iso639_3, name: tag.name },
        modality: request.modality,
        license: { spdx: license, url: `https://spdx.org/licenses/${license}.html` },
        accessClass,
        usage: { permitted: permittedActions(purposes, license), duties: usageDuties(license, accessClass), purposes },
        counts: {
          records: written,
          hours: request.modality === 'speech' ? round(totalSeconds / 3600) : null,
          speakers: selection.speakers().length,
          bySplit,
        },
        demographics: selection.demographics(),
        shards: shards.map((s) => ({
          name: s.name,
          split: s.split,
          sha256: s.sha256,
          bytes: s.bytes,
          records: s.records,
          encodingFormat: format === 'parquet' ? 'application/x-parquet' : 'application/x-tar',
        })),
        pipeline: {
          selection: 'tributary-selection@1',
          split: SPLIT_VERSION,
          ...(request.modality === 'speech' ? { audio: AUDIO_PIPELINE_VERSION } : { langid: LANGID_MODEL }),
          shards: `tributary-shards@1/${format}`,
        },
        collection: {
          method:
            request.modality === 'speech'
              ? 'Volunteers read sentences aloud in a web app; each clip was screened automatically (duration, level, clipping, speech ratio).'
              : 'Volunteers wrote text in their language; language identification flagged mismatches for validators.',
          consent: `Each record is covered by an active consent record for: ${purposes.join(', ')}; withdrawn consent removes records from later releases.`,
          validation: `Validated by other volunteers: at least ${this.config.votes.validateAt} up votes and more up than down; reported samples excluded.`,
          startDate: null,
          endDate: null,
        },
        withdrawnSincePrevious: comparison.removed,
      };
      const manifest = buildManifest(description);
      const bytes = manifestBytes(manifest);
      const envelope = signEnvelope(bytes, MANIFEST_PAYLOAD_TYPE, this.identity.signingKey, this.identity.keyId);
      await writeFile(join(buildDir, 'croissant.json'), bytes);
      await writeFile(join(buildDir, 'croissant.dsse.json'), JSON.stringify(envelope, null, 2) + '\n');
      await writeFile(join(buildDir, 'README.md'), datasetCard(description));

      // Publishing: nothing below is served until the transaction after it. Leftovers of an
      // interrupted build of this version go first; a version some row points at is never touched.
      const dir = `${datasetId}/${version}`;
      if (this.releases.byVersion(datasetId, version) || this.releases.current(datasetId)?.id !== previous?.id) {
        throw new ReleaseBuildConflictError();
      }
      await this.releaseFiles.deletePrefix(`${dir}/`);
      for (const name of [...shards.map((s) => s.name), 'README.md', 'croissant.json', 'croissant.dsse.json']) {
        await this.releaseFiles.putFile(`${dir}/${name}`, join(buildDir, name));
      }
      const release = {
        id: newId(),
        datasetId,
        version,
        rev: description.rev,
        dir,
        license,
        purposes,
        format,
        seed,
        speakerSalt,
        manifestSha256: createHash('sha256').update(bytes).digest('hex'),
        envelope: JSON.stringify(envelope),
        records: written,
        createdAt: published,
      };
      const shardRows: ShardRow[] = shards.map((s) => ({
        releaseId: release.id,
        name: s.name,
        split: s.split,
        sha256: s.sha256,
        bytes: s.bytes,
        records: s.records,
      }));
      this.releases.saveDataset({ id: datasetId, language: tag.tag, modality: request.modality, accessClass, createdAt: published });
      const withdrawnDuringBuild = this.releases.publish(release, shardRows, recordShards(shards), previous?.id ?? null);
      // Their own withdrawal's notice went out before this release existed.
      if (withdrawnDuringBuild.length > 0) this.notices.issue(withdrawnDuringBuild, 'consent-withdrawn');
      // Superseded shards are no longer served (410); their files go, with any withdrawn records in them.
      for (const old of this.releases.supersededDirs(datasetId)) {
        if (old !== release.dir) await this.releaseFiles.deletePrefix(`${old}/`);
      }
      return {
        release: { ...release, status: 'current', supersededAt: null },
        shards: shardRows,
        change,
        added: comparison.added,
        removed: comparison.removed,
      };
    } finally {
      selection.dispose();
      await rm(buildDir, { recursive: true, force: true });
    }
  }

  private async *records(
    selection: ReleaseSelection,
    split: Split,
    salt: string,
    shown: ReadonlySet<string>,
    count: (r: SelectedRecord) => void,
  ): AsyncGenerator<SpeechRecord | TextRecord> {
    const cell = (field: string, value: string | null) => (value !== null && shown.has(`${field}\u0000${value}`) ? value : null);
    const clip = async (r: SelectedRecord & { audioKey: string }): Promise<Uint8Array | typeof LEFT_OUT> => {
      try {
        return await this.blobs.get(r.audioKey);
      } catch (error) {
        // Withdrawn after its page was read: the withdrawal erased the clip, and the record is
        // left out like one withdrawn before it was read.
        if (selection.withdrawn(r.id)) return LEFT_OUT;
        throw error;
      }
    };
    // Clips are read a few ahead, so the disk works while the shard writer encodes.
    const loaded = readAhead(selection.records(split), (r) => (r.audioKey ? clip({ ...r, audioKey: r.audioKey }) : null), 8);
    for await (const [r, audio] of loaded) {
      if (audio === LEFT_OUT) continue;
      count(r);
      const common = {
        key: r.id,
        language: r.language,
        speakerId: speakerPseudonym(salt, r.contributorId),
        ageBand: cell('age_band', r.ageBand),
        gender: cell('gender', r.gender),
        variant: cell('variant', r.variant),
        accent: cell('accent', r.accent),
      };
      yield r.audioKey
        ? {
            ...common,
            audio: audio!,
            sentence: r.text,
            durationSeconds: r.durationSeconds ?? 0,
          }
        : { ...common, text: r.text };
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

/** Whether a process of this id runs (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function* recordKeys(shards: ShardFile[]): Generator<string> {
  for (const shard of shards) yield* shard.keys;
}

function* recordShards(shards: ShardFile[]): Generator<[string, string]> {
  for (const shard of shards) for (const key of shard.keys) yield [key, shard.name];
}

const round = (value: number) => Number(value.toFixed(3));

/** Yields the items of `source` with `load(item)` resolved, keeping up to `depth` loads in flight. */
async function* readAhead<T, L>(
  source: AsyncIterable<T>,
  load: (item: T) => Promise<L> | null,
  depth: number,
): AsyncGenerator<[T, L | null]> {
  const window: Array<[T, Promise<L> | null]> = [];
  for await (const item of source) {
    const pending = load(item);
    // Awaited in order below; until then a failure must not count as unhandled.
    pending?.catch(() => {});
    window.push([item, pending]);
    if (window.length >= depth) {
      const [head, pending] = window.shift()!;
      yield [head, await pending];
    }
  }
  for (const [item, pending] of window) yield [item, await pending];
}

/**
 * A build's outcome as it is shown (API, CLI): without the speaker salt, which would link the
 * pseudonyms back to people, nor the envelope, which is served at /manifest.
 */
export function buildSummary(outcome: BuildOutcome) {
  const { speakerSalt: _secret, envelope: _envelope, ...release } = outcome.release;
  return { release, shards: outcome.shards, change: outcome.change, added: outcome.added, removed: outcome.removed };
}
