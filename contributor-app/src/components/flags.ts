import { h } from '../dom.js';
import type { Localizer } from '../i18n.js';

/** Flags the node raised (language ID, audio checks), each with a plain explanation. */
export const KNOWN_FLAGS = [
  'lid-language-mismatch',
  'lid-script-mismatch',
  'low-snr',
  'much-silence',
  'some-clipping',
  'narrowband',
] as const;

export function flagList(i18n: Localizer, flags: readonly string[], headingKey: string): HTMLElement | null {
  if (flags.length === 0) return null;
  return h(
    'div',
    { class: 'flags' },
    i18n.text(headingKey, { count: flags.length }, 'p'),
    h(
      'ul',
      {},
      flags.map((flag) =>
        h(
          'li',
          { 'data-flag': flag },
          (KNOWN_FLAGS as readonly string[]).includes(flag)
            ? i18n.text(`common:flags.${flag}`)
            : i18n.text('common:flags.other', { flag }),
        ),
      ),
    ),
  );
}
