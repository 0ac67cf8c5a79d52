import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../../pipelines/release/manifest/canonical-json.js';
import type { DsseEnvelope } from '../../../pipelines/signing/dsse.js';

/**
 * A DSSE envelope as a node sends it. Only its shape is checked here; the signature and payload
 * are the services' business. Standard or URL-safe base64 (DSSE allows either), bounded so that
 * the body limit is not the only guard.
 */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
export const envelopeBodySchema = z
  .strictObject({
    payloadType: z.string().min(1).max(200),
    payload: base64.min(1).max(16 * 1024 * 1024),
    signatures: z
      .array(z.strictObject({ keyid: z.string().max(200), sig: base64.max(200) }))
      .min(1)
      .max(16),
  })
  .describe('A DSSE envelope: payload is base64 of the exact signed bytes');

export type EnvelopeBody = z.output<typeof envelopeBodySchema>;

/**
 * What the index keeps and serves of an envelope: its canonical JSON (RFC 8785). Re-serialising
 * loses nothing a verifier needs, since the signature covers the payload bytes, which travel
 * inside as the same base64 string; it makes the stored bytes, and so their sha256, the same
 * however the node spelt its JSON.
 */
export function storedEnvelope(envelope: EnvelopeBody): { body: string; sha256: string; envelope: DsseEnvelope } {
  const body = canonicalJson({ payloadType: envelope.payloadType, payload: envelope.payload, signatures: envelope.signatures });
  return { body, sha256: sha256Hex(body), envelope };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
