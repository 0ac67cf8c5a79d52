import { envelopeBodySchema } from '../domain/envelope.js';
import type { NodeRegistry } from '../services/registry.js';
import { registrationView } from './nodes.schema.js';
import type { IndexRoute } from './route.js';

export function nodeRoutes(route: IndexRoute, registry: NodeRegistry): void {
  route({
    method: 'post',
    path: '/nodes',
    tag: 'nodes',
    summary:
      'Register a node, or update its registration: a node-registration statement signed by the signing key it names. ' +
      'Keys are pinned on first use; a new signing key is taken only with rotation statements from the pinned keys.',
    access: 'public',
    body: envelopeBodySchema,
    response: registrationView,
    errors: [
      'InvalidRequest',
      'StatementPayloadType',
      'StatementSignatureInvalid',
      'StatementMalformed',
      'RegistrationInvalid',
      'RegistrationDidMismatch',
      'RegistrationStale',
      'NodeUnreachable',
      'WellKnownMismatch',
      'KeyChangeRefused',
      'NodeSuspended',
    ],
    handler: ({ body }) => registry.register(body),
  });
}
