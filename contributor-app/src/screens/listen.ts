import { ApiError } from '../api.js';
import { dataLanguagePicker } from '../components/data-language.js';
import { flagList } from '../components/flags.js';
import { screenHeading } from '../components/heading.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { busy, h, replaceChildren, uid } from '../dom.js';
import { REPORT_REASONS, type Sample, type SampleQueue, type VoteValue } from '../types.js';

type Modality = 'speech' | 'text';

/** Refusals that mean "someone else got there first": say so and move on to the next one. */
const MOVE_ON = new Set(['VotingClosed', 'AlreadyVoted', 'SampleWithdrawn', 'SampleOnHold', 'NotFound', 'OwnSample', 'AlreadyReported']);

/**
 * Check other volunteers' recordings and texts. A clip is fetched with the bearer token into a
 * blob URL (an <audio src> cannot send headers); yes/no unlock once it has been heard to the end.
 */
export const listenScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);
  let modality: Modality = 'speech';
  let queue: Sample[] = [];
  let current: Sample | null = null;
  let clipUrl: string | null = null;
  let checked = 0;
  let ticket = 0;

  // Recordings or texts
  const modalityName = uid('modality');
  const modalityField = h(
    'fieldset',
    { class: 'segmented' },
    i18n.bind(h('legend', { class: 'visually-hidden' }), 'validate:modality.legend'),
    (['speech', 'text'] as const).map((value) => {
      const input = h('input', { type: 'radio', name: modalityName, value, checked: value === modality, 'data-testid': `modality-${value}` });
      input.addEventListener('change', () => {
        if (!input.checked) return;
        modality = value;
        void load();
      });
      return h('label', { class: 'segmented__option' }, input, i18n.text(`validate:modality.${value}`));
    }),
  );

  const card = h('section', { class: 'card sample-card', hidden: true, 'data-testid': 'sample-card' });
  const counter = h('p', { class: 'counter', hidden: true });
  const emptyText = h('p', {});
  const reload = h('button', { type: 'button', class: 'button' }, i18n.text('validate:empty.reload'));
  reload.addEventListener('click', () => void load());
  const empty = h('section', { class: 'card empty', hidden: true }, emptyText, h('div', { class: 'actions' }, reload));

  const releaseClip = () => {
    if (clipUrl) URL.revokeObjectURL(clipUrl);
    clipUrl = null;
  };

  const load = async () => {
    const mine = ++ticket;
    card.hidden = true;
    empty.hidden = true;
    status.show('progress', 'validate:loading');
    try {
      const { samples } = await api.get<SampleQueue>(
        `/samples/to-validate?modality=${modality}&lang=${encodeURIComponent(language)}&limit=10`,
      );
      if (mine !== ticket) return;
      queue = samples;
      status.clear();
      next();
    } catch (error) {
      if (mine !== ticket) return;
      status.error(error);
      // Offer "look again" without claiming there is nothing to check.
      i18n.unbind(emptyText);
      emptyText.textContent = '';
      empty.hidden = false;
    }
  };

  const next = () => {
    releaseClip();
    const sample = queue.shift();
    current = sample ?? null;
    if (!sample) {
      card.hidden = true;
      i18n.bind(emptyText, `validate:empty.${modality}`, { language: { lang: language } });
      empty.hidden = false;
      return;
    }
    show(sample);
  };

  const show = (sample: Sample) => {
    const up = h('button', { type: 'button', class: 'button vote vote--up', 'data-testid': 'vote-up' }, h('span', { class: 'vote__icon', 'aria-hidden': 'true' }, '✓'), i18n.text('validate:vote.up'));
    const down = h('button', { type: 'button', class: 'button vote vote--down', 'data-testid': 'vote-down' }, h('span', { class: 'vote__icon', 'aria-hidden': 'true' }, '✕'), i18n.text('validate:vote.down'));
    const skip = h('button', { type: 'button', class: 'button vote vote--skip', 'data-testid': 'vote-skip' }, i18n.text('validate:vote.skip'));
    const buttons = [up, down, skip];

    let media: HTMLElement | null = null;
    const listenHint = h('p', { class: 'hint', hidden: true });
    if (sample.modality === 'speech' && sample.audio) {
      const audio = h('audio', { controls: true, preload: 'auto', class: 'player', 'data-testid': 'clip' });
      i18n.attr(audio, 'aria-label', 'validate:clip.label');
      up.disabled = true;
      down.disabled = true;
      i18n.bind(listenHint, 'validate:clip.listenFirst');
      listenHint.hidden = false;
      audio.addEventListener('ended', () => {
        up.disabled = false;
        down.disabled = false;
        listenHint.hidden = true;
      });
      media = h('div', { class: 'clip', 'aria-busy': 'true' }, audio);
      const url = sample.audio.url;
      const shown = sample.id;
      api.blob(url).then(
        ({ blob }) => {
          if (current?.id !== shown) return;
          clipUrl = URL.createObjectURL(blob);
          audio.src = clipUrl;
          media?.setAttribute('aria-busy', 'false');
        },
        (error: unknown) => {
          if (current?.id === shown) status.error(error);
        },
      );
    }

    const vote = (value: VoteValue) =>
      busy(buttons, async () => {
        try {
          await api.post<Sample>(`/samples/${encodeURIComponent(sample.id)}/votes`, { value });
          if (value !== 'skip') checked += 1;
          counter.hidden = checked === 0;
          i18n.bind(counter, 'validate:session.count', { count: checked });
          status.show('success', `validate:voted.${value}`);
          next();
        } catch (error) {
          status.error(error);
          if (error instanceof ApiError && MOVE_ON.has(error.code)) next();
        }
      });
    up.addEventListener('click', () => void vote('up'));
    down.addEventListener('click', () => void vote('down'));
    skip.addEventListener('click', () => void vote('skip'));

    const isSpeech = sample.modality === 'speech';
    replaceChildren(
      card,
      i18n.bind(h('h2', { class: 'question', tabindex: '-1' }), isSpeech ? 'validate:question.speech' : 'validate:question.text', {
        language: { lang: sample.language },
      }),
      h('p', { class: isSpeech ? 'sentence' : 'sentence sentence--text', lang: sample.language, 'data-testid': 'sample-text' }, sample.text ?? ''),
      media,
      flagList(i18n, sample.flags, 'validate:flagsHeading'),
      listenHint,
      h('div', { class: 'votes' }, buttons),
      reportForm(sample),
    );
    card.dataset.sampleId = sample.id;
    card.hidden = false;
  };

  const reportForm = (sample: Sample) => {
    const reasonId = uid('reason');
    const detailId = uid('detail');
    const reason = h(
      'select',
      { id: reasonId, name: 'reason', required: true },
      REPORT_REASONS.map((value) => i18n.bind(h('option', { value }), `validate:report.reasons.${value}`)),
    );
    const detail = h('textarea', { id: detailId, name: 'detail', rows: '2', maxlength: '1000' });
    const reasonLabel = i18n.text('validate:report.reason', {}, 'label');
    reasonLabel.htmlFor = reasonId;
    const detailLabel = i18n.text('validate:report.detail', {}, 'label');
    detailLabel.htmlFor = detailId;
    const send = h('button', { type: 'submit', class: 'button' }, i18n.text('validate:report.send'));
    const form = h(
      'form',
      { class: 'report-form' },
      h('div', { class: 'field' }, reasonLabel, reason),
      h('div', { class: 'field' }, detailLabel, detail),
      h('div', { class: 'actions' }, send),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy([send], async () => {
        try {
          const text = detail.value.trim();
          await api.post(`/samples/${encodeURIComponent(sample.id)}/reports`, {
            reason: reason.value,
            ...(text ? { detail: text } : {}),
          });
          status.show('success', 'validate:report.sent');
          next();
        } catch (error) {
          status.error(error);
          if (error instanceof ApiError && MOVE_ON.has(error.code)) next();
        }
      });
    });
    return h('details', { class: 'report' }, i18n.text('validate:report.open', {}, 'summary'), form);
  };

  const picker = dataLanguagePicker(
    ctx,
    (tag) => {
      language = tag;
      void load();
    },
    'validate:languageLabel',
  );

  root.append(
    screenHeading(i18n, 'validate:title', 'validate:lead'),
    h('div', { class: 'toolbar' }, modalityField, picker),
    card,
    empty,
    status.element,
    counter,
  );
  void load();
  return releaseClip;
};
