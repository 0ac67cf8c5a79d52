import { h } from '../dom.js';

/**
 * Single-letter shortcuts, as Common Voice has them: each key clicks the first of its buttons
 * that is on screen and enabled, so a key means whatever its button means at that moment and is
 * disabled exactly when the button is. Keys are shown on the buttons themselves.
 */

/** Text entry swallows letters: a volunteer typing a report or a sentence never triggers a shortcut. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'range', 'reset', 'submit', 'file', 'color'].includes(target.type);
  return false;
}

function usable(button: HTMLButtonElement): boolean {
  return button.isConnected && !button.disabled && button.getClientRects().length > 0;
}

/** Puts the key on the button, for eyes (a <kbd>) and for assistive technology (aria-keyshortcuts). */
export function withKey<B extends HTMLButtonElement>(button: B, key: string): B {
  button.setAttribute('aria-keyshortcuts', key.toUpperCase());
  button.dataset.key = key;
  button.append(h('kbd', { class: 'kbd', 'aria-hidden': 'true' }, key.toUpperCase()));
  return button;
}

/** Listens on the document while a screen is shown; returns the cleanup for the screen. */
export function bindKeys(root: HTMLElement): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector('dialog[open]')) return;
    const key = event.key.toLowerCase();
    if (key.length !== 1) return;
    const candidates = root.querySelectorAll<HTMLButtonElement>(`button[data-key="${CSS.escape(key)}"]`);
    const button = [...candidates].find(usable);
    if (!button) return;
    event.preventDefault();
    button.click();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
