import { h } from '../dom.js';
import type { Localizer, Vars } from '../i18n.js';

export interface ConfirmOptions {
  title: string;
  body: string;
  vars?: Vars;
  confirm: string;
  danger?: boolean;
}

/** A modal question with the browser's own <dialog>: focus is trapped and Escape cancels. */
export function confirmDialog(i18n: Localizer, options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'button' }, i18n.text('common:action.cancel'));
    const confirm = h(
      'button',
      { type: 'submit', class: options.danger ? 'button button--danger' : 'button button--primary', value: 'confirm' },
      i18n.text(options.confirm),
    );
    const titleId = `dialog-title-${Date.now()}`;
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        i18n.bind(h('h2', { id: titleId }), options.title, options.vars),
        i18n.bind(h('p', {}), options.body, options.vars),
        h('div', { class: 'actions' }, cancel, confirm),
      ),
    );
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
