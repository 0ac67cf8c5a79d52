import type { Request } from 'express';
import type { Route } from '../core/api.js';
import { UnauthenticatedError } from '../core/errors.js';
import { AdminRequiredError, ReviewerRequiredError } from './errors.js';
import { bearerToken } from '../core/tokens.js';
import type { Contributor } from './stores/contributors.js';
import type { ContributorService } from './services/contributors.js';

/** The contributor an Authorization header names, or a 401. */
export function contributorFrom(contributors: ContributorService, authorization: string | null | undefined): Contributor {
  const token = bearerToken(authorization);
  const contributor = token ? contributors.authenticate(token) : undefined;
  if (!contributor) throw new UnauthenticatedError();
  return contributor;
}

/** Who may call a node route besides anyone: any contributor, reviewers (and admins), admins. */
export type AccessLevel = 'contributor' | 'reviewer' | 'admin';

/** How the node's route groups declare their routes. */
export type NodeRoute = Route<Contributor, AccessLevel>;

/** Resolves the bearer token to a contributor and checks the role the route needs. */
export function authorizer(contributors: ContributorService) {
  return (req: Request, access: AccessLevel): Contributor => {
    const contributor = contributorFrom(contributors, req.headers.authorization);
    if (access === 'admin' && contributor.role !== 'admin') throw new AdminRequiredError();
    if (access === 'reviewer' && contributor.role === 'volunteer') throw new ReviewerRequiredError();
    return contributor;
  };
}
