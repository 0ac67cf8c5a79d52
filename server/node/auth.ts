import type { Request } from 'express';
import type { Access } from '../core/api.js';
import { AdminRequiredError, ReviewerRequiredError, UnauthenticatedError } from '../core/errors.js';
import type { Contributor } from './stores/contributors.js';
import type { ContributorService } from './services/contributors.js';

const BEARER = /^Bearer\s+(\S+)$/i;

/** Resolves the bearer token to a contributor and checks the role the route needs. */
export function authorizer(contributors: ContributorService) {
  return (req: Request, access: Exclude<Access, 'public'>): Contributor => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    const contributor = match?.[1] ? contributors.authenticate(match[1]) : undefined;
    if (!contributor) throw new UnauthenticatedError();
    if (access === 'admin' && contributor.role !== 'admin') throw new AdminRequiredError();
    if (access === 'reviewer' && contributor.role === 'volunteer') throw new ReviewerRequiredError();
    return contributor;
  };
}
