import { sign, verify, type KeyObject } from 'node:crypto';
import { assertEd25519Private } from './keys.js';

/**
 * DSSE v1 envelopes (github.com/secure-systems-lab/dsse) with Ed25519. The signature covers
 * PAE(payloadType, payload), so the type cannot be swapped under a valid signature, and the
 * payload travels as base64 of the exact bytes that were signed: verifiers check those bytes and
 * only then parse them, and an index can store and re-serve the envelope verbatim.
 */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

export type VerifyResult = { ok: true; payload: Uint8Array; keyid: string } | { ok: false; reason: string };

const SP = Buffer.from(' ');

/** DSSEv1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from('DSSEv1'),
    SP,
    Buffer.from(String(type.length)),
    SP,
    type,
    SP,
    Buffer.from(String(payload.length)),
    SP,
    payload,
  ]);
}

export function signEnvelope(payload: Uint8Array, payloadType: string, key: KeyObject, keyid: string): DsseEnvelope {
  assertEd25519Private(key, 'signing');
  const sig = sign(null, pae(payloadType, payload), key);
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid, sig: sig.toString('base64') }],
  };
}

/**
 * Accepts the envelope when at least one signature verifies under the public key registered for
 * its keyid. Signatures whose keyid is unknown are skipped, never tried against other keys: the
 * caller's map is the set of keys it trusts (e.g. the keys an index pinned for a node), and a
 * keyid is only a hint for picking among them. The envelope comes from a peer, so its shape is
 * checked here rather than trusted from the type.
 */
export function verifyEnvelope(envelope: DsseEnvelope, publicKeys: Map<string, KeyObject>): VerifyResult {
  const shape = checkShape(envelope);
  if (shape) return { ok: false, reason: shape };

  const payload = decodeBase64(envelope.payload);
  if (!payload) return { ok: false, reason: 'payload is not valid base64' };
  const message = pae(envelope.payloadType, payload);

  let knownKeyid = false;
  for (const { keyid, sig } of envelope.signatures) {
    const key = publicKeys.get(keyid);
    if (!key) continue;
    knownKeyid = true;
    if (key.asymmetricKeyType !== 'ed25519') return { ok: false, reason: `key ${keyid} is not an Ed25519 key` };
    const signature = decodeBase64(sig);
    if (!signature || signature.length !== 64) continue;
    if (verify(null, message, key, signature)) return { ok: true, payload, keyid };
  }
  return { ok: false, reason: knownKeyid ? 'signature does not verify' : 'no signature by a known key' };
}

function checkShape(envelope: unknown): string | null {
  if (typeof envelope !== 'object' || envelope === null) return 'envelope is not an object';
  const { payloadType, payload, signatures } = envelope as Record<string, unknown>;
  if (typeof payloadType !== 'string' || payloadType === '') return 'payloadType is missing';
  if (typeof payload !== 'string') return 'payload is missing';
  if (!Array.isArray(signatures) || signatures.length === 0) return 'signatures are missing';
  for (const entry of signatures) {
    if (typeof entry !== 'object' || entry === null) return 'a signature is not an object';
    const { keyid, sig } = entry as Record<string, unknown>;
    if (typeof keyid !== 'string' || typeof sig !== 'string') return 'a signature lacks keyid or sig';
  }
  return null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * Standard or URL-safe base64, padded or not (DSSE: verifiers must accept either alphabet).
 * Strict: Buffer.from(…, 'base64') skips characters it does not know and ignores unused trailing
 * bits, so two different strings could decode to the same signature; only the canonical spelling
 * of each byte string is accepted.
 */
function decodeBase64(text: string): Buffer | null {
  const standard = text.replaceAll('-', '+').replaceAll('_', '/');
  if (!BASE64.test(standard)) return null;
  const bytes = Buffer.from(standard, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== standard.replace(/=+$/, '')) return null;
  return bytes;
}
