import { NO_SPEECH_MODEL } from '../../../pipelines/language/speech-lid.js';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIO_PIPELINE_VERSION } from '../../../pipelines/audio/analyse.js';
import type { LanguageTag } from '../../../pipelines/language/tags.js';
import { buildManifest, MANIFEST_PAYLOAD_TYPE, manifestBytes } from '../../../pipelines/release/manifest/croissant.js';
import { datasetCard } from '../../../pipelines/release/manifest/dataset-card.js';
import type { ReleaseDescription } from '../../../pipelines/release/manifest/types.js';
import { SPLIT_VERSION } from '../../../pipelines/release/splits.js';
import { signEnvelope } from '../../../pipelines/signing/dsse.js';
import type { BlobStore } from '../../core/blob-store.js';
import { processAlive } from '../../core/process-alive.js';
import { newId } from '../../core/ids.js';
import type { NodeConfig } from '../config.js';
import { permittedActions, usageDuties, type Purpose } from '../domain/purposes.js';
import type { NodeIdentity } from '../identity.js';
import type { AccessClass, Release, ReleaseStore, ShardRow, ShownCell } from '../stores/releases.js';
import type { WithdrawalNotices } from './withdrawal-notices.js';

/** A shard of a release being made, as the manifest and the database describe it. */
export interface ShardEntry {
  name: string;
  split: string;
  sha256: string;
  bytes: number;
  records: number;
}

export interface DescribeInput {
  datasetId: string;
  language: LanguageTag;
  modality: 'text' | 'speech';
  license: string;
  purposes: readonly string[];
  accessClass: AccessClass;
  format: 'parquet' | 'webdataset';
  version: string;
  /** The release this one follows (the current one, or the last before a retraction). */
  previous: Release | undefined;
  published: string;
  counts: ReleaseDescription['counts'];
  demographics: ReleaseDescription['demographics'];
  shards: readonly ShardEntry[];
  withdrawnSincePrevious: number;
}

