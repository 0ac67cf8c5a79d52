import type { NodeRoute } from '../auth.js';
import type { ContributorService } from '../services/contributors.js';
import type { MyDataService } from '../services/my-data.js';
import {
  dataExportView,
  erasureView,
  mySamplesQuery,
  mySamplesView,
  profileBody,
  profileView,
  registeredView,
  registerBody,
} from './contributors.schema.js';
import { idParams } from './common.schema.js';
import { sampleView } from './samples.schema.js';
import { profile, sample } from './views.js';

export function contributorRoutes(
  route: NodeRoute,
  services: { contributors: ContributorService; myData: MyDataService },
): void {
  route({
    method: 'post',
    path: '/contributors',
    tag: 'contributors',
    summary: 'Join the node anonymously; returns a bearer token shown only once',
    access: 'public',
    body: registerBody,
    status: 201,
    response: registeredView,
    handler: ({ body }) => {
      const { contributor, token } = services.contributors.register(body);
      return { contributor: profile(contributor), token };
    },
  });

  route({
    method: 'get',
    path: '/me',
    tag: 'my data',
    summary: 'My profile',
    access: 'contributor',
    response: profileView,
    handler: ({ principal }) => profile(principal),
  });

  route({
    method: 'patch',
    path: '/me',
    tag: 'my data',
    summary: 'Change my pseudonym or self-declared demographics (each optional, null clears)',
    access: 'contributor',
    body: profileBody,
    response: profileView,
    handler: ({ principal, body }) => profile(services.contributors.updateProfile(principal, body)),
  });

  route({
    method: 'get',
    path: '/me/export',
    tag: 'my data',
    summary: 'Everything the node holds about me, as one JSON document',
    access: 'contributor',
    response: dataExportView,
    handler: ({ principal, res }) => {
      res.attachment(`tributary-export-${principal.id}.json`);
      return services.myData.export(principal);
    },
  });

  route({
    method: 'get',
    path: '/me/samples',
    tag: 'my data',
    summary: 'My samples, newest first, with their status and counts by status; paged with a cursor',
    access: 'contributor',
    query: mySamplesQuery,
    response: mySamplesView,
    handler: ({ principal, query }) => {
      const page = services.myData.samples(principal, query.cursor, query.limit);
      return { ...page, samples: page.samples.map(sample) };
    },
  });

  route({
    method: 'get',
    path: '/me/uploads/:id/sample',
    tag: 'my data',
    summary: 'The sample one of my finished resumable uploads became (for a client whose last answer was lost)',
    access: 'contributor',
    params: idParams,
    response: sampleView,
    errors: ['NotFound'],
    handler: ({ principal, params }) => sample(services.myData.sampleOfUpload(principal, params.id)),
  });

  route({
    method: 'delete',
    path: '/me',
    tag: 'my data',
    summary: 'Withdraw all my consent and samples and erase my profile',
    access: 'contributor',
    response: erasureView,
    errors: ['LastAdmin'],
    handler: ({ principal }) => services.myData.erase(principal),
  });
}
