import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../release/manifest/canonical-json.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from '../signing/dsse.js';

/**
 * What nodes say to indexes, and indexes pass on to trainers: each a small JSON statement, signed
 * by the node's signing key in a DSSE envelope over its canonical bytes (RFC 8785), and stored and
 * re-served verbatim, so anyone holding a copy can check it against the node's keys. Manifests are
 * statements too (pipelines/release/manifest, payload type MANIFEST_PAYLOAD_TYPE); key changes are
 * key-rotation statements (pipelines/signing/key-rotation.ts), signed by the rotation key.
 *
 * Every statement names its node (`node`, a DID) and a time; the schemas are strict, so a field a
 * peer adds is refused rather than silently carried along.
 */
export const PAYLOAD_TYPES = {
  registration: 'application/vnd.tributary.node-registration.v1+json',
  heartbeat: 'application/vnd.tributary.heartbeat.v1+json',
  withdrawal: 'application/vnd.tributary.withdrawal-notice+json',
  retraction: 'application/vnd.tributary.retraction.v1+json',
  accessChange: 'application/vnd.tributary.access-change.v1+json',
} as const;

const did = z.string().regex(/^did:(key|web):[A-Za-z0-9._:%-]+$/, 'a did:key or did:web');
const datasetId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'a dataset id');
const version = z.string().regex(/^\d+\.\d+\.\d+$/, 'a release version');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const instant = z.iso.datetime();
const publishedKey = z.strictObject({
  id: z.string().min(1).max(100),
  type: z.literal('Ed25519VerificationKey2020'),
  use: z.enum(['signing', 'rotation']),
  publicKeyMultibase: z.string().min(1).max(100),
});

/**
 * A node introduces itself to an index: who it is, where its API is, and its keys (pinned by the
 * index on first use). Signed by the signing key it names; `keyRotations` carries the node's
 * rotation statements, so an index that pinned an older key can follow.
 */
export const registrationSchema = z.strictObject({
  type: z.literal('tributary:node-registration/1'),
  node: did,
  name: z.string().min(1).max(120),
  /** The node's public URL; every link it signs is under it. */
  url: z.url({ protocol: /^https?$/ }).max(300),
  languages: z.array(z.string().min(1).max(35)).min(1).max(64),
  publicKeys: z.array(publishedKey).length(2),
  keyRotations: z.array(z.unknown()).max(1000).default([]),
  issued: instant,
});

/** "Still here": a node that misses its heartbeats is shown as stale. A heartbeat expires. */
export const heartbeatSchema = z.strictObject({
  type: z.literal('tributary:heartbeat/1'),
  node: did,
  /** Increases with every heartbeat; an index takes none that is not newer than the last. */
  sequence: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  issued: instant,
  expires: instant,
  /** The current version of each dataset, so an index sees what it missed. */
  datasets: z.array(z.strictObject({ id: datasetId, version, manifestSha256: sha256 })).max(10_000),
});

/** Records a node withdrew from a release (consent withdrawn, erasure, moderation). */
export const withdrawalSchema = z.strictObject({
  type: z.literal('tributary:withdrawal-notice/1'),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  node: did,
  dataset: datasetId,
  release: z.strictObject({ version }),
  records: z.array(z.string().min(1).max(64)).min(1).max(1_000_000),
  shards: z.array(z.strictObject({ name: z.string().min(1).max(200), sha256 })).min(1),
  reason: z.enum(['consent-withdrawn', 'moderation']),
  /** The UTC day, no finer (see pipelines/release/manifest/README.md, "Withdrawal notices"). */
  issued: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

/** The community takes a dataset back as a whole (CARE): every copy should go. */
export const retractionSchema = z.strictObject({
  type: z.literal('tributary:retraction/1'),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  node: did,
  dataset: datasetId,
  reason: z.string().min(1).max(1000),
  issued: instant,
});

/** The community changes who may download a dataset. */
export const accessChangeSchema = z.strictObject({
  type: z.literal('tributary:access-change/1'),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  node: did,
  dataset: datasetId,
  accessClass: z.enum(['open', 'gated', 'on-request']),
  issued: instant,
});

export type Registration = z.output<typeof registrationSchema>;
export type Heartbeat = z.output<typeof heartbeatSchema>;
export type WithdrawalNotice = z.output<typeof withdrawalSchema>;
export type RetractionNotice = z.output<typeof retractionSchema>;
export type AccessChangeNotice = z.output<typeof accessChangeSchema>;

const SCHEMAS = {
  [PAYLOAD_TYPES.registration]: registrationSchema,
  [PAYLOAD_TYPES.heartbeat]: heartbeatSchema,
  [PAYLOAD_TYPES.withdrawal]: withdrawalSchema,
  [PAYLOAD_TYPES.retraction]: retractionSchema,
  [PAYLOAD_TYPES.accessChange]: accessChangeSchema,
} as const;

export type StatementType = keyof typeof SCHEMAS;
export type Statement<T extends StatementType> = z.output<(typeof SCHEMAS)[T]>;

/** Signs a statement over its canonical JSON bytes. */
export function signStatement<T extends StatementType>(
  payloadType: T,
  statement: z.input<(typeof SCHEMAS)[T]>,
  key: KeyObject,
  keyid: string,
): DsseEnvelope {
  const checked = SCHEMAS[payloadType].parse(statement);
  return signEnvelope(new TextEncoder().encode(canonicalJson(checked)), payloadType, key, keyid);
}

export type OpenedStatement<T extends StatementType> =
  | { ok: true; statement: Statement<T>; payload: Uint8Array; keyid: string }
  | { ok: false; problem: 'PayloadType' | 'Signature' | 'Malformed'; reason: string };

/**
 * Checks an envelope from a peer: the payload type asked for, a signature by one of the keys the
 * caller trusts, and a payload that is exactly this kind of statement. Never throws.
 */
export function openStatement<T extends StatementType>(
  envelope: unknown,
  payloadType: T,
  trustedKeys: Map<string, KeyObject>,
): OpenedStatement<T> {
  const type = (envelope as { payloadType?: unknown } | null)?.payloadType;
  if (type !== payloadType) return { ok: false, problem: 'PayloadType', reason: `expected ${payloadType}, got ${String(type)}` };
  const verdict = verifyEnvelope(envelope as DsseEnvelope, trustedKeys);
  if (!verdict.ok) return { ok: false, problem: 'Signature', reason: verdict.reason };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verdict.payload));
  } catch {
    return { ok: false, problem: 'Malformed', reason: 'the payload is not UTF-8 JSON' };
  }
  const parsed = SCHEMAS[payloadType].safeParse(json);
  if (!parsed.success) {
    return { ok: false, problem: 'Malformed', reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  return { ok: true, statement: parsed.data as Statement<T>, payload: verdict.payload, keyid: verdict.keyid };
}

/** The payload of an envelope as JSON, unchecked and unverified: only to learn which node signed it. */
export function peekPayload(envelope: unknown): unknown {
  try {
    const payload = (envelope as { payload?: unknown }).payload;
    if (typeof payload !== 'string') return undefined;
    return JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}
