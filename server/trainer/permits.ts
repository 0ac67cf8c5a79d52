import { USAGE_ACTIONS } from '../../pipelines/release/manifest/types.js';
import type { ManifestFacts } from './manifest-facts.js';

/**
 * Whether a source's signed terms allow what the trainer means to do, and if not, why, in words a
 * person can act on. `action` is an ODRL action of the manifest (`train`, `evaluate`,
 * `commercial-model`, `redistribute`) or a consent purpose (`train-asr`, `train-tts`, `train-lm`,
 * …): a purpose needs its action permitted and the purpose among those every record was
 * consented for, as the index's `permits` search reads it.
 */
export type PermitVerdict = { ok: true } | { ok: false; reason: string };

export function permitsAction(facts: Pick<ManifestFacts, 'terms' | 'license'>, action: string): PermitVerdict {
  const { permitted, purposes } = facts.terms;
  const listed = permitted.length > 0 ? permitted.join(', ') : 'nothing';
  if ((USAGE_ACTIONS as readonly string[]).includes(action)) {
    if (permitted.includes(action as (typeof USAGE_ACTIONS)[number])) return { ok: true };
    const why = action === 'commercial-model' && /-NC\b/.test(facts.license.spdx) ? ` (${facts.license.spdx} is non-commercial)` : '';
    return { ok: false, reason: `its terms do not permit ${action}${why}; they permit ${listed}` };
  }
  const base = action.startsWith('train-') ? 'train' : action;
  if (!(USAGE_ACTIONS as readonly string[]).includes(base)) return { ok: false, reason: `${action} is not an action or consent purpose Tributary knows` };
  if (!permitted.includes(base as (typeof USAGE_ACTIONS)[number])) return { ok: false, reason: `its terms do not permit ${base}; they permit ${listed}` };
  if (!purposes.includes(action)) {
    return { ok: false, reason: `its contributors consented to ${purposes.length > 0 ? purposes.join(', ') : 'no purpose'}, not ${action}` };
  }
  return { ok: true };
}
