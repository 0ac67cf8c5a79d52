import { z } from 'zod';
import { SEMVER, SHA256, SHARD_NAME } from '../manifest/release-schema.js';

/**
 * The signed Croissant manifest as a verifier reads it: the fields a trainer, `tributary pull`
 * or an index relies on, checked; everything else (RecordSets, RAI, the ODRL policy, …) passes
 * through untouched. `buildManifest` (pipelines/release/manifest) writes what this reads.
 */
const httpUrl = z.url({ protocol: /^https?$/ });
const count = z.number().int().nonnegative();
/**
 * An instant as Tributary writes it (`toISOString`), or any RFC 3339 form of one: bounded in
 * length (a 100,000-digit fraction is not a date), and one `Date` can hold, so that readers can
 * compare instants instead of strings (`new Date(x).toISOString()` is its normal form).
 */
const dateTime = z.iso
  .datetime({ offset: true })
  .max(35)
  .refine((value) => Number.isFinite(Date.parse(value)), 'an instant a Date can hold');

/** One shard as the manifest lists it: a Croissant FileObject with Tributary's fields. */
const fileObjectSchema = z.looseObject({
  '@type': z.literal('cr:FileObject'),
  // A shard's name is a path on the verifier's disk: no '..', no absolute path.
  name: z.string().regex(SHARD_NAME, 'a relative path of [A-Za-z0-9_.-] segments'),
  contentUrl: httpUrl,
  contentSize: z.string().regex(/^(?:0|[1-9]\d{0,15}) B$/, '"<bytes> B"'),
  encodingFormat: z.enum(['application/x-parquet', 'application/x-tar']),
  sha256: z.string().regex(SHA256, 'lower-case hex sha256'),
  'tributary:split': z.string().regex(/^\w+$/),
  'tributary:records': count,
});

export interface ManifestShard {
  name: string;
  contentUrl: string;
  bytes: number;
  sha256: string;
  split: string;
  records: number;
  encodingFormat: 'application/x-parquet' | 'application/x-tar';
}

export const signedManifestSchema = z
  .looseObject({
    '@context': z.looseObject({}),
    '@type': z.literal('sc:Dataset'),
    name: z.string().min(1),
    version: z.string().regex(SEMVER, 'a semantic version'),
    datePublished: dateTime,
    url: httpUrl,
    license: httpUrl.max(500),
    distribution: z.array(z.looseObject({ '@type': z.string() })).min(1),
    'tributary:nodeDid': z.string().regex(/^did:(?:web|key):\S+$/, 'a did:web or did:key'),
    'tributary:datasetId': z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
    'tributary:releaseVersion': z.string(),
    'tributary:rev': z.number().int().positive(),
    'tributary:expires': dateTime,
    'tributary:previousManifest': z.string().regex(SHA256).nullable(),
    'tributary:accessClass': z.enum(['open', 'gated', 'on-request']),
    'tributary:modality': z.enum(['text', 'speech']),
    'tributary:spdx': z.string().min(1).max(64),
    'tributary:consentPurposes': z.array(z.string()),
    'tributary:records': count,
    'tributary:withdrawnSincePrevious': count,
  })
  .transform((manifest, ctx) => {
    const shards: ManifestShard[] = [];
    let broken = false;
    manifest.distribution.forEach((resource, index) => {
      if (resource['@type'] !== 'cr:FileObject') return;
      const parsed = fileObjectSchema.safeParse(resource);
      if (!parsed.success) {
        broken = true;
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: 'custom', path: ['distribution', index, ...issue.path], message: issue.message });
        }
        return;
      }
      const file = parsed.data;
      shards.push({
        name: file.name,
        contentUrl: file.contentUrl,
        bytes: Number(file.contentSize.slice(0, -2)),
        sha256: file.sha256,
        split: file['tributary:split'],
        records: file['tributary:records'],
        encodingFormat: file.encodingFormat,
      });
    });
    if (shards.length === 0 && !broken) ctx.addIssue({ code: 'custom', path: ['distribution'], message: 'lists no shard (cr:FileObject)' });
    const names = new Set<string>();
    for (const shard of shards) {
      if (names.has(shard.name)) ctx.addIssue({ code: 'custom', path: ['distribution'], message: `lists ${shard.name} twice` });
      names.add(shard.name);
    }
    if (manifest['tributary:releaseVersion'] !== manifest.version) {
      ctx.addIssue({ code: 'custom', path: ['tributary:releaseVersion'], message: `is not the version (${manifest.version})` });
    }
    const records = shards.reduce((sum, shard) => sum + shard.records, 0);
    if (shards.length > 0 && records !== manifest['tributary:records']) {
      ctx.addIssue({ code: 'custom', path: ['tributary:records'], message: `is ${manifest['tributary:records']} but the shards hold ${records}` });
    }
    return {
      document: manifest as Record<string, unknown>,
      nodeDid: manifest['tributary:nodeDid'],
      datasetId: manifest['tributary:datasetId'],
      version: manifest.version,
      rev: manifest['tributary:rev'],
      expires: manifest['tributary:expires'],
      previousManifest: manifest['tributary:previousManifest'],
      shards,
    };
  });

/** What a verifier knows of a manifest once it is signed by a trusted key and well-formed. */
export type SignedManifest = z.output<typeof signedManifestSchema>;
