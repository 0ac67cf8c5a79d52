import { sentToConsent } from '../components/consent-lapse.js';
import { dataLanguagePicker } from '../components/data-language.js';
import { screenHeading } from '../components/heading.js';
import { sentencesNav } from '../components/sentences-nav.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { busy, h, uid } from '../dom.js';
import type { Prompt } from '../types.js';

/** The node's default; it refuses longer sentences with TextTooLong anyway. */
const MAX_CHARS = 200;

/**
 * Propose a sentence for others to read aloud. It waits for other volunteers' votes (Review)
 * before it is offered on Speak; the node checks it against its language's rules first.
 */
export const proposeScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);

  const textId = uid('sentence');
  const hintId = uid('sentence-hint');
  const textarea = h('textarea', {
    id: textId,
    name: 'sentence',
    rows: '3',
    maxlength: String(MAX_CHARS),
    required: true,
    lang: language,
    dir: 'auto',
    'aria-describedby': hintId,
    'data-testid': 'propose-text',
  });
  const label = i18n.text('contribute:sentences.propose.label', { language: { lang: language } }, 'label');
  label.htmlFor = textId;
  const hint = i18n.text('contribute:sentences.propose.hint', {}, 'p');
  hint.id = hintId;
  hint.className = 'hint';
  const sourceId = uid('source');
  const source = h('input', { id: sourceId, name: 'source', type: 'text', maxlength: '200', autocomplete: 'off', 'data-testid': 'propose-source' });
  const sourceLabel = i18n.text('contribute:sentences.propose.source', {}, 'label');
  sourceLabel.htmlFor = sourceId;
  const submit = h('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'propose-send' }, i18n.text('contribute:sentences.propose.send'));
  const proposed = h('ul', { class: 'proposed-list', 'data-testid': 'proposed-list' });
  const form = h(
    'form',
    { class: 'card propose-form' },
    h('div', { class: 'field' }, label, hint, textarea),
    h('div', { class: 'field' }, sourceLabel, source),
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    if (!text) {
      status.show('error', 'errors:TextEmpty');
      textarea.focus();
      return;
    }
    void busy([submit, textarea], async () => {
      status.show('progress', 'contribute:sentences.propose.sending');
      try {
        const prompt = await api.post<Prompt>('/prompts', { language, text, ...(source.value.trim() ? { source: source.value.trim() } : {}) });
        proposed.prepend(h('li', { 'data-prompt-id': prompt.id }, h('span', { lang: prompt.language, dir: 'auto' }, prompt.text)));
        textarea.value = '';
        status.show('success', 'contribute:sentences.propose.sent');
      } catch (error) {
        if (sentToConsent(ctx, error)) return;
        status.error(error);
      }
    }).then(() => textarea.isConnected && textarea.focus());
  });

  const picker = dataLanguagePicker(ctx, (tag) => {
    language = tag;
    textarea.lang = tag;
    i18n.bind(label, 'contribute:sentences.propose.label', { language: { lang: tag } });
  });

  root.append(
    screenHeading(i18n, 'contribute:sentences.propose.title', 'contribute:sentences.propose.lead'),
    sentencesNav(i18n, '/sentences'),
    picker,
    form,
    status.element,
    proposed,
  );
};
