/**
 * What `verifyRelease` can find wrong, as stable codes: callers (the CLI, `tributary pull`, the
 * index's intake) switch on them, and each has an explanation in locales/<lng>/errors.json.
 */
export const RELEASE_PROBLEMS = [
  /** Not JSON, or not a DSSE envelope {payloadType, payload, signatures[{keyid, sig}]}. */
  'EnvelopeMalformed',
  /** A DSSE envelope of something else than a Tributary manifest. */
  'ManifestPayloadType',
  /** No signature by any key the caller trusts. */
  'ManifestSignerUnknown',
  /** A signature by a trusted key that does not verify over these bytes. */
  'ManifestSignatureInvalid',
  /** Signed, but not JSON or not the manifest Tributary writes. */
  'ManifestMalformed',
  /** Signed by a trusted key but naming another node than the one the caller asked about. */
  'ManifestWrongNode',
  /** Past `tributary:expires`. */
  'ManifestExpired',
  /** The unsigned copy shown beside the envelope (croissant.json) is not the signed manifest. */
  'ManifestCopyDiffers',
  /** A shard the manifest lists is not there. */
  'ShardMissing',
  /** A shard whose size is not the manifest's contentSize. */
  'ShardSizeMismatch',
  /** A shard whose sha256 is not the manifest's. */
  'ShardHashMismatch',
  /** A shard that could not be read to the end. */
  'ShardUnreadable',
] as const;

export type ReleaseProblem = (typeof RELEASE_PROBLEMS)[number];
