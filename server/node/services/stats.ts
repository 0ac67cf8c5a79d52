import type { NodeLanguages } from '../languages.js';
import type { StatsStore } from '../stores/stats.js';

type Counts = Record<string, number>;

export interface LanguageStats {
  language: string;
  samples: { text: Counts; speech: Counts };
  contributors: number;
  /** Pending samples that validators can act on now (not held by a report). */
  backlog: { text: number; speech: number };
  prompts: Counts;
}

const emptyCounts = (): Counts => ({ pending: 0, validated: 0, rejected: 0, withdrawn: 0 });

export function nodeStats(store: StatsStore, languages: NodeLanguages): LanguageStats[] {
  const byLanguage = new Map<string, LanguageStats>(
    languages.tags.map((t) => [
      t.tag,
      {
        language: t.tag,
        samples: { text: emptyCounts(), speech: emptyCounts() },
        contributors: 0,
        backlog: { text: 0, speech: 0 },
        prompts: { pending: 0, accepted: 0, rejected: 0 },
      },
    ]),
  );
  const entry = (tag: string) => byLanguage.get(languages.home(tag));

  const counts = store.samplesByStatus();
  for (const row of counts) {
    const stats = entry(row.language);
    if (!stats) continue;
    const counts = stats.samples[row.modality as 'text' | 'speech'];
    counts[row.status] = (counts[row.status] ?? 0) + row.count;
    if (row.status === 'pending') stats.backlog[row.modality as 'text' | 'speech'] += row.count;
  }
  for (const row of store.heldSamples()) {
    const stats = entry(row.language);
    if (stats) stats.backlog[row.modality as 'text' | 'speech'] -= row.count;
  }
  for (const row of store.promptsByStatus()) {
    const stats = entry(row.language);
    if (stats) stats.prompts[row.status] = (stats.prompts[row.status] ?? 0) + row.count;
  }
  // People are counted once per node language, whichever of its tags they wrote under.
  const tagsOf = new Map<string, Set<string>>();
  for (const row of counts) {
    const home = languages.home(row.language);
    if (byLanguage.has(home)) (tagsOf.get(home) ?? tagsOf.set(home, new Set()).get(home)!).add(row.language);
  }
  for (const [home, tags] of tagsOf) byLanguage.get(home)!.contributors = store.contributorsIn([...tags]);
  return [...byLanguage.values()];
}
