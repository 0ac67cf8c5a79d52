import { sentToConsent } from '../components/consent-lapse.js';
import { dataLanguagePicker } from '../components/data-language.js';
import { flagList } from '../components/flags.js';
import { guide } from '../components/guide.js';
import { screenHeading } from '../components/heading.js';
import { bindKeys, withKey } from '../components/keyboard.js';
import { clock, measureDuration, settleDuration, togglePlay } from '../components/playback.js';
import { reportForm } from '../components/report-form.js';
import { ROUND_SIZE, roundProgress } from '../components/round-progress.js';
import { createStatus } from '../components/status.js';
import type { AppContext, Screen } from '../context.js';
import { ApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { MicError, Recording, recordingSupported, type Take } from '../recorder.js';
import type { Limits, Prompt, PromptList, Sample, Stats } from '../types.js';
import type { RecordingUpload } from '../outbox.js';

/** The longest take the app keeps recording; the node refuses what is over its own limit. */
const MAX_SECONDS = 30;
/** What the node asks for when it does not say (its own default). */
const DEFAULT_MIN_SECONDS = 1;

type Phase = 'loading' | 'failed' | 'empty' | 'ready' | 'recording' | 'recorded' | 'sending' | 'summary';

/** A take as the volunteer hears it back: its bytes, a URL for <audio>, and its measured length. */
interface Heard extends Take {
  url: string;
  length: number;
}

/**
 * "This node has no sentences in Yoruba yet" and "you have read them all" are different news:
 * the node's stats say which, so the volunteer is told the truth and where to go next.
 */
async function emptyReason(ctx: AppContext, language: string): Promise<'none' | 'done'> {
  try {
    const stats = await ctx.api.get<Stats>('/stats');
    const accepted = stats.languages.find((l) => l.language === language)?.prompts.accepted ?? 0;
    return accepted > 0 ? 'done' : 'none';
  } catch {
    return 'done';
  }
}

/**
 * Read sentences aloud in rounds of five: record, listen back, record again if needed, send;
 * "3 of 5" and a step bar say where one is, a summary closes the round and "5 more" starts the
 * next. Every action has a key shown on its button. A take shorter than the node's minimum is
 * not offered for sending.
 */
export const speakScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);
  let minSeconds = DEFAULT_MIN_SECONDS;
  let queue: Prompt[] = [];
  /** Skipped or reported in this visit: offered again only when nothing else is left (reported never). */
  const skipped = new Set<string>();
  const reported = new Set<string>();
  let prompt: Prompt | null = null;
  let round: Array<{ prompt: Prompt; sample: Sample }> = [];
  let recording: Recording | null = null;
  let take: Heard | null = null;
  let upload: RecordingUpload | null = null;
  let frame = 0;
  let loadTicket = 0;

  const progress = roundProgress(i18n, 'contribute:speak.progressLabel');

  // Sentence card
  const sentence = h('p', { class: 'sentence', dir: 'auto', 'data-testid': 'sentence' });
  const skipButton = withKey(h('button', { type: 'button', class: 'button button--quiet', 'data-testid': 'skip-sentence' }, i18n.text('contribute:speak.skip')), 's');
  const reportSlot = h('div', { class: 'sentence-card__report' });
  const sentenceCard = h(
    'section',
    { class: 'card sentence-card', 'aria-labelledby': 'sentence-label' },
    i18n.bind(h('h2', { id: 'sentence-label', class: 'eyebrow' }), 'contribute:speak.sentenceLabel'),
    sentence,
    h('div', { class: 'sentence-card__footer' }, skipButton),
    reportSlot,
  );

  // Recorder
  const recordLabel = i18n.text('contribute:record.start');
  const recordButton = withKey(
    h('button', { type: 'button', class: 'record-button', 'data-testid': 'record' }, h('span', { class: 'record-button__icon', 'aria-hidden': 'true' }), recordLabel),
    'r',
  );
  const timer = h('span', { class: 'timer', 'aria-hidden': 'true' }, '0:00');
  const meterFill = h('span', { class: 'meter__fill' });
  const meter = h('span', { class: 'meter', 'aria-hidden': 'true' }, meterFill);
  const player = h('audio', { controls: true, preload: 'auto', class: 'player', 'data-testid': 'playback' });
  i18n.attr(player, 'aria-label', 'contribute:record.playback');
  const playLabel = i18n.text('contribute:record.play');
  const playButton = withKey(h('button', { type: 'button', class: 'button', 'data-testid': 'play' }, playLabel), 'p');
  const length = h('span', { class: 'take-length', 'data-testid': 'take-length' });
  const sendButton = withKey(h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'send' }, i18n.text('contribute:record.send')), 'n');
  const tooShort = h('p', { class: 'too-short', role: 'note', hidden: true, 'data-testid': 'too-short' });
  const uploadBar = h('progress', { class: 'progress', max: '100', value: '0' });
  i18n.attr(uploadBar, 'aria-label', 'contribute:upload.label');
  const uploadText = h('span', { class: 'progress-text' });
  const review = h(
    'div',
    { class: 'review', hidden: true },
    player,
    h('div', { class: 'review__row' }, playButton, length),
    tooShort,
    h('div', { class: 'actions' }, sendButton),
  );
  const sending = h('div', { class: 'sending', hidden: true }, uploadBar, uploadText);
  const recorderHint = i18n.text('contribute:record.hint', {}, 'p');
  recorderHint.className = 'hint';
  const recorderPanel = h(
    'section',
    { class: 'card recorder' },
    h('div', { class: 'recorder__controls' }, recordButton, h('div', { class: 'recorder__live' }, timer, meter)),
    recorderHint,
    review,
    sending,
  );

  // End of a round
  const moreButton = withKey(h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'more' }, i18n.text('common:round.more', { count: ROUND_SIZE })), 'm');
  const summary = h('section', { class: 'card card--success summary', hidden: true, 'data-testid': 'round-summary', 'aria-labelledby': 'summary-title' });

  // Nothing to read
  const emptyText = h('p', { 'data-testid': 'empty-text' });
  const empty = h(
    'section',
    { class: 'card empty', hidden: true, 'data-testid': 'speak-empty' },
    emptyText,
    h(
      'div',
      { class: 'actions' },
      i18n.bind(h('a', { href: '/sentences', 'data-route': '', class: 'button button--primary' }), 'contribute:speak.emptyPropose'),
      i18n.bind(h('a', { href: '/listen', 'data-route': '', class: 'button' }), 'contribute:speak.emptyListen'),
    ),
  );

  const retry = h('button', { type: 'button', class: 'button', hidden: true }, i18n.text('common:action.retry'));
  retry.addEventListener('click', () => void loadPrompts());

  const setPhase = (phase: Phase) => {
    root.dataset.phase = phase;
    const away = phase === 'empty' || phase === 'failed' || phase === 'summary';
    // While loading, the cards keep their place so the page does not jump when a sentence comes.
    sentenceCard.hidden = away;
    recorderPanel.hidden = away;
    progress.element.hidden = phase === 'empty' || phase === 'failed';
    empty.hidden = phase !== 'empty';
    retry.hidden = phase !== 'failed';
    summary.hidden = phase !== 'summary';
    review.hidden = phase !== 'recorded';
    sending.hidden = phase !== 'sending';
    recordButton.disabled = phase === 'sending' || phase === 'loading';
    skipButton.disabled = phase === 'recording' || phase === 'sending' || phase === 'loading';
    recordButton.classList.toggle('is-recording', phase === 'recording');
    i18n.bind(recordLabel, phase === 'recording' ? 'contribute:record.stop' : phase === 'recorded' ? 'contribute:record.again' : 'contribute:record.start');
    recorderHint.hidden = phase !== 'ready';
    if (phase !== 'recording') meterFill.style.transform = 'scaleX(0)';
  };

  const discardTake = () => {
    if (take) URL.revokeObjectURL(take.url);
    take = null;
    player.pause();
    player.removeAttribute('src');
    player.load();
    timer.textContent = '0:00';
    length.textContent = '';
    tooShort.hidden = true;
  };

  const showPrompt = (next: Prompt) => {
    prompt = next;
    discardTake();
    sentence.classList.remove('is-loading');
    sentence.textContent = next.text;
    sentence.lang = next.language;
    sentenceCard.dataset.promptId = next.id;
    replaceChildren(
      reportSlot,
      reportForm(i18n, {
        openKey: 'contribute:report.open',
        send: async (body) => {
          try {
            await api.post(`/prompts/${encodeURIComponent(next.id)}/reports`, body);
            reported.add(next.id);
            status.show('success', 'contribute:report.sent');
            void another({ keepStatus: true });
          } catch (error) {
            status.error(error);
            if (error instanceof ApiError && error.code === 'AlreadyReported') {
              reported.add(next.id);
              void another({ keepStatus: true });
            }
          }
        },
      }),
    );
    setPhase('ready');
  };

  /** Sentences still to offer: never the one on screen, none already read or reported in this visit. */
  const candidates = (exclude: string | null) => {
    const used = new Set(round.map((r) => r.prompt.id));
    return queue.filter((p) => p.id !== exclude && !used.has(p.id) && !reported.has(p.id));
  };

  const fetchPrompts = async (): Promise<Prompt[]> => {
    const { prompts } = await api.get<PromptList>(`/prompts?lang=${encodeURIComponent(language)}&limit=20`);
    // Sentences skipped in this visit go last, so "another sentence" means another one.
    return [...prompts.filter((p) => !skipped.has(p.id)), ...prompts.filter((p) => skipped.has(p.id))];
  };

  /** Moves to another sentence than the current one; keeps the current one if there is none. */
  const another = async (options: { keepStatus?: boolean } = {}) => {
    const current = prompt?.id ?? null;
    let next = candidates(current)[0];
    if (!next) {
      const ticket = ++loadTicket;
      try {
        queue = await fetchPrompts();
      } catch (error) {
        status.error(error);
        return;
      }
      if (ticket !== loadTicket) return;
      next = candidates(current).find((p) => !skipped.has(p.id)) ?? candidates(current)[0];
    }
    if (next) {
      queue = queue.filter((p) => p.id !== next!.id);
      showPrompt(next);
      if (!options.keepStatus) status.clear();
    } else if (current && !reported.has(current) && !round.some((r) => r.prompt.id === current)) {
      status.show('info', 'contribute:speak.noOther');
    } else if (round.length > 0) {
      showSummary();
    } else {
      await showEmpty();
    }
  };

  const loadPrompts = async () => {
    const ticket = ++loadTicket;
    prompt = null;
    setPhase('loading');
    sentence.textContent = '';
    sentence.classList.add('is-loading');
    status.show('progress', 'contribute:speak.loading');
    try {
      queue = await fetchPrompts();
      if (ticket !== loadTicket) return;
      const next = candidates(null)[0];
      if (next) {
        queue = queue.filter((p) => p.id !== next.id);
        status.clear();
        showPrompt(next);
      } else if (round.length > 0) {
        showSummary();
      } else {
        await showEmpty();
      }
    } catch (error) {
      if (ticket !== loadTicket) return;
      setPhase('failed');
      status.error(error);
    }
  };

  const showEmpty = async () => {
    const reason = await emptyReason(ctx, language);
    i18n.bind(emptyText, reason === 'none' ? 'contribute:speak.emptyNone' : 'contribute:speak.emptyDone', { language: { lang: language } });
    empty.dataset.reason = reason;
    status.clear();
    setPhase('empty');
  };

  const animateMeter = () => {
    if (!recording) return;
    const seconds = recording.elapsedSeconds();
    timer.textContent = clock(Math.floor(seconds));
    meterFill.style.transform = `scaleX(${recording.level().toFixed(3)})`;
    if (seconds >= MAX_SECONDS) {
      void stopRecording();
      return;
    }
    frame = requestAnimationFrame(animateMeter);
  };

  const startRecording = async () => {
    discardTake();
    status.clear();
    recordButton.disabled = true;
    try {
      recording = await Recording.start();
    } catch (error) {
      recordButton.disabled = false;
      status.show('error', `contribute:record.${error instanceof MicError ? error.problem : 'micFailed'}`);
      return;
    }
    recordButton.disabled = false;
    setPhase('recording');
    status.show('info', 'contribute:record.recording');
    frame = requestAnimationFrame(animateMeter);
  };

  const stopRecording = async () => {
    const current = recording;
    if (!current) return;
    recording = null;
    cancelAnimationFrame(frame);
    recordButton.disabled = true;
    try {
      const made = await current.stop();
      const measured = (await measureDuration(made.blob)) ?? made.seconds;
      take = { ...made, url: URL.createObjectURL(made.blob), length: measured };
      player.src = take.url;
      void settleDuration(player);
      timer.textContent = clock(measured);
      i18n.bind(length, 'contribute:record.length', { length: clock(measured) });
      review.dataset.seconds = measured.toFixed(2);
      const short = measured < minSeconds;
      tooShort.hidden = !short;
      sendButton.hidden = short;
      setPhase('recorded');
      if (short) {
        i18n.bind(tooShort, 'contribute:record.tooShort', { seconds: (Math.floor(measured * 10) / 10).toFixed(1), min: minSeconds });
        status.show('error', 'contribute:record.tooShortStatus');
        recordButton.focus();
      } else {
        status.show('info', 'contribute:record.recorded', { seconds: Math.round(measured) });
        sendButton.focus();
      }
    } catch {
      setPhase('ready');
      status.show('error', 'contribute:record.micFailed');
    } finally {
      recordButton.disabled = false;
    }
  };

  const send = () => {
    if (!take || !prompt || !session.token || take.length < minSeconds) return;
    const sent = prompt;
    player.pause();
    setPhase('sending');
    uploadBar.value = 0;
    i18n.bind(uploadText, 'contribute:upload.progress', { percent: 0 });
    status.show('progress', 'contribute:upload.sending');
    // Kept on the device first, then sent; without a connection it waits and goes by itself later.
    upload = ctx.outbox.submit(
      { blob: take.blob, promptId: sent.id, language, token: session.token },
      {
        onProgress: (fraction) => {
          const percent = Math.round(fraction * 100);
          uploadBar.value = percent;
          i18n.bind(uploadText, percent >= 100 ? 'contribute:upload.checking' : 'contribute:upload.progress', { percent });
        },
        onQueued: () => {
          if (sent !== prompt) return;
          // This take is in the queue: the volunteer goes on with the next sentence meanwhile.
          upload?.abort();
          upload = null;
          reported.add(sent.id);
          void another({ keepStatus: true }).then(() => status.show('info', 'contribute:upload.queued'));
        },
      },
    );
    upload.done.then(
      (sample) => sent === prompt && accepted(sent, sample),
      (error: unknown) => {
        upload = null;
        if (sentToConsent(ctx, error)) return;
        setPhase('recorded');
        status.error(error);
        // The sentence is gone (withdrawn by a moderator): the take cannot be used; move on.
        if (error instanceof ApiError && error.code === 'PromptNotFound') {
          reported.add(sent.id);
          void another({ keepStatus: true });
          return;
        }
        recordButton.focus();
      },
    );
  };

  const accepted = (sent: Prompt, sample: Sample) => {
    upload = null;
    round.push({ prompt: sent, sample });
    progress.set(round.length);
    root.dataset.sent = String(round.length);
    if (round.length >= ROUND_SIZE) {
      showSummary();
      return;
    }
    void another({ keepStatus: true }).then(() => {
      // One message at a time: the news about this take replaces whatever was said before.
      if (sample.flags.length > 0) status.show('info', 'contribute:speak.sentFlagged');
      else status.show('success', 'contribute:speak.sent');
      if (root.dataset.phase === 'ready') recordButton.focus();
    });
  };

  const showSummary = () => {
    prompt = null;
    discardTake();
    const flagged = round.filter((r) => r.sample.flags.length > 0);
    replaceChildren(
      summary,
      i18n.bind(h('h2', { id: 'summary-title', tabindex: '-1' }), 'contribute:speak.summaryTitle'),
      i18n.text('contribute:speak.summaryCount', { count: round.length }, 'p'),
      h(
        'ol',
        { class: 'summary__list' },
        round.map(({ prompt: p, sample }) =>
          h('li', { 'data-sample-id': sample.id }, h('span', { lang: p.language, dir: 'auto' }, p.text), flagList(i18n, sample.flags, 'contribute:speak.flagsHeading')),
        ),
      ),
      i18n.text('contribute:speak.summaryLead', {}, 'p'),
      h('div', { class: 'actions' }, moreButton),
    );
    summary.dataset.flagged = String(flagged.length);
    status.clear();
    setPhase('summary');
    summary.querySelector('h2')?.focus();
  };

  recordButton.addEventListener('click', () => {
    if (recording) void stopRecording();
    else void startRecording();
  });
  playButton.addEventListener('click', () => {
    if (take) togglePlay(player);
  });
  const syncPlayLabel = () => i18n.bind(playLabel, player.paused ? 'contribute:record.play' : 'contribute:record.pause');
  player.addEventListener('play', syncPlayLabel);
  player.addEventListener('pause', syncPlayLabel);
  player.addEventListener('ended', syncPlayLabel);
  sendButton.addEventListener('click', send);
  skipButton.addEventListener('click', () => {
    if (prompt) skipped.add(prompt.id);
    void another();
  });
  moreButton.addEventListener('click', () => {
    round = [];
    progress.set(0);
    delete root.dataset.sent;
    void loadPrompts().then(() => recordButton.isConnected && !recordButton.hidden && recordButton.focus());
  });

  const picker = dataLanguagePicker(ctx, (tag) => {
    language = tag;
    recording?.cancel();
    recording = null;
    queue = [];
    round = [];
    progress.set(0);
    skipped.clear();
    void loadPrompts();
  });

  root.append(
    screenHeading(i18n, 'contribute:speak.title', 'contribute:speak.lead'),
    picker,
    recordingSupported() ? '' : i18n.text('contribute:record.micUnsupported', {}, 'p'),
    progress.element,
    sentenceCard,
    recorderPanel,
    summary,
    empty,
    status.element,
    retry,
    guide(i18n, 'contribute'),
  );
  setPhase('loading');
  const unbindKeys = bindKeys(root);
  void api.get<Limits>('/limits').then(
    (limits) => {
      minSeconds = limits.audio.minSeconds;
    },
    () => {},
  );
  void loadPrompts();

  return () => {
    unbindKeys();
    cancelAnimationFrame(frame);
    recording?.cancel();
    upload?.abort();
    discardTake();
  };
};
