import { randomBytes } from 'node:crypto';
import type { Db } from '../../core/db.js';
import { LastAdminError, NotFoundError, PseudonymNotAllowedError } from '../../core/errors.js';
import { newId, nowIso } from '../../core/ids.js';
import { hashToken, newToken } from '../../core/tokens.js';
import { checkPseudonym } from '../domain/pseudonym.js';
import type { Contributor, ContributorStore, Demographics, Role } from '../stores/contributors.js';

export interface Registration {
  pseudonym?: string;
  demographics?: Partial<Demographics>;
}

const NO_DEMOGRAPHICS: Demographics = { ageBand: null, gender: null, variant: null, accent: null };

/** A readable handle nobody has to invent: `contributor-7f3k9q`. */
function generatedPseudonym(): string {
  return 'contributor-' + randomBytes(4).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x').slice(0, 6);
}

function cleanPseudonym(raw: string): string {
  const check = checkPseudonym(raw);
  if (!check.ok) throw new PseudonymNotAllowedError(check.reason);
  return check.pseudonym;
}

export class ContributorService {
  constructor(
    private readonly db: Db,
    private readonly contributors: ContributorStore,
  ) {}

  /** Anonymous by default: nothing is asked for, and the token is shown once and never stored. */
  register(input: Registration): { contributor: Contributor; token: string } {
    return this.create(input.pseudonym === undefined ? generatedPseudonym() : cleanPseudonym(input.pseudonym), 'volunteer', input.demographics);
  }

  private create(pseudonym: string, role: Role, demographics?: Partial<Demographics>): { contributor: Contributor; token: string } {
    const token = newToken();
    const contributor: Contributor = {
      id: newId(),
      pseudonym,
      role,
      ...NO_DEMOGRAPHICS,
      ...demographics,
      createdAt: nowIso(),
      erasedAt: null,
    };
    this.db.transaction(() => {
      this.contributors.insert(contributor);
      this.contributors.addToken(hashToken(token), contributor.id, contributor.createdAt);
    }).immediate();
    return { contributor, token };
  }

  authenticate(token: string): Contributor | undefined {
    return this.contributors.byTokenHash(hashToken(token));
  }

  updateProfile(contributor: Contributor, changes: Partial<Demographics> & { pseudonym?: string }): Contributor {
    const updated = {
      ...contributor,
      ...changes,
      ...(changes.pseudonym === undefined ? {} : { pseudonym: cleanPseudonym(changes.pseudonym) }),
    };
    this.contributors.updateProfile(contributor.id, updated);
    return updated;
  }

  /** A new token for the node's admin, creating the admin on first use. */
  issueAdminToken(): { contributor: Contributor; token: string } {
    const admin = this.contributors.firstAdmin();
    // The reserved name is the node's to give.
    if (!admin) return this.create('admin', 'admin');
    const token = newToken();
    this.contributors.addToken(hashToken(token), admin.id, nowIso());
    return { contributor: admin, token };
  }

  setRole(id: string, role: Role): Contributor {
    return this.db.transaction(() => {
      const contributor = this.contributors.byId(id);
      if (!contributor || contributor.erasedAt) throw new NotFoundError('No such contributor.');
      if (contributor.role === 'admin' && role !== 'admin' && this.contributors.countAdmins() <= 1) {
        throw new LastAdminError();
      }
      this.contributors.setRole(id, role);
      return { ...contributor, role };
    }).immediate();
  }
}
