import { z } from 'zod';

export const registrationView = z.object({
  node: z.string().describe('the node’s DID'),
  status: z.enum(['registered', 'updated', 'key-rotated', 'unchanged']),
  logIndices: z.array(z.number().int()).describe('log indices of the feed events this registration appended'),
});