/** What a release says about itself, whether a build or a redaction made it. */
export function describeRelease(
  context: { config: NodeConfig; identity: NodeIdentity; langid: { readonly model: string }; speechLangid: { readonly model: string } },
  input: DescribeInput,
): ReleaseDescription {
  const { config, identity } = context;
  const { language: tag, modality, license, format, accessClass } = input;
  const purposes = [...input.purposes] as Purpose[];
  return {
    datasetId: input.datasetId,
    name: `${tag.name} ${modality} from ${config.name}`,
    description:
      `${modality === 'speech' ? 'Read speech' : 'Text'} in ${tag.name} (${tag.tag}) contributed and validated by volunteers ` +
      `of the ${config.name} community node, released under consent for: ${purposes.join(', ')}.`,
    version: input.version,
    rev: (input.previous?.rev ?? 0) + 1,
    published: input.published,
    expires: new Date(Date.parse(input.published) + 365 * 24 * 3600_000).toISOString(),
    previousManifest: input.previous?.manifestSha256 ?? null,
    node: { did: identity.did, name: config.name, url: identity.apiBase },
    language: { tag: tag.tag, iso639_3: tag.iso639_3, name: tag.name },
    modality,
    license: { spdx: license, url: `https://spdx.org/licenses/${license}.html` },
    accessClass,
    usage: { permitted: permittedActions(purposes, license), duties: usageDuties(license, accessClass), purposes },
    counts: input.counts,
    demographics: input.demographics,
    shards: input.shards.map((s) => ({
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
      ...(modality === 'text' ? { langid: context.langid.model } : { audio: AUDIO_PIPELINE_VERSION }),
      // Spoken-language ID only flags clips; a node without a model leaves the stage out.
      ...(modality === 'speech' && context.speechLangid.model !== NO_SPEECH_MODEL ? { langid: context.speechLangid.model } : {}),
      shards: `tributary-shards@1/${format}`,
    },
    collection: {
      method:
        modality === 'speech'
          ? 'Volunteers read sentences aloud in a web app; each clip was screened automatically (duration, level, clipping, speech ratio).'
          : 'Volunteers wrote text in their language; language identification flagged mismatches for validators.',
      consent: `Each record is covered by an active consent record for: ${purposes.join(', ')}; withdrawn consent removes records from later releases.`,
      validation: `Validated by other volunteers: at least ${config.votes.validateAt} up votes and more up than down; reported samples excluded.`,
      startDate: null,
      endDate: null,
    },
    withdrawnSincePrevious: input.withdrawnSincePrevious,
  };
}

export interface Prepared {
  description: ReleaseDescription;
  language: string;
  seed: number;
  speakerSalt: string;
  shownCells: ShownCell[];
  format: 'parquet' | 'webdataset';
  /** The local folder holding the shards written for this release, under their names. */
  buildDir: string;
  /** Shards written into `buildDir`. */
  written: readonly string[];
  /** Shards carried over from another release, byte for byte: their keys in the release store. */
  carried: ReadonlyArray<{ name: string; from: string }>;
  /** Each record and the shard it is in. */
  records: Iterable<[string, string]>;
  /** The current release it replaces (null for none): publishing refuses if another took its place. */
  basedOn: string | null;
  unretract?: boolean;
}

export interface PublicationDeps {
  identity: NodeIdentity;
  /** The indexes the node publishes to: the card tells trainers to search them. */
  config: Pick<NodeConfig, 'indexes'>;
  /** Where releases are published and served from: `<dataset>/<version>/<name>`. */
  releaseFiles: BlobStore;
  releases: ReleaseStore;
  notices: WithdrawalNotices;
}

/**
 * Signs a release and publishes it: the manifest, its signature and the card are written beside
 * the shards, every file goes to the release store (new shards moved in, carried ones copied),
 * and the release is recorded in one transaction. Rows decide what is served, so a crash at any
 * point before that transaction leaves nothing served. One attempt at a version writes its files:
 * it claims the version first (ReleaseStore.claim), and any other attempt (a second build, a
 * rebuild, the CLI beside a serving node) is refused before it writes a byte. Leftovers of an
 * interrupted attempt at this version go first; a version some row points at is never touched.
 */
export async function publishRelease(
  deps: PublicationDeps,
  prepared: Prepared,
  /** Told once the version is claimed, before any file is written; awaited. */
  onClaimed: () => void | Promise<void> = () => {},
): Promise<{ release: Release; shards: ShardRow[] }> {
  const { releaseFiles, releases, notices, identity } = deps;
  const { description, buildDir } = prepared;
  const manifest = buildManifest(description);
  const bytes = manifestBytes(manifest);
  const envelope = signEnvelope(bytes, MANIFEST_PAYLOAD_TYPE, identity.signingKey, identity.keyId);
  await writeFile(join(buildDir, 'croissant.json'), bytes);
  await writeFile(join(buildDir, 'croissant.dsse.json'), JSON.stringify(envelope, null, 2) + '\n');
  await writeFile(join(buildDir, 'README.md'), datasetCard(description, { indexes: deps.config.indexes }));

  const { datasetId, version } = description;
  const dir = `${datasetId}/${version}`;
  // Only the attempt holding the claim writes this version's files: another is refused here,
  // before it touches one.
  const owner = `${process.pid}-${randomBytes(8).toString('hex')}`;
  releases.claim(datasetId, version, prepared.basedOn, owner, claimantAlive);
  const release = {
    id: newId(),
    datasetId,
    version,
    rev: description.rev,
    dir,
    license: description.license.spdx,
    purposes: description.usage.purposes,
    format: prepared.format,
    seed: prepared.seed,
    speakerSalt: prepared.speakerSalt,
    manifestSha256: createHash('sha256').update(bytes).digest('hex'),
    envelope: JSON.stringify(envelope),
    records: description.counts.records,
    createdAt: description.published,
    shownCells: prepared.shownCells,
  };
  const shards: ShardRow[] = description.shards.map((s) => ({
    releaseId: release.id,
    name: s.name,
    split: s.split,
    sha256: s.sha256,
    bytes: s.bytes,
    records: s.records,
  }));
  try {
    await onClaimed();
    // Leftovers of an interrupted attempt at this version go first.
    await releaseFiles.deletePrefix(`${dir}/`);
    for (const name of [...prepared.written, 'README.md', 'croissant.json', 'croissant.dsse.json']) {
      await releaseFiles.putFile(`${dir}/${name}`, join(buildDir, name));
    }
    for (const { name, from } of prepared.carried) await releaseFiles.copy(from, `${dir}/${name}`);
    const dataset = {
      id: datasetId,
      language: prepared.language,
      modality: description.modality,
      accessClass: description.accessClass,
      createdAt: description.published,
    };
    releases.publish(release, shards, prepared.records, prepared.basedOn, { dataset, owner, unretract: prepared.unretract });
  } catch (error) {
    // Nothing serves what this attempt wrote, and no other attempt writes this version meanwhile.
    await releaseFiles.deletePrefix(`${dir}/`).catch(() => undefined);
    releases.releaseClaim(datasetId, version, owner);
    throw error;
  }
  // Records withdrawn while the release was made are removals of it from the start, and any
  // removal of the release it supersedes not announced yet (a crash, the CLI) is announced now.
  notices.issuePending();
  // Superseded shards are no longer served (410); their files go, with any withdrawn records in them.
  for (const old of releases.supersededDirs(datasetId)) {
    if (old !== dir) await releaseFiles.deletePrefix(`${old}/`);
  }
  return { release: { ...release, status: 'current', supersededAt: null }, shards };
}

/** Whether the process of a claim's owner (`<pid>-<random>`) still runs. */
export const claimantAlive = (owner: string): boolean => processAlive(Number(owner.split('-')[0]));
