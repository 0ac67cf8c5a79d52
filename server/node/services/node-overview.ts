import type { NodeConfig } from '../config.js';
import type { NodeLanguages } from '../languages.js';
import type { ActivityStore } from '../stores/activity.js';

const DAY_MS = 24 * 3600 * 1000;

export interface DailyActivity {
  day: string;
  language: string;
  modality: 'text' | 'speech';
  pending: number;
  validated: number;
  rejected: number;
  withdrawn: number;
}

/**
 * Samples made per day over the last `days` days, per node language (tags folded to the node's
 * own, as /stats does) and modality, by the status each holds now; every day of the window
 * appears for every language and modality, zero included, so a chart has no gaps to guess at.
 */
export function dailyActivity(store: ActivityStore, languages: NodeLanguages, days: number, now = Date.now()): DailyActivity[] {
  const first = new Date(Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS);
  const byKey = new Map<string, DailyActivity>();
  const dayList = Array.from({ length: days }, (_, i) => new Date(first.getTime() + i * DAY_MS).toISOString().slice(0, 10));
  for (const day of dayList) {
    for (const { tag } of languages.tags) {
      for (const modality of ['text', 'speech'] as const) {
        byKey.set(`${day}|${tag}|${modality}`, { day, language: tag, modality, pending: 0, validated: 0, rejected: 0, withdrawn: 0 });
      }
    }
  }
  for (const row of store.samplesByDay(first.toISOString())) {
    const entry = byKey.get(`${row.day}|${languages.home(row.language)}|${row.modality}`);
    if (entry && (row.status === 'pending' || row.status === 'validated' || row.status === 'rejected' || row.status === 'withdrawn')) {
      entry[row.status] += row.count;
    }
  }
  return [...byKey.values()];
}

/** The settings an operator most often needs to see, from node.json (no secrets live there). */
export function keySettings(config: NodeConfig) {
  return {
    name: config.name,
    url: config.url ?? null,
    languages: [...config.languages],
    jurisdiction: config.jurisdiction,
    license: config.license,
    purposes: [...config.consent.purposes],
    requiredPurposes: [...config.consent.required],
    quorum: { validateAt: config.votes.validateAt, rejectAt: config.votes.rejectAt },
    audio: { minSeconds: config.audio.minSpeechSeconds, maxSeconds: config.audio.maxSeconds, maxBytes: config.audio.maxBytes },
    redactAfterSeconds: config.releases.redactAfterSeconds,
    indexes: [...config.indexes],
  };
}
