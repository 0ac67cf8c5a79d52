import { z } from 'zod';
import { canonicalJson } from '../../../pipelines/release/manifest/canonical-json.js';

/**
 * The change feed's events. Each is one leaf of the index's Merkle log, and the leaf's bytes are
 * the UTF-8 of the event's canonical JSON (RFC 8785): a trainer holding an event recomputes its
 * leaf hash with `hashLeaf(canonicalJson(event))` and checks it against a signed checkpoint.
 *
 * An event about something a node signed names that envelope by `envelopeSha256`, the sha256 of
 * the envelope exactly as the index serves it at `GET /api/v1/envelopes/<sha256>`, so the log
 * commits to the signed bytes without carrying them. `v` is the leaf format's version; leaves
 * are kept for ever, so a new shape gets a new `v`.
 */
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const publishedKey = z.object({ id: z.string(), publicKeyMultibase: z.string() });
const base = { v: z.literal(1), at: z.iso.datetime(), node: z.string() };

export const feedEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('node.registered'),
    ...base,
    name: z.string(),
    url: z.string(),
    languages: z.array(z.string()),
    signingKey: publishedKey,
    rotationKey: publishedKey,
    envelopeSha256: sha256,
  }),
  z.object({
    type: z.literal('node.key-rotated'),
    ...base,
    sequence: z.number().int().positive(),
    previousKey: publishedKey,
    newKey: publishedKey,
    /** `sha256:<hex>` of the rotation statement's payload, as the statements chain it. */
    statement: z.string(),
    /** The registration that carried the statement. */
    envelopeSha256: sha256,
  }),
  z.object({
    type: z.literal('manifest.published'),
    ...base,
    dataset: z.string(),
    version: z.string(),
    rev: z.number().int(),
    manifestSha256: sha256,
    accessClass: z.enum(['open', 'gated', 'on-request']),
    expires: z.string(),
    envelopeSha256: sha256,
  }),
  z.object({
    type: z.literal('manifest.superseded'),
    ...base,
    dataset: z.string(),
    version: z.string(),
    rev: z.number().int(),
    manifestSha256: sha256,
    supersededBy: sha256,
  }),
  z.object({
    type: z.literal('withdrawal'),
    ...base,
    dataset: z.string(),
    version: z.string(),
    notice: z.string(),
    reason: z.string(),
    records: z.number().int(),
    shards: z.array(z.object({ name: z.string(), sha256 })),
    envelopeSha256: sha256,
  }),
  z.object({
    type: z.literal('dataset.retracted'),
    ...base,
    dataset: z.string(),
    notice: z.string(),
    reason: z.string(),
    envelopeSha256: sha256,
  }),
  z.object({
    type: z.literal('dataset.access-changed'),
    ...base,
    dataset: z.string(),
    notice: z.string(),
    accessClass: z.enum(['open', 'gated', 'on-request']),
    envelopeSha256: sha256,
  }),
  z.object({ type: z.literal('node.stale'), ...base, lastHeardAt: z.string() }),
  z.object({ type: z.literal('node.suspended'), ...base, reason: z.string() }),
]);

export type FeedEvent = z.output<typeof feedEventSchema>;

/** The bytes of an event's log leaf. */
export function leafOf(event: FeedEvent): string {
  return canonicalJson(event);
}

/** The dataset an event is about, if any (a column of the feed, for search and per-dataset reads). */
export function datasetOf(event: FeedEvent): string | null {
  return 'dataset' in event ? event.dataset : null;
}
