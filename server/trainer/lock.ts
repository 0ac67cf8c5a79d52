import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SHA256, SHARD_NAME } from '../../pipelines/release/manifest/release-schema.js';
import { LockInvalidError } from './errors.js';

/**
 * `tributary.lock.json`: what a pulled folder holds and where it came from, so that `tributary
 * verify` can re-check every file and apply the index's later notices. Versioned: a reader
 * refuses a `lockVersion` it does not know rather than guess at it. Version 1 locks (before node
 * keys were pinned) are refused too: what they lack cannot be recovered without trusting the
 * index, so the folder is pulled again.
 */
export const LOCK_FILE = 'tributary.lock.json';
export const LOCK_VERSION = 2;

/** A source's folder under `sources/` and its config name in the card. */
export const SOURCE_ID = /^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$/;
/** Where shards sit in the folder: Hugging Face split naming, renumbered across all sources. */
export const LOCAL_SHARD_NAME = /^data\/(\w+)-(\d{5,})-of-(\d{5,})\.parquet$/;

const sha256 = z.string().regex(SHA256, 'lower-case hex sha256');
const count = z.number().int().nonnegative();

/** The shard as it is in the folder now. */
const localShardSchema = z
  .object({
    name: z.string().regex(LOCAL_SHARD_NAME, 'data/{split}-{i:05d}-of-{n:05d}.parquet'),
    sha256,
    bytes: count,
    records: count,
  })
  .strict();

const lockShardSchema = z
  .object({
    /** The shard's name in the signed manifest (and in withdrawal notices). */
    name: z.string().regex(SHARD_NAME),
    split: z.string().regex(/^\w+$/),
    /** sha256, size and record count as signed: what the node released. */
    sha256,
    bytes: count,
    records: count,
    /** The file in `data/`; differs from the signed one once records were dropped; null when none is left. */
    local: localShardSchema.nullable(),
    /** Record keys removed from this shard since it was downloaded (withdrawals), sorted. */
    droppedKeys: z.array(z.string()),
  })
  .strict();

const lockSourceSchema = z
  .object({
    id: z.string().regex(SOURCE_ID),
    node: z.object({ did: z.string().min(1), name: z.string(), url: z.string() }).strict(),
    datasetId: z.string().min(1),
    version: z.string().min(1),
    /** The log index of the manifest's `manifest.published` entry; retractions logged before it are not about this release. Null when not known. */
    logIndex: count.nullable(),
    /** sha256 of the signed manifest bytes (the DSSE payload): the manifest's id at the index. */
    manifestId: sha256,
    /** sha256 of `sources/<id>/croissant.dsse.json`, the envelope as the node served it. */
    envelopeSha256: sha256,
    /** sha256 of `sources/<id>/README.md`, the node's dataset card. */
    cardSha256: sha256,
    shards: z.array(lockShardSchema).min(1),
  })
  .strict();

const publishedKeySchema = z.object({ keyId: z.string().min(1), publicKey: z.string().min(1) }).strict();

/**
 * A node's keys as the folder first took them (checked against the node's signed registration
 * and, for did:web, its own well-known document): later runs refuse any other first signing key
 * or rotation key, and any rotation history that does not extend this one.
 */
export const nodePinSchema = z
  .object({
    did: z.string().min(1),
    firstKey: publishedKeySchema,
    rotationKey: publishedKeySchema,
    /** Digests (`sha256:<hex>` of the signed payload) of the rotation statements accepted, in order. */
    rotations: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/)),
  })
  .strict();
export type NodePin = z.output<typeof nodePinSchema>;

/** Where the folder stands with the index; written by `pull` and `verify`, kept by the folder writer. */
const indexStateSchema = z
  .object({
    url: z.string().nullable(),
    /** The index's log verifier key (`<origin>+<key id>+<key>`), pinned on the first pull; a later pull or verify refuses another. */
    logKey: z.string().min(1).nullable().optional(),
    /** The change feed's cursor after the last notice applied. */
    feedCursor: z.string().nullable(),
    /** The index's signed log checkpoint the folder was last checked against. */
    checkpoint: z
      .object({ size: count, rootHash: z.string().min(1), note: z.string().min(1) })
      .strict()
      .nullable(),
    /** The keys of every node the folder took data from, pinned. */
    nodes: z.array(nodePinSchema).default([]),
  })
  .strict();

export const lockSchema = z
  .object({
    lockVersion: z.literal(LOCK_VERSION),
    sources: z.array(lockSourceSchema),
    index: indexStateSchema,
  })
  .strict();

export type Lock = z.output<typeof lockSchema>;
export type LockSource = Lock['sources'][number];
export type LockShard = LockSource['shards'][number];
export type IndexState = Lock['index'];

export const EMPTY_INDEX_STATE: IndexState = { url: null, feedCursor: null, checkpoint: null, nodes: [] };

/** The lock as written: two-space JSON and a final newline, so the same lock gives the same bytes. */
export function lockText(lock: Lock): string {
  return `${JSON.stringify(lockSchema.parse(lock), null, 2)}\n`;
}

/** The folder's lock; null when the folder has none (a new folder). Throws LockInvalid for a broken one. */
export async function readLock(dir: string): Promise<Lock | null> {
  let text: string;
  try {
    text = await readFile(join(dir, LOCK_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseLock(text);
}

export function parseLock(text: string): Lock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LockInvalidError(`${LOCK_FILE} is not JSON`);
  }
  if ((json as { lockVersion?: unknown } | null)?.lockVersion === 1) {
    throw new LockInvalidError(
      `${LOCK_FILE} is lockVersion 1, written before folders pinned their nodes' keys and could not be checked now without trusting the index: pull into a new folder`,
    );
  }
  const parsed = lockSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new LockInvalidError(`${LOCK_FILE}: ${first?.path.join('.') || '(root)'} ${first?.message ?? 'is not valid'}`);
  }
  return parsed.data;
}
