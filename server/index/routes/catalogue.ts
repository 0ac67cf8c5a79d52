import type { Catalogue } from '../services/catalogue.js';
import { manifestParams, manifestView, nodeParams, nodeView, searchQuery, searchView } from './catalogue.schema.js';
import type { IndexRoute } from './route.js';

export function catalogueRoutes(route: IndexRoute, catalogue: Catalogue): void {
  route({
    method: 'get',
    path: '/manifests',
    tag: 'search',
    summary:
      'Search current manifests (not superseded, retracted, expired, nor of a suspended node), newest first, with the totals of the whole match',
    access: 'public',
    query: searchQuery,
    response: searchView,
    errors: ['InvalidRequest'],
    handler: ({ query }) => catalogue.search(query),
  });

  route({
    method: 'get',
    path: '/manifests/:id',
    tag: 'search',
    summary: 'One manifest the index took, by id (sha256 of its signed bytes), with its status: current, superseded, retracted, suspended (its node) or expired',
    access: 'public',
    params: manifestParams,
    response: manifestView,
    errors: ['InvalidRequest', 'ManifestNotFound'],
    handler: ({ params }) => catalogue.manifest(params.id),
  });

  route({
    method: 'get',
    path: '/nodes/:did',
    tag: 'nodes',
    summary: 'A node: its status, every signing key it has had, its rotation key and the rotation statements it sent, to check envelopes against',
    access: 'public',
    params: nodeParams,
    response: nodeView,
    errors: ['InvalidRequest', 'NodeNotFound'],
    handler: ({ params }) => catalogue.node(params.did),
  });
}
