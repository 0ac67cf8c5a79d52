import { h } from '../dom.js';
import type { Localizer } from '../i18n.js';

/** How many tips each guide has in the locale files (`<ns>:guide.tip1` … `tipN`). */
const TIPS = 4;

/** A short, folded guide: what makes a good recording, or a good vote. */
export function guide(i18n: Localizer, namespace: 'contribute' | 'validate'): HTMLElement {
  return h(
    'details',
    { class: 'guide', 'data-testid': 'guide' },
    i18n.text(`${namespace}:guide.title`, {}, 'summary'),
    h(
      'ul',
      { class: 'guide__tips' },
      Array.from({ length: TIPS }, (_, i) => i18n.text(`${namespace}:guide.tip${i + 1}`, {}, 'li')),
    ),
  );
}
