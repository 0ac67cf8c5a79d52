import { randomBytes } from 'node:crypto';
import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import { LastAdminError, PseudonymNotAllowedError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import { hashToken, newToken } from '../../core/tokens.js';
import { checkPseudonym } from '../domain/pseudonym.js';
import type { Contributor, ContributorStore, Demographics, Role, TokenInfo } from '../stores/contributors.js';

export interface Registration {
  pseudonym?: string;
  demographics?: Partial<Demographics>;
}

/**
 * How long an admin token lives unless told otherwise: long enough that an operator is not
 * minting one every week, short enough that a token forgotten on an old laptop or pasted into a
 * chat stops working by itself. `tributary admin token --expires never` opts out, e.g. for a
 * deployment whose secret store rotates tokens on its own schedule.
 */
export const DEFAULT_ADMIN_TOKEN_LIFETIME_MS = 90 * 86_400_000;

/**
 * How often a token's `last_used_at` may be written. Recording every use would add a write (and
 * a WAL sync) to every authenticated request; once a minute per token is precise enough to tell
 * a token in use from a forgotten one. The time of the last write rides in the token cache and in
 * the row itself, so emptying the cache does not bring the writes back.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Tokens `tributary admin tokens` lists: every role that can call `/admin/…` routes. */
export const PRIVILEGED_ROLES: readonly Role[] = ['admin', 'reviewer'];

export interface AdminTokenOptions {
  /** Shown in `tributary admin tokens`, to tell tokens apart. */
  name?: string;
  /** Milliseconds from now; null for a token that never expires. Default 90 days. */
  lifetimeMs?: number | null;
}

export interface IssuedToken {
  contributor: Contributor;
  token: string;
  tokenId: string;
  name: string | null;
  expiresAt: string | null;
}

export interface TokenRevocation {
  token: TokenInfo;
  /** False when the token had already been revoked: revoking is idempotent. */
  revokedNow: boolean;
}

const NO_DEMOGRAPHICS: Demographics = { ageBand: null, gender: null, variant: null, accent: null };

/** Token ids are what operators type (`admin revoke ID`): short, random, unrelated to the token. */
const newTokenId = (): string => randomBytes(8).toString('hex');

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
    /** Milliseconds since the epoch; read through `Date` at each call, so a test's fake clock reaches it. */
    private readonly now: () => number = () => Date.now(),
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
      this.contributors.addToken({
        id: newTokenId(),
        hash: hashToken(token),
        contributorId: contributor.id,
        name: null,
        createdAt: contributor.createdAt,
        expiresAt: null,
      });
    }).immediate();
    return { contributor, token };
  }

  /** The contributor a token belongs to; an unknown, revoked or expired token is all the same. */
  authenticate(token: string): Contributor | undefined {
    const resolved = this.contributors.resolveToken(hashToken(token));
    if (!resolved) return undefined;
    const now = this.now();
    if (resolved.expiresAt !== null && resolved.expiresAt <= now) return undefined;
    if (resolved.lastUsedAt === null || now - resolved.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      this.contributors.touchToken(resolved, now);
    }
    return resolved.contributor;
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

  /**
   * A new token for the node's admin, creating the admin on first use. Admin tokens come only
   * from the CLI, which holds the node's files: there is no HTTP route that mints one.
   */
  issueAdminToken(options: AdminTokenOptions = {}): IssuedToken {
    const lifetime = options.lifetimeMs === undefined ? DEFAULT_ADMIN_TOKEN_LIFETIME_MS : options.lifetimeMs;
    const createdAt = this.now();
    const token = newToken();
    const stored = {
      id: newTokenId(),
      hash: hashToken(token),
      name: options.name ?? null,
      createdAt: new Date(createdAt).toISOString(),
      expiresAt: lifetime === null ? null : new Date(createdAt + lifetime).toISOString(),
    };
    const contributor = this.db.transaction(() => {
      let admin = this.contributors.firstAdmin();
      if (!admin) {
        // The reserved name is the node's to give.
        admin = { id: newId(), pseudonym: 'admin', role: 'admin', ...NO_DEMOGRAPHICS, createdAt: stored.createdAt, erasedAt: null };
        this.contributors.insert(admin);
      }
      this.contributors.addToken({ ...stored, contributorId: admin.id });
      return admin;
    }).immediate();
    return { contributor, token, tokenId: stored.id, name: stored.name, expiresAt: stored.expiresAt };
  }

  /** Every token of an admin or reviewer, revoked and expired ones included; never the token. */
  privilegedTokens(): TokenInfo[] {
    return this.contributors.tokensWithRoles(PRIVILEGED_ROLES);
  }

  /** Revokes a token by its id; a running node refuses it from its next request on. */
  revokeToken(id: string): TokenRevocation {
    return this.db.transaction(() => {
      const token = this.contributors.tokenById(id);
      if (!token) throw new NotFoundError(`No token has the id ${id}; \`tributary admin tokens\` lists them.`);
      if (token.revokedAt !== null) return { token, revokedNow: false };
      const at = new Date(this.now()).toISOString();
      this.contributors.revokeToken(id, at);
      return { token: { ...token, revokedAt: at }, revokedNow: true };
    }).immediate();
  }

  /** A contributor an admin names by id (to give a role): refused as NotFound once erased. */
  get(id: string): Contributor {
    const contributor = this.contributors.byId(id);
    if (!contributor || contributor.erasedAt) throw new NotFoundError('No such contributor.');
    return contributor;
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
