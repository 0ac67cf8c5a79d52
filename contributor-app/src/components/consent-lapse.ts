import { ApiError } from '../api.js';
import type { AppContext } from '../context.js';

/**
 * The node refused because the volunteer's consent no longer covers this (withdrawn on another
 * device, say): send them to the consent screen with the reason, and say so (true) so the caller
 * stops. Any other error is the caller's to show.
 */
export function sentToConsent(ctx: AppContext, error: unknown): boolean {
  if (!(error instanceof ApiError) || error.code !== 'ConsentRequired') return false;
  ctx.session.consented = false;
  ctx.navigate('/consent', { flash: { key: 'errors:ConsentRequired', kind: 'error' } });
  return true;
}
