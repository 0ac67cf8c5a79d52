import { z } from 'zod';
import { TributaryError } from '../../errors.js';
import { parseLanguageTag } from '../../language/tags.js';
import type { ReleaseDescription } from './types.js';
import { DEMOGRAPHIC_FIELDS, USAGE_ACTIONS, USAGE_DUTIES } from './types.js';

/**
 * The release description is checked before anything is built from it: once a manifest is signed
 * and pushed, a wrong shard hash or a count that disagrees with the shards is public and permanent.
 */
export class InvalidReleaseError extends TributaryError {
  static readonly code = 'InvalidRelease';
  constructor(readonly issues: string[]) {
    super('InvalidRelease', `Invalid release description:\n- ${issues.join('\n- ')}`, { issues });
  }
}

// semver.org's suggested regular expression for SemVer 2.0.0.
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
export const SHA256 = /^[0-9a-f]{64}$/;
// Shard names become URL paths and file paths on trainers' machines: no '.'/'..' segments, no
// absolute paths, nothing that needs percent-encoding.
export const SHARD_NAME = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
// Hugging Face split names: \w+(\.\w+)*; we keep to \w+ so they are also safe in globs and regexes.
const SPLIT_NAME = /^\w+$/;

const text = z.string().trim().min(1);
const count = z.number().int().nonnegative();
const hours = z.number().nonnegative().finite().nullable();
const httpUrl = z.url({ protocol: /^https?$/ });
const dateOrDateTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const splitCounts = z.object({ records: count, hours, speakers: count });

export const releaseDescriptionSchema = z
  .object({
    datasetId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ -'),
    name: text,
    description: text,
    version: z.string().regex(SEMVER, 'a semantic version (MAJOR.MINOR.PATCH)'),
    rev: count,
    published: z.iso.datetime({ offset: true }),
    expires: z.iso.datetime({ offset: true }),
    previousManifest: z.string().regex(SHA256, 'lower-case hex sha256').nullable(),
    node: z.object({
      did: z.string().regex(/^did:(?:web|key):\S+$/, 'a did:web or did:key'),
      name: text,
      // Absolute: signed links must name the node's host, wherever a copy is read from.
      url: httpUrl,
    }),
    language: z.object({
      tag: z.string().refine((tag) => parseLanguageTag(tag)?.tag === tag, 'a canonical BCP-47 tag (e.g. sw, pa-Arab)'),
      iso639_3: z.string().regex(/^[a-z]{3}$/),
      name: text,
    }),
    modality: z.enum(['text', 'speech']),
    license: z.object({
      spdx: z.string().regex(/^(?:LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)$/, 'an SPDX id or LicenseRef-…'),
      url: httpUrl,
    }),
    accessClass: z.enum(['open', 'gated', 'on-request']),
    usage: z.object({
      permitted: z.array(z.enum(USAGE_ACTIONS)),
      duties: z.array(z.enum(USAGE_DUTIES)),
      purposes: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/)).min(1),
    }),
    localContexts: z.array(z.object({ label: text, url: httpUrl })).optional(),
    counts: z.object({
      records: count,
      hours,
      speakers: count,
      bySplit: z.record(z.string().regex(SPLIT_NAME, 'a split name (\\w+)'), splitCounts),
    }),
    demographics: z.array(z.object({ field: z.enum(DEMOGRAPHIC_FIELDS), value: text, speakers: count })),
    shards: z
      .array(
        z.object({
          name: z.string().regex(SHARD_NAME, 'a relative path of [A-Za-z0-9_.-] segments'),
          split: z.string(),
          sha256: z.string().regex(SHA256, 'lower-case hex sha256'),
          bytes: count,
          records: count,
          encodingFormat: z.enum(['application/x-parquet', 'application/x-tar']),
        }),
      )
      .min(1),
    pipeline: z.record(z.string().min(1), text),
    collection: z.object({
      method: text,
      consent: text,
      validation: text,
      startDate: dateOrDateTime.nullable(),
      endDate: dateOrDateTime.nullable(),
    }),
    withdrawnSincePrevious: count,
  })
  .superRefine((release, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });

    if (Date.parse(release.expires) <= Date.parse(release.published)) issue(['expires'], 'must be after published');
    const { startDate, endDate } = release.collection;
    if (startDate && endDate && Date.parse(endDate) < Date.parse(startDate)) {
      issue(['collection', 'endDate'], 'must not be before startDate');
    }
    if (release.previousManifest === null && release.withdrawnSincePrevious > 0) {
      issue(['withdrawnSincePrevious'], 'must be 0 for a first release');
    }
    for (const key of ['permitted', 'duties', 'purposes'] as const) {
      const values: readonly string[] = release.usage[key];
      if (new Set(values).size !== values.length) issue(['usage', key], 'must not repeat a value');
    }

    const speech = release.modality === 'speech';
    if (speech && release.counts.hours === null) issue(['counts', 'hours'], 'speech releases state their hours');

    // The counts must be the shards' counts: the manifest is the trainer's only summary of them.
    const splits = release.counts.bySplit;
    const shardRecords = new Map<string, number>();
    const names = new Set<string>();
    release.shards.forEach((shard, index) => {
      if (names.has(shard.name)) issue(['shards', index, 'name'], `duplicate shard ${shard.name}`);
      names.add(shard.name);
      if (!Object.hasOwn(splits, shard.split)) issue(['shards', index, 'split'], `split ${shard.split} is not in counts.bySplit`);
      // Hugging Face naming ({split}-00000-of-00003.parquet): the dataset card's data_files globs
      // and the manifest's split regex read the split from the file name.
      const basename = shard.name.slice(shard.name.lastIndexOf('/') + 1);
      if (!basename.startsWith(`${shard.split}-`)) issue(['shards', index, 'name'], `file name must start with "${shard.split}-"`);
      shardRecords.set(shard.split, (shardRecords.get(shard.split) ?? 0) + shard.records);
    });
    if (new Set(release.shards.map((shard) => shard.encodingFormat)).size > 1) {
      issue(['shards'], 'all shards of a release have one format (Parquet or WebDataset)');
    }
    let total = 0;
    for (const [split, counts] of Object.entries(splits)) {
      total += counts.records;
      if (!shardRecords.has(split)) issue(['counts', 'bySplit', split], 'has no shard');
      else if (shardRecords.get(split) !== counts.records) {
        issue(['counts', 'bySplit', split, 'records'], `is ${counts.records} but its shards hold ${shardRecords.get(split)}`);
      }
      if (counts.speakers > release.counts.speakers) issue(['counts', 'bySplit', split, 'speakers'], 'exceeds counts.speakers');
      if (speech && counts.hours === null) issue(['counts', 'bySplit', split, 'hours'], 'speech releases state their hours');
    }
    if (total !== release.counts.records) issue(['counts', 'records'], `is ${release.counts.records} but the splits add up to ${total}`);

    const cells = new Set<string>();
    release.demographics.forEach((cell, index) => {
      const key = `${cell.field}\u0000${cell.value}`;
      if (cells.has(key)) issue(['demographics', index], `duplicate cell ${cell.field}=${cell.value}`);
      cells.add(key);
      if (cell.speakers > release.counts.speakers) issue(['demographics', index, 'speakers'], 'exceeds counts.speakers');
    });
  }) satisfies z.ZodType<ReleaseDescription>;

/** Returns the release unchanged when valid, else throws InvalidReleaseError listing every problem. */
export function checkRelease(release: ReleaseDescription): ReleaseDescription {
  const result = releaseDescriptionSchema.safeParse(release);
  if (result.success) return release;
  throw new InvalidReleaseError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
}
