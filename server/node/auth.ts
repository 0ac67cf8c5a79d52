import type { Request } from 'express';
import type { Access } from '../core/api.js';
import { AdminRequiredError, ReviewerRequiredError, UnauthenticatedError } from '../core/errors.js';
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

/** Resolves the bearer token to a contributor and checks the role the route needs. */
export function authorizer(contributors: ContributorService) {
  return (req: Request, access: Exclude<Access, 'public'>): Contributor => {
    const contributor = contributorFrom(contributors, req.headers.authorization);
    if (access === 'admin' && contributor.role !== 'admin') throw new AdminRequiredError();
    if (access === 'reviewer' && contributor.role === 'volunteer') throw new ReviewerRequiredError();
    return contributor;
  };
}
