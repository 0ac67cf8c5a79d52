import { h } from '../dom.js';
import type { Localizer } from '../i18n.js';
import type { Outbox, OutboxState } from '../outbox.js';

/**
 * A band under the header while the node cannot be reached or recordings wait on this device:
 * says the app still works, how many recordings are kept, and that they go by themselves when
 * the connection returns. Words, not colour alone, carry the state.
 */
export function offlineBanner(i18n: Localizer, outbox: Outbox): HTMLElement {
  const headline = h('strong', { class: 'offline-banner__headline' });
  const waiting = h('span', { class: 'offline-banner__waiting', 'data-testid': 'offline-waiting' });
  const refused = h('span', { class: 'offline-banner__refused', hidden: true });
  const banner = h('div', { class: 'offline-banner', role: 'status', 'aria-live': 'polite', hidden: true, 'data-testid': 'offline-banner' }, headline, waiting, refused);

  const render = (state: OutboxState) => {
    const mode = !state.reachable ? 'offline' : state.waiting > 0 ? 'sending' : 'idle';
    banner.dataset.state = mode;
    banner.dataset.waiting = String(state.waiting);
    banner.hidden = mode === 'idle' && state.refused === 0;
    headline.hidden = mode === 'idle';
    if (mode !== 'idle') i18n.bind(headline, mode === 'offline' ? 'common:offline.banner' : 'common:offline.sending');
    waiting.hidden = state.waiting === 0;
    i18n.bind(waiting, 'common:offline.waiting', { number: state.waiting });
    refused.hidden = state.refused === 0;
    i18n.bind(refused, 'common:offline.refused');
  };
  outbox.subscribe(render);
  return banner;
}
