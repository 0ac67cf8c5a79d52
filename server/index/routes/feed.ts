import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import type { IndexStore } from '../store/index-store.js';
import type { FeedLog } from '../services/feed-log.js';
import {
  consistencyQuery,
  consistencyView,
  envelopeParams,
  feedQuery,
  feedView,
  inclusionQuery,
  inclusionView,
  storedEnvelopeView,
} from './feed.schema.js';
import type { IndexRoute } from './route.js';

const base64 = (hash: Uint8Array) => Buffer.from(hash).toString('base64');

export function feedRoutes(route: IndexRoute, services: { feed: FeedLog; store: IndexStore }): void {
  const { feed } = services;

  route({
    method: 'get',
    path: '/feed',
    tag: 'feed',
    summary: 'Feed events in log order from a cursor; each event’s log leaf is its canonical JSON (RFC 8785)',
    access: 'public',
    query: feedQuery,
    response: feedView,
    handler: ({ query }) => feed.page(query.cursor, query.limit),
  });

  route({
    method: 'get',
    path: '/log/checkpoint',
    tag: 'feed',
    summary: 'The log’s signed checkpoint (C2SP tlog-checkpoint signed note: origin, size, root hash)',
    access: 'public',
    response: z.string().describe('text/plain signed note'),
    handler: async ({ res }) => {
      const note = await feed.checkpoint();
      res.setHeader('Cache-Control', 'no-cache');
      res.type('text/plain; charset=utf-8').send(note);
    },
  });

  route({
    method: 'get',
    path: '/log/inclusion',
    tag: 'feed',
    summary: 'Proof that the entry at `index` is in the log of `size` entries (RFC 9162 audit path)',
    access: 'public',
    query: inclusionQuery,
    response: inclusionView,
    errors: ['InvalidRequest', 'InvalidTreeRequest'],
    handler: async ({ query }) => ({ ...query, proof: (await feed.inclusion(query.index, query.size)).map(base64) }),
  });

  route({
    method: 'get',
    path: '/log/consistency',
    tag: 'feed',
    summary: 'Proof that the log of `to` entries extends the log of `from` entries (RFC 9162 consistency proof)',
    access: 'public',
    query: consistencyQuery,
    response: consistencyView,
    errors: ['InvalidRequest', 'InvalidTreeRequest'],
    handler: async ({ query }) => ({ ...query, proof: (await feed.consistency(query.from, query.to)).map(base64) }),
  });

  route({
    method: 'get',
    path: '/envelopes/:sha256',
    tag: 'feed',
    summary: 'An envelope a feed event names, byte for byte as the index holds it (its sha256 is the event’s envelopeSha256)',
    access: 'public',
    params: envelopeParams,
    response: storedEnvelopeView,
    errors: ['NotFound'],
    handler: async ({ params, res }) => {
      // From the replica; one just taken may be only on the primary yet.
      const { store } = services;
      const body = (await store.replica.envelope(params.sha256)) ?? (await store.envelope(params.sha256));
      if (body === undefined) throw new NotFoundError('The index holds no envelope with this sha256.');
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type('application/json').send(body);
    },
  });
}
