import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** ULIDs: sortable by creation time, so "oldest first" needs no extra column. */
export function newId(): string {
  return next();
}

export function nowIso(): string {
  return new Date().toISOString();
}
