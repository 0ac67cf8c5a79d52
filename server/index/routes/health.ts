import { z } from 'zod';
import { DatabaseUnreachableError } from '../errors.js';
import type { IndexStore } from '../store/index-store.js';
import type { IndexRoute } from './route.js';

export const healthView = z.object({
  status: z.literal('ok'),
  log: z.object({ size: z.number().int().describe('entries in the log, as the database holds it') }),
  replica: z
    .object({
      entries: z.number().int().nullable().describe('log entries the primary holds that the replica does not yet; null when it cannot be reached'),
      seconds: z.number().nullable().describe('how long ago the oldest of them was appended'),
      serving: z.enum(['replica', 'primary']).describe('where the feed, proofs and search read from now'),
    })
    .nullable()
    .describe('the read replica (readDatabase), null without one'),
});

/**
 * For load balancers and monitoring: 200 while this process reaches its database (503
 * `DatabaseUnreachable` when it does not), and how far its read replica is behind.
 */
export function healthRoutes(route: IndexRoute, store: IndexStore): void {
  route({
    method: 'get',
    path: '/health',
    tag: 'feed',
    summary: 'Whether this process reaches its database, the log’s size, and how far its read replica is behind',
    access: 'public',
    response: healthView,
    errors: ['DatabaseUnreachable'],
    handler: async ({ res }) => {
      res.setHeader('Cache-Control', 'no-store');
      let size: number;
      try {
        size = await store.logSize();
      } catch {
        throw new DatabaseUnreachableError();
      }
      return { status: 'ok' as const, log: { size }, replica: await store.replicaLag() };
    },
  });
}
