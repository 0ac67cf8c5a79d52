import type { UsageAction } from '../../pipelines/release/manifest/types.js';
import { USAGE_ACTIONS, USAGE_DUTIES } from '../../pipelines/release/manifest/types.js';
import type { UsageTerms } from './manifest-facts.js';

/**
 * The terms of a folder that mixes sources: a use is allowed only when every source allows it
 * (the intersection of permitted actions), and every duty of every source applies, owed to the
 * source that set it (the union of duties).
 */
export interface CombinedTerms {
  permitted: UsageAction[];
  /** Actions some source does not permit, and which sources those are. */
  notPermitted: Array<{ action: UsageAction; bySources: string[] }>;
  /** Each duty and the sources it is owed to. */
  duties: Array<{ duty: string; owedTo: string[] }>;
}

export function combineTerms(sources: ReadonlyArray<{ id: string; terms: UsageTerms }>): CombinedTerms {
  if (sources.length === 0) return { permitted: [], notPermitted: [], duties: [] };
  const permitted = USAGE_ACTIONS.filter((action) => sources.every((source) => source.terms.permitted.includes(action)));
  const notPermitted = USAGE_ACTIONS.filter((action) => !permitted.includes(action)).map((action) => ({
    action,
    bySources: sources.filter((source) => !source.terms.permitted.includes(action)).map((source) => source.id),
  }));
  const all = new Set(sources.flatMap((source) => source.terms.duties));
  const known = USAGE_DUTIES.filter((duty) => all.has(duty));
  const unknown = [...all].filter((duty) => !(USAGE_DUTIES as readonly string[]).includes(duty)).sort();
  const duties = [...known, ...unknown].map((duty) => ({
    duty,
    owedTo: sources.filter((source) => source.terms.duties.includes(duty)).map((source) => source.id),
  }));
  return { permitted, notPermitted, duties };
}
