import { createHash } from 'node:crypto';
import type { Split } from './shards/types.js';

/** Recorded in every manifest, so a trainer can tell which rule made the splits. */
export const SPLIT_VERSION = 'tributary-split@1';

export const SPLIT_SHARES: Record<Split, number> = { train: 0.8, dev: 0.1, test: 0.1 };

export interface SpeakerLoad {
  speaker: string;
  records: number;
}

/**
 * Speaker-disjoint train/dev/test assignment, deterministic for a seed. Speakers are taken in
 * the order of a seeded hash (so the seed, not the data order, decides) and each goes to the
 * split furthest below its share of records; dev and test get a speaker before train gets a
 * second, so small communities still have held-out speakers.
 */
export function assignSplits(speakers: readonly SpeakerLoad[], seed: number): Map<string, Split> {
  // One hash per speaker, not two per comparison.
  const order = speakers
    .map((load) => ({ ...load, hash: seededHash(seed, load.speaker) }))
    .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : a.speaker < b.speaker ? -1 : 1));
  const total = order.reduce((n, s) => n + s.records, 0);
  const filled: Record<Split, number> = { train: 0, dev: 0, test: 0 };
  const speakersIn: Record<Split, number> = { train: 0, dev: 0, test: 0 };
  const assignment = new Map<string, Split>();
  const splits = Object.keys(SPLIT_SHARES) as Split[];
  for (const { speaker, records } of order) {
    let choice: Split;
    if (speakersIn.train >= 1 && order.length >= 3 && (speakersIn.dev === 0 || speakersIn.test === 0)) {
      choice = speakersIn.dev === 0 ? 'dev' : 'test';
    } else {
      // The split with the largest shortfall against its target share.
      choice = splits.reduce((best, split) =>
        SPLIT_SHARES[split] * total - filled[split] > SPLIT_SHARES[best] * total - filled[best] ? split : best,
      );
    }
    assignment.set(speaker, choice);
    filled[choice] += records;
    speakersIn[choice]++;
  }
  return assignment;
}

function seededHash(seed: number, value: string): string {
  return createHash('sha256').update(`${seed}\u0000${value}`).digest('hex');
}

/** A per-release pseudonym: the same speaker gets unrelated ids in different releases. */
export function speakerPseudonym(salt: string, contributorId: string): string {
  return 'spk_' + createHash('sha256').update(`${salt}\u0000${contributorId}`).digest('base64url').slice(0, 16);
}
