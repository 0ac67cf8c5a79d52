import { sentToConsent } from '../components/consent-lapse.js';
import { dataLanguagePicker } from '../components/data-language.js';
import { flagList } from '../components/flags.js';
import { screenHeading } from '../components/heading.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { busy, h, replaceChildren, uid } from '../dom.js';
import type { Localizer } from '../i18n.js';
import type { Sample } from '../types.js';

/** The node's default limit; it refuses longer texts with TextTooLong anyway. */
const MAX_CHARS = 2000;

/**
 * What language ID made of the text, said plainly. LID never rejects: a mismatch only flags the
 * text for validators, and the volunteer is told so.
 */
function lidFeedback(i18n: Localizer, sample: Sample): HTMLElement | null {
  const lid = sample.lid;
  if (!lid) return null;
  const declared = { lang: sample.language };
  if (lid.code === 'und') return i18n.text('contribute:write.lid.undetermined', {}, 'p');
  // LID speaks ISO 639-3; the declared language's own code says whether they agree.
  const detected = lid.code === sample.iso639_3 ? { lang: sample.language } : { lang: lid.code };
  if (lid.mismatch === 'language') return i18n.text('contribute:write.lid.languageMismatch', { detected, declared }, 'p');
  if (lid.mismatch === 'script') {
    return i18n.text('contribute:write.lid.scriptMismatch', { script: i18n.scriptName(lid.script), declared }, 'p');
  }
  return i18n.text('contribute:write.lid.match', { detected }, 'p');
}

/** Write text in the data language; the node runs language ID on it and says what it found. */
export const writeScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);

  const textId = uid('text');
  const hintId = uid('text-hint');
  const textarea = h('textarea', {
    id: textId,
    name: 'text',
    rows: '5',
    maxlength: String(MAX_CHARS),
    required: true,
    'aria-describedby': hintId,
    lang: language,
    'data-testid': 'write-text',
  });
  const label = i18n.text('contribute:write.label', { language: { lang: language } }, 'label');
  label.htmlFor = textId;
  const hint = i18n.text('contribute:write.hint', {}, 'p');
  hint.id = hintId;
  hint.className = 'hint';
  const counter = h('p', { class: 'char-count', 'aria-live': 'off' });
  const updateCounter = () => {
    const used = [...textarea.value].length;
    i18n.bind(counter, 'contribute:write.count', { count: used, max: MAX_CHARS });
  };
  updateCounter();
  textarea.addEventListener('input', updateCounter);

  const submit = h('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'write-send' }, i18n.text('contribute:write.send'));
  const result = h('section', { class: 'card card--success result', hidden: true, 'data-testid': 'write-result' });
  const form = h(
    'form',
    { class: 'card write-form' },
    h('div', { class: 'field' }, label, hint, textarea, counter),
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
      result.hidden = true;
      status.show('progress', 'contribute:write.sending');
      try {
        const sample = await api.post<Sample>('/samples/text', { language, text });
        replaceChildren(
          result,
          i18n.bind(h('h2', {}), 'contribute:write.thanks'),
          lidFeedback(i18n, sample),
          flagList(i18n, sample.flags, 'contribute:write.flagsHeading'),
        );
        result.dataset.sampleId = sample.id;
        result.hidden = false;
        textarea.value = '';
        updateCounter();
        status.show('success', 'contribute:write.sent');
      } catch (error) {
        if (sentToConsent(ctx, error)) return;
        status.error(error);
      }
    }).then(() => textarea.isConnected && textarea.focus());
  });

  const picker = dataLanguagePicker(ctx, (tag) => {
    language = tag;
    textarea.lang = tag;
    i18n.bind(label, 'contribute:write.label', { language: { lang: tag } });
  });

  root.append(screenHeading(i18n, 'contribute:write.title', 'contribute:write.lead'), picker, form, status.element, result);
};
