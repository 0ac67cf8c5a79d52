import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** One item or a comma-separated list of up to ten, each matching `item`. */
const listOf = (item: string, max = 10) => new RegExp(`^(?:${item})(?:,(?:${item})){0,${max - 1}}$`);
const RANGE = String.raw`\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*`;
const SPDX = String.raw`[A-Za-z0-9][A-Za-z0-9.+-]{0,63}`;
const PERMIT = String.raw`train|evaluate|commercial-model|redistribute|train-[a-z0-9]+(?:-[a-z0-9]+)*`;
const ACCESS = 'open|gated|on-request';
const DID = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]{1,200}$/;

export const searchQuery = z.object({
  lang: z
    .string()
    .regex(listOf(RANGE), 'lang: one to ten RFC 4647 language ranges, comma-separated (sw, sw-KE, pa, *)')
    .optional()
    .describe('RFC 4647 basic ranges, case-insensitive: `sw` finds `sw` and `sw-KE`, `*` anything'),
  modality: z.enum(['text', 'speech']).optional(),
  license: z.string().regex(listOf(SPDX), 'license: one to ten SPDX license ids, comma-separated (CC-BY-4.0)').optional().describe('SPDX ids, case-insensitive'),
  permits: z
    .string()
    .regex(listOf(PERMIT), 'permits: train, evaluate, commercial-model, redistribute or a training purpose (train-asr), comma-separated')
    .optional()
    .describe('every one must be permitted by the ODRL terms; `train-asr` is `train` for that consent purpose'),
  access: z.string().regex(listOf(ACCESS, 3), 'access: open, gated or on-request, comma-separated').optional(),
  minHours: z.coerce.number().min(0).max(1e9).optional(),
  minRecords: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  node: z.string().regex(DID, 'node: a DID (did:web:…, did:key:…)').optional(),
  q: z.string().max(200).optional().describe('free text over names and descriptions: every word, as a word prefix'),
  cursor: z.string().max(300).optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const manifestItem = z.object({
  id: sha256.describe('sha256 of the signed manifest bytes'),
  dataset: z.string(),
  version: z.string(),
  rev: z.number().int(),
  name: z.string(),
  description: z.string(),
  language: z.object({ tag: z.string().nullable(), iso639_3: z.string().nullable() }),
  modality: z.enum(['text', 'speech']),
  license: z.string().describe('SPDX id'),
  accessClass: z.enum(['open', 'gated', 'on-request']),
  permits: z.array(z.string()).describe('the actions the ODRL terms permit'),
  records: z.number().int(),
  hours: z.number().nullable(),
  speakers: z.number().int().nullable(),
  published: z.string(),
  expires: z.string(),
  node: z.object({ did: z.string(), name: z.string(), url: z.string(), stale: z.boolean(), lastHeardAt: z.string() }),
  logIndex: z.number().int().describe('log index of the manifest.published event'),
  envelope: z.string().describe('path of the stored envelope: /api/v1/envelopes/<sha256>'),
});

export const searchView = z.object({
  manifests: z.array(manifestItem),
  next: z.string().nullable().describe('the cursor of the next page; null on the last'),
  totals: z
    .object({ datasets: z.number().int(), records: z.number().int(), hours: z.number(), speakers: z.number().int(), nodes: z.number().int() })
    .describe('of the whole match, not the page'),
});

export const manifestParams = z.object({ id: sha256 });
export const manifestView = manifestItem.extend({
  status: z.enum(['current', 'superseded', 'retracted', 'suspended', 'expired']),
  supersededBy: sha256.nullable(),
});

export const nodeParams = z.object({ did: z.string().regex(DID, 'a DID (did:web:…, did:key:…)') });
const key = z.object({ keyId: z.string(), publicKey: z.string().describe('publicKeyMultibase') });
export const nodeView = z.object({
  did: z.string(),
  name: z.string(),
  url: z.string(),
  languages: z.array(z.string()),
  status: z.enum(['active', 'stale', 'suspended']),
  suspended: z.object({ at: z.string(), reason: z.string() }).nullable(),
  lastHeardAt: z.string(),
  registeredAt: z.string(),
  signingKeys: z.array(key.extend({ since: z.number().int().describe('the rotation that introduced it; 0 = the first key'), current: z.boolean() })),
  rotationKey: key,
  keyRotations: z.array(z.unknown()).describe('the rotation statements (DSSE envelopes) as the node sent them, oldest first'),
  registration: sha256.describe('sha256 of the registration envelope, served at /envelopes/<sha256>'),
});
