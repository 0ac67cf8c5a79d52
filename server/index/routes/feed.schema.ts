import { z } from 'zod';
import { feedEventSchema } from '../domain/feed-events.js';

const position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const feedQuery = z.object({
  cursor: position.default(0).describe('the log index to start from: 0, or the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const feedView = z.object({
  events: z.array(z.object({ index: z.number().int(), event: feedEventSchema })),
  next: z.number().int().describe('the cursor for the next page'),
  size: z.number().int().describe('the log’s size when the page was read'),
});

export const inclusionQuery = z.object({ index: position, size: position });
export const consistencyQuery = z.object({ from: position, to: position });

const proof = z.array(z.string()).describe('32-byte hashes, standard base64, in RFC 9162 order');
export const inclusionView = z.object({ index: z.number().int(), size: z.number().int(), proof });
export const consistencyView = z.object({ from: z.number().int(), to: z.number().int(), proof });

export const envelopeParams = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export const storedEnvelopeView = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
});
