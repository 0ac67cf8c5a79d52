import { ApiError } from '../api.js';
import { dataLanguagePicker } from '../components/data-language.js';
import { flagList } from '../components/flags.js';
import { guide } from '../components/guide.js';
import { screenHeading } from '../components/heading.js';
import { bindKeys, withKey } from '../components/keyboard.js';
import { togglePlay } from '../components/playback.js';
import { reportForm } from '../components/report-form.js';
import { ROUND_SIZE, roundProgress } from '../components/round-progress.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { busy, h, replaceChildren, uid } from '../dom.js';
import type { Sample, SampleQueue, VoteValue } from '../types.js';

type Modality = 'speech' | 'text';

/** Refusals that mean "someone else got there first": say so and move on to the next one. */
const MOVE_ON = new Set(['VotingClosed', 'AlreadyVoted', 'SampleWithdrawn', 'SampleOnHold', 'NotFound', 'OwnSample', 'AlreadyReported']);

/**
 * Check other volunteers' recordings and texts, in rounds of five with a summary and "5 more".
 * A clip is fetched with the bearer token into a blob URL (an <audio src> cannot send headers);
 * yes/no unlock once it has been heard to the end. P plays, Y/N/S vote, M starts the next round.
 */
export const listenScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);
  let modality: Modality = 'speech';
  let queue: Sample[] = [];
  let current: Sample | null = null;
  let clipUrl: string | null = null;
  let round: Array<{ sample: Sample; vote: VoteValue }> = [];
  let ticket = 0;

  const progress = roundProgress(i18n, 'validate:progressLabel');

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
        startRound();
      });
      return h('label', { class: 'segmented__option' }, input, i18n.text(`validate:modality.${value}`));
    }),
  );

  const card = h('section', { class: 'card sample-card', hidden: true, 'data-testid': 'sample-card' });
  const emptyText = h('p', { 'data-testid': 'empty-text' });
  const reload = h('button', { type: 'button', class: 'button' }, i18n.text('validate:empty.reload'));
  reload.addEventListener('click', () => void load());
  const empty = h('section', { class: 'card empty', hidden: true }, emptyText, h('div', { class: 'actions' }, reload));
  const moreButton = withKey(h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'more' }, i18n.text('common:round.more', { count: ROUND_SIZE })), 'm');
  moreButton.addEventListener('click', () => startRound());
  const summary = h('section', { class: 'card card--success summary', hidden: true, 'data-testid': 'round-summary', 'aria-labelledby': 'listen-summary-title' });

  const releaseClip = () => {
    if (clipUrl) URL.revokeObjectURL(clipUrl);
    clipUrl = null;
  };

  const hideAll = () => {
    card.hidden = true;
    empty.hidden = true;
    summary.hidden = true;
  };

  const startRound = () => {
    round = [];
    progress.set(0);
    void load();
  };

  const load = async () => {
    const mine = ++ticket;
    hideAll();
    progress.element.hidden = false;
    root.dataset.phase = 'loading';
    status.show('progress', 'validate:loading');
    try {
      const { samples } = await api.get<SampleQueue>(
        `/samples/to-validate?modality=${modality}&lang=${encodeURIComponent(language)}&limit=${ROUND_SIZE * 2}`,
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
    if (round.length >= ROUND_SIZE) return showSummary();
    const sample = queue.shift();
    current = sample ?? null;
    if (!sample) {
      if (round.length > 0) return showSummary();
      card.hidden = true;
      progress.element.hidden = true;
      i18n.bind(emptyText, `validate:empty.${modality}`, { language: { lang: language } });
      empty.hidden = false;
      root.dataset.phase = 'empty';
      return;
    }
    show(sample);
  };

  const showSummary = () => {
    current = null;
    hideAll();
    const counts = { up: 0, down: 0, skip: 0 };
    for (const { vote } of round) counts[vote] += 1;
    replaceChildren(
      summary,
      i18n.bind(h('h2', { id: 'listen-summary-title', tabindex: '-1' }), 'validate:summary.title'),
      i18n.text('validate:summary.counts', { yes: counts.up, no: counts.down, skipped: counts.skip }, 'p'),
      i18n.text('validate:summary.lead', {}, 'p'),
      h('div', { class: 'actions' }, moreButton),
    );
    summary.hidden = false;
    root.dataset.phase = 'summary';
    summary.querySelector('h2')?.focus();
  };

  const show = (sample: Sample) => {
    const up = withKey(h('button', { type: 'button', class: 'button vote vote--up', 'data-testid': 'vote-up' }, h('span', { class: 'vote__icon', 'aria-hidden': 'true' }, '✓'), i18n.text('validate:vote.up')), 'y');
    const down = withKey(h('button', { type: 'button', class: 'button vote vote--down', 'data-testid': 'vote-down' }, h('span', { class: 'vote__icon', 'aria-hidden': 'true' }, '✕'), i18n.text('validate:vote.down')), 'n');
    const skip = withKey(h('button', { type: 'button', class: 'button vote vote--skip', 'data-testid': 'vote-skip' }, i18n.text('validate:vote.skip')), 's');
    const buttons = [up, down, skip];

    let media: HTMLElement | null = null;
    const listenHint = h('p', { class: 'hint', hidden: true });
    if (sample.modality === 'speech' && sample.audio) {
      const audio = h('audio', { controls: true, preload: 'auto', class: 'player', 'data-testid': 'clip' });
      i18n.attr(audio, 'aria-label', 'validate:clip.label');
      const playLabel = i18n.text('validate:clip.play');
      const play = withKey(h('button', { type: 'button', class: 'button', 'data-testid': 'play' }, playLabel), 'p');
      play.addEventListener('click', () => {
        if (audio.src) togglePlay(audio);
      });
      const syncPlayLabel = () => i18n.bind(playLabel, audio.paused ? 'validate:clip.play' : 'validate:clip.pause');
      audio.addEventListener('play', syncPlayLabel);
      audio.addEventListener('pause', syncPlayLabel);
      up.disabled = true;
      down.disabled = true;
      i18n.bind(listenHint, 'validate:clip.listenFirst');
      listenHint.hidden = false;
      audio.addEventListener('ended', () => {
        syncPlayLabel();
        up.disabled = false;
        down.disabled = false;
        listenHint.hidden = true;
        card.dataset.heard = 'true';
      });
      media = h('div', { class: 'clip', 'aria-busy': 'true' }, audio, h('div', { class: 'actions' }, play));
      const url = sample.audio.url;
      const shown = sample.id;
      api.blob(url).then(
        ({ blob }) => {
          if (current?.id !== shown) return;
          clipUrl = URL.createObjectURL(blob);
          audio.src = clipUrl;
          media?.setAttribute('aria-busy', 'false');
          card.dataset.loaded = 'true';
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
          round.push({ sample, vote: value });
          progress.set(round.length);
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
      h('p', { class: isSpeech ? 'sentence' : 'sentence sentence--text', lang: sample.language, dir: 'auto', 'data-testid': 'sample-text' }, sample.text ?? ''),
      media,
      flagList(i18n, sample.flags, 'validate:flagsHeading'),
      listenHint,
      h('div', { class: 'votes' }, buttons),
      reportForm(i18n, {
        openKey: 'validate:report.open',
        send: async (body) => {
          try {
            await api.post(`/samples/${encodeURIComponent(sample.id)}/reports`, body);
            status.show('success', 'validate:report.sent');
            next();
          } catch (error) {
            status.error(error);
            if (error instanceof ApiError && MOVE_ON.has(error.code)) next();
          }
        },
      }),
    );
    delete card.dataset.heard;
    delete card.dataset.loaded;
    card.dataset.sampleId = sample.id;
    card.hidden = false;
    root.dataset.phase = 'voting';
  };

  const picker = dataLanguagePicker(
    ctx,
    (tag) => {
      language = tag;
      startRound();
    },
    'validate:languageLabel',
  );

  root.append(
    screenHeading(i18n, 'validate:title', 'validate:lead'),
    h('div', { class: 'toolbar' }, modalityField, picker),
    progress.element,
    card,
    summary,
    empty,
    status.element,
    guide(i18n, 'validate'),
  );
  const unbindKeys = bindKeys(root);
  startRound();
  return () => {
    unbindKeys();
    releaseClip();
  };
};
