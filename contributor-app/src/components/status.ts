import { h } from '../dom.js';
import { describeError, type Localizer, type Vars } from '../i18n.js';

export type StatusKind = 'info' | 'success' | 'error' | 'progress';

export interface Status {
  element: HTMLElement;
  show(kind: StatusKind, key: string, vars?: Vars): void;
  error(error: unknown): void;
  clear(): void;
}

/** How long good news stays on a floating status. Errors stay until dismissed or replaced. */
const TOAST_MS = 8000;

/**
 * One live region per screen, always in the layout (no jump when a message appears), or, on
 * long pages, floating over the bottom of the screen where it is seen wherever one scrolled.
 * Errors are announced at once; other news waits for the screen reader to finish.
 */
export function createStatus(i18n: Localizer, options: { toast?: boolean } = {}): Status {
  const text = h('span', { class: 'status__text' });
  const element = h(
    'div',
    { class: options.toast ? 'status status--toast' : 'status', role: 'status', 'aria-live': 'polite', 'data-kind': 'none' },
    text,
  );
  let timer = 0;
  const clear = () => {
    window.clearTimeout(timer);
    element.dataset.kind = 'none';
    delete element.dataset.code;
    i18n.unbind(text);
    text.textContent = '';
  };
  if (options.toast) {
    const close = h('button', { type: 'button', class: 'button button--quiet status__close' }, '✕');
    i18n.attr(close, 'aria-label', 'common:action.dismiss');
    close.addEventListener('click', clear);
    element.append(close);
  }
  const show = (kind: StatusKind, key: string, vars?: Vars) => {
    window.clearTimeout(timer);
    element.setAttribute('aria-live', kind === 'error' ? 'assertive' : 'polite');
    element.dataset.kind = kind;
    delete element.dataset.code;
    i18n.bind(text, key, vars);
    if (options.toast && kind === 'success') timer = window.setTimeout(clear, TOAST_MS);
  };
  return {
    element,
    show,
    error(error: unknown) {
      const { key, vars } = describeError(i18n, error);
      show('error', key, vars);
      element.dataset.code = (error as { code?: string } | null)?.code ?? 'Unexpected';
    },
    clear,
  };
}
