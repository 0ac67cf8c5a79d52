import type { Db } from '../../core/db.js';

export type Role = 'volunteer' | 'reviewer' | 'admin';

export interface Demographics {
  ageBand: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
}

export interface Contributor extends Demographics {
  id: string;
  pseudonym: string;
  role: Role;
  createdAt: string;
  erasedAt: string | null;
}

interface Row {
  id: string;
  pseudonym: string;
  role: Role;
  age_band: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
  created_at: string;
  erased_at: string | null;
}

const toContributor = (row: Row): Contributor => ({
  id: row.id,
  pseudonym: row.pseudonym,
  role: row.role,
  ageBand: row.age_band,
  gender: row.gender,
  variant: row.variant,
  accent: row.accent,
  createdAt: row.created_at,
  erasedAt: row.erased_at,
});

/**
 * Every authenticated request resolves its token, so resolved tokens are cached in memory.
 * Only this store changes contributors and tokens (other processes, such as `admin token`, only
 * add tokens, which a cache miss picks up), and every change here empties the cache.
 */
export class ContributorStore {
  private readonly byToken = new Map<string, Contributor>();
  private static readonly CACHE_LIMIT = 10_000;
  private readonly insertStmt;
  private readonly insertTokenStmt;
  private readonly byTokenStmt;
  private readonly byIdStmt;
  private readonly updateProfileStmt;
  private readonly setRoleStmt;
  private readonly eraseStmt;
  private readonly revokeTokensStmt;
  private readonly tokensOfStmt;
  private readonly firstAdminStmt;
  private readonly countAdminsStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO contributors (id, pseudonym, role, age_band, gender, variant, accent, created_at)
       VALUES (@id, @pseudonym, @role, @ageBand, @gender, @variant, @accent, @createdAt)`,
    );
    this.insertTokenStmt = db.prepare('INSERT INTO tokens (hash, contributor_id, created_at) VALUES (?, ?, ?)');
    this.byTokenStmt = db.prepare<[string], Row>(
      `SELECT c.* FROM tokens t JOIN contributors c ON c.id = t.contributor_id
       WHERE t.hash = ? AND t.revoked_at IS NULL AND c.erased_at IS NULL`,
    );
    this.byIdStmt = db.prepare<[string], Row>('SELECT * FROM contributors WHERE id = ?');
    this.updateProfileStmt = db.prepare(
      `UPDATE contributors SET pseudonym = @pseudonym, age_band = @ageBand, gender = @gender,
       variant = @variant, accent = @accent WHERE id = @id`,
    );
    this.setRoleStmt = db.prepare('UPDATE contributors SET role = ? WHERE id = ?');
    this.eraseStmt = db.prepare(
      `UPDATE contributors SET pseudonym = 'erased', age_band = NULL, gender = NULL, variant = NULL,
       accent = NULL, erased_at = ? WHERE id = ?`,
    );
    this.revokeTokensStmt = db.prepare(
      'UPDATE tokens SET revoked_at = ? WHERE contributor_id = ? AND revoked_at IS NULL',
    );
    this.tokensOfStmt = db.prepare<[string], { createdAt: string; revokedAt: string | null }>(
      'SELECT created_at AS createdAt, revoked_at AS revokedAt FROM tokens WHERE contributor_id = ? ORDER BY created_at',
    );
    this.firstAdminStmt = db.prepare<[], Row>(
      "SELECT * FROM contributors WHERE role = 'admin' AND erased_at IS NULL ORDER BY id LIMIT 1",
    );
    this.countAdminsStmt = db
      .prepare<[], number>("SELECT count(*) FROM contributors WHERE role = 'admin' AND erased_at IS NULL")
      .pluck();
  }

  insert(contributor: Omit<Contributor, 'erasedAt'>): void {
    this.insertStmt.run(contributor);
  }

  addToken(hash: string, contributorId: string, createdAt: string): void {
    this.insertTokenStmt.run(hash, contributorId, createdAt);
  }

  byTokenHash(hash: string): Contributor | undefined {
    const cached = this.byToken.get(hash);
    if (cached) return cached;
    const row = this.byTokenStmt.get(hash);
    if (!row) return undefined;
    if (this.byToken.size >= ContributorStore.CACHE_LIMIT) this.byToken.clear();
    const contributor = toContributor(row);
    this.byToken.set(hash, contributor);
    return contributor;
  }

  byId(id: string): Contributor | undefined {
    const row = this.byIdStmt.get(id);
    return row && toContributor(row);
  }

  updateProfile(id: string, profile: Demographics & { pseudonym: string }): void {
    this.updateProfileStmt.run({ id, ...profile });
    this.byToken.clear();
  }

  setRole(id: string, role: Role): void {
    this.setRoleStmt.run(role, id);
    this.byToken.clear();
  }

  /** Keeps the row (votes and consent events point at it) but nothing that identifies a person. */
  erase(id: string, at: string): void {
    this.eraseStmt.run(at, id);
    this.revokeTokensStmt.run(at, id);
    this.byToken.clear();
  }

  tokensOf(id: string): Array<{ createdAt: string; revokedAt: string | null }> {
    return this.tokensOfStmt.all(id);
  }

  firstAdmin(): Contributor | undefined {
    const row = this.firstAdminStmt.get();
    return row && toContributor(row);
  }

  countAdmins(): number {
    return this.countAdminsStmt.get() as number;
  }
}
