import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
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
import { NothingToReleaseError, PurposeNotOfferedError, ReleaseUnchangedError } from '../errors.js';
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

/**
 * Builds a release: select what consent allows, split by speaker, write shards into a
 * temporary folder, describe and sign, then move the folder into place and record it in one
 * transaction. A crash at any point before that leaves nothing that is served.
 */
export class ReleaseBuilder {
  constructor(
    private readonly db: Db,
    /** The node's releases folder; a release lives in `<dataset>/<version>` below it. */
    private readonly root: string,
    private readonly config: NodeConfig,
    private readonly languages: NodeLanguages,
    private readonly identity: NodeIdentity,
    private readonly blobs: BlobStore,
    private readonly releases: ReleaseStore,
    private readonly notices: WithdrawalNotices,
  ) {}

  async build(request: BuildRequest, onProgress: BuildProgressListener = () => {}): Promise<BuildOutcome> {
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

    await onProgress({ phase: 'selecting' });
    const selection = new ReleaseSelection(this.db, {
      language: tag.tag,
      modality: request.modality,
      license,
      purposes,
      maxPerSentence: request.maxPerSentence ?? 10,
    });
    const releaseRoot = join(this.root, datasetId);
    const buildDir = join(releaseRoot, `.build-${newId()}`);
    try {
      const totalRecords = selection.count();
      if (totalRecords === 0) throw new NothingToReleaseError();
      const comparison = previous ? selection.compare(previous.id) : { removed: 0, added: totalRecords };
      const terms = !previous
        ? 'same'
        : previous.license !== license || [...previous.purposes].sort().join() !== [...purposes].sort().join()
          ? 'rights'
          : previous.format !== format
            ? 'packaging'
            : 'same';
      const { version, change } = nextVersion(previous?.version ?? null, { ...comparison, terms });
      if (change === 'none') throw new ReleaseUnchangedError();

      const speakerLoads = selection.speakers();
      selection.assign(assignSplits(speakerLoads, seed));
      // Self-declared demographics go into the shards only where their cell is published too:
      // a value shared by fewer than five speakers would point at people.
      const demographics = selection.demographics();
      const publishable = publishableDemographics(demographics, speakerLoads.length);
      const shown = new Set(publishable.map((cell) => `${cell.field}\u0000${cell.value}`));
      await this.clearAbandonedBuilds(releaseRoot);
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
        const source = this.records(selection.records(split), speakerSalt, shown, (r) => {
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
          speakers: speakerLoads.length,
          bySplit,
        },
        demographics,
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

      // Until this rename and the transaction after it, nothing of the build is served.
      const finalDir = join(releaseRoot, version);
      if (existsSync(finalDir)) await rm(finalDir, { recursive: true, force: true });
      await rename(buildDir, finalDir);
      const release = {
        id: newId(),
        datasetId,
        version,
        rev: description.rev,
        dir: `${datasetId}/${version}`,
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
      const withdrawnDuringBuild = this.releases.publish(release, shardRows, recordShards(shards));
      // Their own withdrawal's notice went out before this release existed.
      if (withdrawnDuringBuild.length > 0) this.notices.issue(withdrawnDuringBuild, 'consent-withdrawn');
      // Superseded shards are no longer served (410); their files go, with any withdrawn records in them.
      for (const old of this.releases.supersededDirs(datasetId)) {
        if (old !== release.dir) await rm(join(this.root, old), { recursive: true, force: true });
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
    source: AsyncIterable<SelectedRecord>,
    salt: string,
    shown: ReadonlySet<string>,
    count: (r: SelectedRecord) => void,
  ): AsyncGenerator<SpeechRecord | TextRecord> {
    const cell = (field: string, value: string | null) => (value !== null && shown.has(`${field}\u0000${value}`) ? value : null);
    // Clips are read a few ahead, so the disk works while the shard writer encodes.
    for await (const [r, audio] of readAhead(source, (r) => (r.audioKey ? this.blobs.get(r.audioKey) : null), 8)) {
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

  private async clearAbandonedBuilds(root: string): Promise<void> {
    const entries = existsSync(root) ? await readdir(root) : [];
    await Promise.all(entries.filter((e) => e.startsWith('.build-')).map((e) => rm(join(root, e), { recursive: true, force: true })));
  }
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
