export type VersionChange = 'initial' | 'major' | 'minor' | 'none';

export interface ReleaseDelta {
  /** Records the new release has that the previous one did not. */
  added: number;
  /** Records of the previous release that the new one leaves out (withdrawn, rejected, reported). */
  removed: number;
  /** What changed besides the records: the rights given (license, purposes) or only the packaging. */
  terms: 'same' | 'rights' | 'packaging';
}

/**
 * Semantic versions for datasets. A release that drops records trainers already have (a
 * withdrawal, a moderation decision) or changes the rights they were given breaks what they
 * built on and is MAJOR; one that only adds records or repackages them is MINOR; the first is
 * 1.0.0; nothing changed means no new version.
 */
export function nextVersion(previous: string | null, delta: ReleaseDelta): { version: string; change: VersionChange } {
  if (!previous) return { version: '1.0.0', change: 'initial' };
  const [major = 1, minor = 0] = previous.split('.').map(Number);
  if (delta.removed > 0 || delta.terms === 'rights') return { version: `${major + 1}.0.0`, change: 'major' };
  if (delta.added > 0 || delta.terms === 'packaging') return { version: `${major}.${minor + 1}.0`, change: 'minor' };
  return { version: previous, change: 'none' };
}
