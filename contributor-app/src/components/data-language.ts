import type { AppContext } from '../context.js';
import { h, uid } from '../dom.js';

/**
 * The language a volunteer contributes or checks in, chosen among the node's languages. It is
 * data, not UI: it is remembered apart from the UI locale and sent with every contribution.
 */
export function dataLanguagePicker(
  ctx: AppContext,
  onChange: (tag: string) => void,
  labelKey = 'common:dataLanguage.label',
): HTMLElement {
  const { i18n, node, session } = ctx;
  const current = session.dataLanguage(i18n.locale);
  const id = uid('data-language');
  if (node.languages.length <= 1) {
    return i18n.text('common:dataLanguage.only', { language: { lang: current }, native: { native: current } }, 'p');
  }
  const select = h(
    'select',
    { id, name: 'dataLanguage' },
    node.languages.map((tag) =>
      i18n.bind(h('option', { value: tag, selected: tag === current, lang: tag }), 'common:dataLanguage.option', {
        language: { lang: tag },
        native: { native: tag },
      }),
    ),
  );
  select.addEventListener('change', () => {
    session.setDataLanguage(select.value);
    onChange(select.value);
  });
  const label = i18n.text(labelKey, {}, 'label');
  label.htmlFor = id;
  return h('div', { class: 'field field--inline data-language' }, label, select);
}
