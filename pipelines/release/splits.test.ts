import { describe, expect, it } from 'vitest';
import { assignSplits, speakerPseudonym } from './splits.js';

const speakers = Array.from({ length: 40 }, (_, i) => ({ speaker: `c${i}`, records: 5 + ((i * 7) % 13) }));

describe('splits', () => {
  it('puts every speaker in exactly one split, near 80/10/10 by records', () => {
    const assignment = assignSplits(speakers, 42);
    expect(assignment.size).toBe(40);
    const total = speakers.reduce((n, s) => n + s.records, 0);
    const share = (split: string) =>
      speakers.filter((s) => assignment.get(s.speaker) === split).reduce((n, s) => n + s.records, 0) / total;
    expect(share('train')).toBeGreaterThan(0.7);
    expect(share('dev')).toBeGreaterThan(0.05);
    expect(share('test')).toBeGreaterThan(0.05);
  });

  it('is deterministic for a seed, whatever the input order, and differs between seeds', () => {
    const a = assignSplits(speakers, 7);
    const b = assignSplits([...speakers].reverse(), 7);
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
    const c = assignSplits(speakers, 8);
    expect([...a.entries()].sort()).not.toEqual([...c.entries()].sort());
  });

  it('gives small communities held-out speakers', () => {
    const three = assignSplits([{ speaker: 'a', records: 50 }, { speaker: 'b', records: 3 }, { speaker: 'c', records: 9 }], 1);
    expect(new Set(three.values())).toEqual(new Set(['train', 'dev', 'test']));
    expect(assignSplits([{ speaker: 'solo', records: 10 }], 1).get('solo')).toBe('train');
  });

  it('pseudonymises speakers per release', () => {
    // Stable for a release's salt (a known value, so a changed derivation shows up here).
    expect(speakerPseudonym('salt-1', 'c1')).toBe('spk_WIOrQ0RPP_pf2eE0');
    expect(speakerPseudonym('salt-1', 'c1')).not.toBe(speakerPseudonym('salt-2', 'c1'));
    expect(speakerPseudonym('salt-1', 'c1')).toMatch(/^spk_[\w-]{16}$/);
  });
});
