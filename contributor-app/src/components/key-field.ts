import { h, uid } from '../dom.js';
import type { Localizer } from '../i18n.js';

/**
 * The volunteer's key (bearer token), read-only and selectable, with a copy button. The
 * clipboard API needs a secure context; where it is missing the text is selected instead.
 */
export function keyField(i18n: Localizer, token: string): HTMLElement {
  const id = uid('key');
  const input = h('input', {
    id,
    class: 'key-field__value',
    type: 'text',
    readonly: true,
    value: token,
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'key-value',
  });
  const feedback = h('span', { class: 'key-field__feedback', role: 'status', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', class: 'button' }, i18n.text('common:key.copy'));
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(token);
      i18n.bind(feedback, 'common:key.copied');
    } catch {
      const copied = document.execCommand?.('copy') ?? false;
      i18n.bind(feedback, copied ? 'common:key.copied' : 'common:key.selectToCopy');
    }
  });
  const label = i18n.text('common:key.label', {}, 'label');
  label.htmlFor = id;
  return h('div', { class: 'key-field' }, label, h('div', { class: 'key-field__row' }, input, copy), feedback);
}
