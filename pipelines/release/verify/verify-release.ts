import { createHash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { verifyEnvelope, type DsseEnvelope } from '../../signing/dsse.js';
import { MANIFEST_PAYLOAD_TYPE } from '../manifest/croissant.js';
import { signedManifestSchema, type ManifestShard, type SignedManifest } from './manifest-schema.js';
import type { ReleaseProblem } from './problems.js';

/** Recorded in every verdict, as each stage records its version in what it produces. */
export const VERIFY_RELEASE_VERSION = 'tributary-verify-release@1';

export type ReleaseCheckKind = 'envelope' | 'signature' | 'manifest' | 'expiry' | 'copy' | 'shard';

export interface ReleaseCheck {
  kind: ReleaseCheckKind;
  /** What was checked: the kind, or for a shard its name in the manifest. */
  item: string;
  ok: boolean;
  /** Why it failed, as a stable code; null when ok. */
  problem: ReleaseProblem | null;
  /** One line for people. */
  detail: string;
}

export interface ReleaseVerdict {
  /** Every check ran and passed. */
  ok: boolean;
  /** In the order they ran; a check that others depend on stops the run when it fails. */
  checks: ReleaseCheck[];
  /** The distinct problems found, in the order found. */
  problems: ReleaseProblem[];
  /** The trusted key whose signature verified, else null. */
  keyid: string | null;
  /** The manifest, once signed by a trusted key and well-formed (even if expired or a shard is off). */
  manifest: SignedManifest | null;
  /** The exact signed bytes, once the signature verified. */
  payload: Uint8Array | null;
  verifier: typeof VERIFY_RELEASE_VERSION;
}

/** A shard's bytes, streamed; a Node Readable will do. */
export type ShardSource = AsyncIterable<Uint8Array>;

export interface VerifyReleaseDeps {
  /**
   * The keys the CALLER trusts, by key id: pinned from the node's well-known document, given by
   * a person, held by an index. Nothing the envelope or the manifest says adds to them.
   */
  trustedKeys: ReadonlyMap<string, KeyObject>;
  /** A shard's bytes by its name in the manifest, or null when there is no such shard. */
  openShard: (name: string) => ShardSource | null | Promise<ShardSource | null>;
  /** When given, the manifest must name this node (the one whose keys were trusted). */
  expectedDid?: string;
  /**
   * An unsigned copy of the manifest shown beside the envelope (a release folder's
   * croissant.json), which people and tools read: it must be the signed bytes exactly. `bytes`
   * null means the copy is absent, which is fine.
   */
  publishedCopy?: { name: string; bytes: Uint8Array | null };
  /** The time the expiry is judged against; now by default. */
  now?: Date;
}

const envelopeSchema = z.object({
  payloadType: z.string().min(1),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).min(1),
});

/**
 * Verifies a signed release: the DSSE envelope's shape and payload type, the signature against
 * the caller's keys only, the manifest's schema (and node, when the caller names one), its
 * expiry, an unsigned copy of it if the caller has one, and each shard's size and sha256,
 * streaming. Nothing unsigned is parsed as a manifest,
 * and no shard is read against a manifest that is not trusted; an expired manifest still has
 * its shards checked, so the verdict says everything that is wrong at once. Never throws for
 * what it is given: a hostile envelope or shard is a verdict.
 */
