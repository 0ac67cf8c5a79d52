import { describe, expect, it } from 'vitest';
import { nextVersion } from './versioning.js';

describe('dataset versions', () => {
  it('starts at 1.0.0, adds a MINOR for additions and a MAJOR for removals or new rights', () => {
    const same = { added: 0, removed: 0, terms: 'same' as const };
    expect(nextVersion(null, { ...same, added: 2 })).toEqual({ version: '1.0.0', change: 'initial' });
    expect(nextVersion('1.0.0', { ...same, added: 1 })).toEqual({ version: '1.1.0', change: 'minor' });
    expect(nextVersion('1.3.0', { ...same, added: 5, removed: 1 })).toEqual({ version: '2.0.0', change: 'major' });
    expect(nextVersion('2.1.0', { ...same, terms: 'rights' })).toEqual({ version: '3.0.0', change: 'major' });
    expect(nextVersion('2.1.0', { ...same, terms: 'packaging' })).toEqual({ version: '2.2.0', change: 'minor' });
    expect(nextVersion('1.0.0', same)).toEqual({ version: '1.0.0', change: 'none' });
  });
});
