import type { Db } from '../../core/db.js';
import { firstIdAt } from '../../core/ids.js';
import type { Role } from './contributors.js';

/** Samples made on one day (UTC) in one language and modality, counted by the status they hold now. */
export interface DailyCount {
  day: string;
  language: string;
  modality: string;
  status: string;
  count: number;
}

/** A contributor with a role beyond volunteering: the people who run the node. */
export interface StaffMember {
  id: string;
  pseudonym: string;
  role: Role;
  createdAt: string;
}

const ID_LEAD_MS = 24 * 3600 * 1000;

/** What operators see of the node's activity: aggregates, and the names of its own staff. */
export class ActivityStore {
  private readonly dailyStmt;
  private readonly rolesStmt;
  private readonly staffStmt;

  constructor(db: Db) {
    // ISO timestamps sort as text, so the day is their first ten characters. Sample ids are
    // ULIDs, which begin with the time they were given: the id range walks the primary key over
    // the window's samples instead of reading every sample for its date.
    this.dailyStmt = db.prepare<[string, string], DailyCount>(
      `SELECT substr(created_at, 1, 10) AS day, language, modality, status, count(*) AS count
       FROM samples WHERE id >= ? AND created_at >= ? GROUP BY day, language, modality, status ORDER BY day`,
    );
    this.rolesStmt = db.prepare<[], { role: Role; count: number }>(
      'SELECT role, count(*) AS count FROM contributors WHERE erased_at IS NULL GROUP BY role',
    );
    this.staffStmt = db.prepare<[], StaffMember>(
      `SELECT id, pseudonym, role, created_at AS createdAt FROM contributors
       WHERE role <> 'volunteer' AND erased_at IS NULL ORDER BY role, created_at`,
    );
  }

  samplesByDay(since: string): DailyCount[] {
    // A speech sample's id is given a moment before its creation time is taken (its files are
    // stored in between, which on object storage can take seconds): the range starts a day earlier.
    return this.dailyStmt.all(firstIdAt(Date.parse(since) - ID_LEAD_MS), since);
  }

  contributorsByRole(): Record<Role, number> {
    const counts: Record<Role, number> = { volunteer: 0, reviewer: 0, admin: 0 };
    for (const row of this.rolesStmt.all()) counts[row.role] = row.count;
    return counts;
  }

  staff(): StaffMember[] {
    return this.staffStmt.all();
  }
}