export async function verifyRelease(envelopeBytes: Uint8Array | string, deps: VerifyReleaseDeps): Promise<ReleaseVerdict> {
  const checks: ReleaseCheck[] = [];
  const verdict = (extra: Partial<Pick<ReleaseVerdict, 'keyid' | 'manifest' | 'payload'>> = {}): ReleaseVerdict => {
    const problems = [...new Set(checks.flatMap((c) => (c.problem ? [c.problem] : [])))];
    const complete = checks.some((c) => c.kind === 'shard');
    return {
      ok: complete && checks.every((c) => c.ok),
      checks,
      problems,
      keyid: extra.keyid ?? null,
      manifest: extra.manifest ?? null,
      payload: extra.payload ?? null,
      verifier: VERIFY_RELEASE_VERSION,
    };
  };
  const pass = (kind: ReleaseCheckKind, detail: string, item: string = kind) => checks.push({ kind, item, ok: true, problem: null, detail });
  const fail = (kind: ReleaseCheckKind, problem: ReleaseProblem, detail: string, item: string = kind) =>
    checks.push({ kind, item, ok: false, problem, detail });

  // 1. The envelope: DSSE, and of a manifest.
  let json: unknown;
  try {
    json = JSON.parse(typeof envelopeBytes === 'string' ? envelopeBytes : new TextDecoder('utf-8', { fatal: true }).decode(envelopeBytes));
  } catch {
    fail('envelope', 'EnvelopeMalformed', 'not UTF-8 JSON');
    return verdict();
  }
  const shape = envelopeSchema.safeParse(json);
  if (!shape.success) {
    fail('envelope', 'EnvelopeMalformed', `not a DSSE envelope: ${firstIssue(shape.error)}`);
    return verdict();
  }
  const envelope: DsseEnvelope = shape.data;
  if (envelope.payloadType !== MANIFEST_PAYLOAD_TYPE) {
    fail('envelope', 'ManifestPayloadType', `payload type ${JSON.stringify(envelope.payloadType)} is not ${MANIFEST_PAYLOAD_TYPE}`);
    return verdict();
  }
  pass('envelope', `DSSE envelope, payload type ${MANIFEST_PAYLOAD_TYPE}`);

  // 2. The signature, by a key the caller trusts: a keyid is a hint among those keys, nothing more.
  const named = envelope.signatures.map((s) => s.keyid);
  if (!named.some((keyid) => deps.trustedKeys.has(keyid))) {
    const trusted = [...deps.trustedKeys.keys()];
    fail(
      'signature',
      'ManifestSignerUnknown',
      `signed by ${named.join(', ')}; trusted: ${trusted.length > 0 ? trusted.join(', ') : 'no key'}`,
    );
    return verdict();
  }
  const signed = verifyEnvelope(envelope, new Map(deps.trustedKeys));
  if (!signed.ok) {
    fail('signature', 'ManifestSignatureInvalid', signed.reason);
    return verdict();
  }
  pass('signature', `valid, by ${signed.keyid}`);
  const signedPart = { keyid: signed.keyid, payload: signed.payload };

  // 3. The manifest Tributary writes, about the node the caller asked about.
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(signed.payload));
  } catch {
    fail('manifest', 'ManifestMalformed', 'the signed payload is not UTF-8 JSON');
    return verdict(signedPart);
  }
  const parsed = signedManifestSchema.safeParse(document);
  if (!parsed.success) {
    fail('manifest', 'ManifestMalformed', firstIssue(parsed.error));
    return verdict(signedPart);
  }
  const manifest = parsed.data;
  if (deps.expectedDid !== undefined && manifest.nodeDid !== deps.expectedDid) {
    fail('manifest', 'ManifestWrongNode', `names ${manifest.nodeDid}, not ${deps.expectedDid}`);
    return verdict({ ...signedPart, manifest });
  }
  pass('manifest', `${manifest.datasetId} ${manifest.version} (rev ${manifest.rev}) of ${manifest.nodeDid}, ${manifest.shards.length} shard(s)`);

  // 4. Expiry: a stale manifest is refused, but its shards are still checked below.
  const now = deps.now ?? new Date();
  if (Date.parse(manifest.expires) <= now.getTime()) fail('expiry', 'ManifestExpired', `expired ${manifest.expires}`);
  else pass('expiry', `valid until ${manifest.expires}`);

  // 5. The unsigned copy beside the envelope, if any, says exactly what was signed.
  const copy = deps.publishedCopy;
  if (copy?.bytes) {
    if (Buffer.from(copy.bytes).equals(Buffer.from(signed.payload))) pass('copy', 'identical to the signed manifest', copy.name);
    else fail('copy', 'ManifestCopyDiffers', 'differs from the signed manifest: read the one in the envelope', copy.name);
  }

  // 6. Every shard, one at a time so memory stays flat however large the release.
  for (const shard of manifest.shards) checks.push(await checkShard(shard, deps.openShard));
  return verdict({ ...signedPart, manifest });
}

async function checkShard(shard: ManifestShard, open: VerifyReleaseDeps['openShard']): Promise<ReleaseCheck> {
  const result = (problem: ReleaseProblem | null, detail: string): ReleaseCheck => ({
    kind: 'shard',
    item: shard.name,
    ok: problem === null,
    problem,
    detail,
  });
  const hash = createHash('sha256');
  let size = 0;
  try {
    const source = await open(shard.name);
    if (!source) return result('ShardMissing', 'missing');
    for await (const chunk of source) {
      size += chunk.byteLength;
      // Past the size the manifest gives, the answer is known: stop reading (and the stream).
      if (size > shard.bytes) return result('ShardSizeMismatch', `larger than the manifest's ${shard.bytes} bytes`);
      hash.update(chunk);
    }
  } catch (error) {
    return result('ShardUnreadable', `could not be read: ${(error as Error).message}`);
  }
  if (size !== shard.bytes) return result('ShardSizeMismatch', `${size} bytes, the manifest says ${shard.bytes}`);
  const digest = hash.digest('hex');
  if (digest !== shard.sha256) return result('ShardHashMismatch', `sha256 is ${digest}, the manifest says ${shard.sha256}`);
  return result(null, `${shard.bytes} bytes, sha256 matches`);
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path ? `${path}: ` : ''}${issue.message}${more}`;
}
