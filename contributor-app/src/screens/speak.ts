import { dataLanguagePicker } from '../components/data-language.js';
import { flagList } from '../components/flags.js';
import { screenHeading } from '../components/heading.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { ApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { MicError, Recording, recordingSupported, type Take } from '../recorder.js';
import type { Prompt, PromptList, Sample } from '../types.js';
import { uploadRecording, type RecordingUpload } from '../upload.js';

/** The longest take the app keeps recording; the node refuses what is over its own limit. */
const MAX_SECONDS = 30;

type Phase = 'loading' | 'failed' | 'empty' | 'ready' | 'recording' | 'recorded' | 'sending' | 'sent';

function clock(seconds: number): string {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * Read a sentence aloud: record, listen back, record again if needed, send. The recording goes
 * up with tus in chunks; the node screens it and answers with the sample or a reason to retry.
 */
export const speakScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);
  let queue: Prompt[] = [];
  const skipped = new Set<string>();
  let prompt: Prompt | null = null;
  let recording: Recording | null = null;
  let take: (Take & { url: string }) | null = null;
  let upload: RecordingUpload | null = null;
  let frame = 0;
  let sentCount = 0;
  let loadTicket = 0;

  // Sentence card
  const sentence = h('p', { class: 'sentence', 'data-testid': 'sentence' });
  const skipButton = h('button', { type: 'button', class: 'button button--quiet', 'data-testid': 'skip-sentence' }, i18n.text('contribute:speak.skip'));
  const sentenceCard = h(
    'section',
    { class: 'card sentence-card', 'aria-labelledby': 'sentence-label' },
    i18n.bind(h('h2', { id: 'sentence-label', class: 'eyebrow' }), 'contribute:speak.sentenceLabel'),
    sentence,
    h('div', { class: 'sentence-card__footer' }, skipButton),
  );

  // Recorder
  const recordLabel = i18n.text('contribute:record.start');
  const recordButton = h(
    'button',
    { type: 'button', class: 'record-button', 'data-testid': 'record' },
    h('span', { class: 'record-button__icon', 'aria-hidden': 'true' }),
    recordLabel,
  );
  const timer = h('span', { class: 'timer', 'aria-hidden': 'true' }, '0:00');
  const meterFill = h('span', { class: 'meter__fill' });
  const meter = h('span', { class: 'meter', 'aria-hidden': 'true' }, meterFill);
  const player = h('audio', { controls: true, preload: 'metadata', class: 'player', 'data-testid': 'playback' });
  i18n.attr(player, 'aria-label', 'contribute:record.playback');
  const sendButton = h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'send' }, i18n.text('contribute:record.send'));
  const progress = h('progress', { class: 'progress', max: '100', value: '0' });
  i18n.attr(progress, 'aria-label', 'contribute:upload.label');
  const progressText = h('span', { class: 'progress-text' });
  const review = h('div', { class: 'review', hidden: true }, player, h('div', { class: 'actions' }, sendButton));
  const sending = h('div', { class: 'sending', hidden: true }, progress, progressText);
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

  // After sending
  const nextButton = h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'next-sentence' }, i18n.text('contribute:speak.next'));
  const result = h('section', { class: 'card card--success result', hidden: true, 'data-testid': 'speak-result' });
  const counter = h('p', { class: 'counter', hidden: true });

  // Nothing to read
  const emptyText = i18n.text('contribute:speak.empty', { language: { lang: language } }, 'p');
  const empty = h(
    'section',
    { class: 'card empty', hidden: true },
    emptyText,
    h(
      'div',
      { class: 'actions' },
      i18n.bind(h('a', { href: '/write', 'data-route': '', class: 'button' }), 'contribute:speak.emptyWrite'),
      i18n.bind(h('a', { href: '/listen', 'data-route': '', class: 'button' }), 'contribute:speak.emptyListen'),
    ),
  );

  const retry = h('button', { type: 'button', class: 'button', hidden: true }, i18n.text('common:action.retry'));
  retry.addEventListener('click', () => void loadPrompts());

  const setPhase = (phase: Phase) => {
    root.dataset.phase = phase;
    // While loading, the cards keep their place so the page does not jump when a sentence comes.
    sentenceCard.hidden = phase === 'empty' || phase === 'failed';
    recorderPanel.hidden = phase === 'empty' || phase === 'failed' || phase === 'sent';
    empty.hidden = phase !== 'empty';
    retry.hidden = phase !== 'failed';
    result.hidden = phase !== 'sent';
    review.hidden = phase !== 'recorded';
    sending.hidden = phase !== 'sending';
    recordButton.disabled = phase === 'sending' || phase === 'loading';
    skipButton.disabled = phase === 'recording' || phase === 'sending';
    recordButton.classList.toggle('is-recording', phase === 'recording');
    i18n.bind(recordLabel, phase === 'recording' ? 'contribute:record.stop' : phase === 'recorded' ? 'contribute:record.again' : 'contribute:record.start');
    recorderHint.hidden = phase !== 'ready';
    if (phase !== 'recording') meterFill.style.transform = 'scaleX(0)';
  };

  const discardTake = () => {
    if (take) URL.revokeObjectURL(take.url);
    take = null;
    player.removeAttribute('src');
    player.load();
    timer.textContent = '0:00';
  };

  const showPromptKeepingStatus = (next: Prompt) => {
    prompt = next;
    discardTake();
    sentence.classList.remove('is-loading');
    sentence.textContent = next.text;
    sentence.lang = next.language;
    setPhase('ready');
  };

  const showPrompt = (next: Prompt) => {
    showPromptKeepingStatus(next);
    status.clear();
  };

  const loadPrompts = async () => {
    const ticket = ++loadTicket;
    setPhase('loading');
    sentence.textContent = '';
    sentence.classList.add('is-loading');
    status.show('progress', 'contribute:speak.loading');
    try {
      const { prompts } = await api.get<PromptList>(`/prompts?lang=${encodeURIComponent(language)}&limit=20`);
      if (ticket !== loadTicket) return;
      // Sentences skipped in this visit go last, so "another sentence" means another one.
      queue = [...prompts.filter((p) => !skipped.has(p.id)), ...prompts.filter((p) => skipped.has(p.id))];
      if (queue.length === 0 || prompts.every((p) => skipped.has(p.id))) skipped.clear();
      nextPrompt();
    } catch (error) {
      if (ticket !== loadTicket) return;
      setPhase('failed');
      status.error(error);
    }
  };

  const nextPrompt = () => {
    const next = queue.shift();
    if (next) showPrompt(next);
    else {
      prompt = null;
      status.clear();
      setPhase('empty');
    }
  };

  const animateMeter = () => {
    if (!recording) return;
    const seconds = recording.elapsedSeconds();
    timer.textContent = clock(seconds);
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
      take = { ...made, url: URL.createObjectURL(made.blob) };
      player.src = take.url;
      timer.textContent = clock(made.seconds);
      setPhase('recorded');
      status.show('info', 'contribute:record.recorded', { seconds: Math.round(made.seconds) });
      sendButton.focus();
    } catch {
      setPhase('ready');
      status.show('error', 'contribute:record.micFailed');
    } finally {
      recordButton.disabled = false;
    }
  };

  const send = () => {
    if (!take || !prompt || !session.token) return;
    player.pause();
    setPhase('sending');
    progress.value = 0;
    i18n.bind(progressText, 'contribute:upload.progress', { percent: 0 });
    status.show('progress', 'contribute:upload.sending');
    upload = uploadRecording({
      blob: take.blob,
      promptId: prompt.id,
      token: session.token,
      onProgress: (fraction) => {
        const percent = Math.round(fraction * 100);
        progress.value = percent;
        i18n.bind(progressText, percent >= 100 ? 'contribute:upload.checking' : 'contribute:upload.progress', { percent });
      },
    });
    upload.done.then(showResult, (error: unknown) => {
      upload = null;
      if (error instanceof ApiError && error.code === 'ConsentRequired') {
        session.consented = false;
        ctx.navigate('/consent', { flash: { key: 'errors:ConsentRequired', kind: 'error' } });
        return;
      }
      setPhase('recorded');
      status.error(error);
      // The sentence is gone (withdrawn by a moderator): the take cannot be used; move on.
      if (error instanceof ApiError && error.code === 'PromptNotFound') {
        discardTake();
        const next = queue.shift();
        if (next) showPromptKeepingStatus(next);
        else void loadPrompts();
        return;
      }
      recordButton.focus();
    });
  };

  const showResult = (sample: Sample) => {
    upload = null;
    sentCount += 1;
    discardTake();
    replaceChildren(
      result,
      i18n.bind(h('h2', { tabindex: '-1' }), 'contribute:speak.thanks'),
      i18n.text('contribute:speak.sentNote', { seconds: Math.round((sample.audio?.facts.durationSeconds ?? 0) * 10) / 10 }, 'p'),
      flagList(i18n, sample.flags, 'contribute:speak.flagsHeading'),
      h('div', { class: 'actions' }, nextButton),
    );
    result.dataset.sampleId = sample.id;
    counter.hidden = false;
    i18n.bind(counter, 'contribute:speak.sessionCount', { count: sentCount });
    setPhase('sent');
    status.show('success', 'contribute:speak.sent');
    nextButton.focus();
  };

  recordButton.addEventListener('click', () => {
    if (recording) void stopRecording();
    else void startRecording();
  });
  sendButton.addEventListener('click', send);
  skipButton.addEventListener('click', () => {
    if (prompt) skipped.add(prompt.id);
    if (queue.length === 0) void loadPrompts();
    else nextPrompt();
  });
  nextButton.addEventListener('click', () => {
    if (queue.length === 0) void loadPrompts();
    else nextPrompt();
    recordButton.focus();
  });

  const picker = dataLanguagePicker(ctx, (tag) => {
    language = tag;
    recording?.cancel();
    recording = null;
    queue = [];
    skipped.clear();
    i18n.bind(emptyText, 'contribute:speak.empty', { language: { lang: language } });
    void loadPrompts();
  });

  root.append(
    screenHeading(i18n, 'contribute:speak.title', 'contribute:speak.lead'),
    picker,
    recordingSupported() ? '' : i18n.text('contribute:record.micUnsupported', {}, 'p'),
    sentenceCard,
    recorderPanel,
    result,
    empty,
    status.element,
    retry,
    counter,
  );
  setPhase('loading');
  void loadPrompts();

  return () => {
    cancelAnimationFrame(frame);
    recording?.cancel();
    upload?.abort();
    discardTake();
  };
};
