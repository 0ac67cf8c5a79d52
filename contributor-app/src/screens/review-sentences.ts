import { ApiError } from '../api.js';
import { dataLanguagePicker } from '../components/data-language.js';
import { screenHeading } from '../components/heading.js';
import { bindKeys, withKey } from '../components/keyboard.js';
import { sentencesNav } from '../components/sentences-nav.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { busy, h } from '../dom.js';
import type { Prompt, PromptList, VoteValue } from '../types.js';

/** Refusals that mean the sentence is no longer there to vote on: move on. */
const MOVE_ON = new Set(['VotingClosed', 'AlreadyVoted', 'NotFound', 'OwnSample']);

/** Vote on sentences other volunteers proposed: Y / N / S, as on Listen. */
export const reviewSentencesScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  let language = session.dataLanguage(i18n.locale);
  let queue: Prompt[] = [];
  let current: Prompt | null = null;
  let ticket = 0;

  const text = h('p', { class: 'sentence', dir: 'auto', 'data-testid': 'review-sentence' });
  const up = withKey(h('button', { type: 'button', class: 'button vote vote--up', 'data-testid': 'vote-up' }, i18n.text('contribute:sentences.review.up')), 'y');
  const down = withKey(h('button', { type: 'button', class: 'button vote vote--down', 'data-testid': 'vote-down' }, i18n.text('contribute:sentences.review.down')), 'n');
  const skip = withKey(h('button', { type: 'button', class: 'button vote vote--skip', 'data-testid': 'vote-skip' }, i18n.text('validate:vote.skip')), 's');
  const card = h(
    'section',
    { class: 'card sample-card', hidden: true, 'data-testid': 'review-card' },
    i18n.bind(h('h2', { class: 'question' }), 'contribute:sentences.review.question'),
    text,
    i18n.text('contribute:sentences.review.criteria', {}, 'p'),
    h('div', { class: 'votes' }, up, down, skip),
  );
  const emptyText = h('p', { 'data-testid': 'empty-text' });
  const empty = h(
    'section',
    { class: 'card empty', hidden: true, 'data-testid': 'review-empty' },
    emptyText,
    h('div', { class: 'actions' }, i18n.bind(h('a', { href: '/sentences', 'data-route': '', class: 'button' }), 'contribute:sentences.proposeTab')),
  );

  const show = () => {
    current = queue.shift() ?? null;
    if (!current) {
      card.hidden = true;
      i18n.bind(emptyText, 'contribute:sentences.review.empty', { language: { lang: language } });
      empty.hidden = false;
      return;
    }
    text.textContent = current.text;
    text.lang = current.language;
    card.dataset.promptId = current.id;
    empty.hidden = true;
    card.hidden = false;
  };

  const load = async () => {
    const mine = ++ticket;
    card.hidden = true;
    empty.hidden = true;
    status.show('progress', 'validate:loading');
    try {
      const { prompts } = await api.get<PromptList>(`/prompts/to-review?lang=${encodeURIComponent(language)}&limit=20`);
      if (mine !== ticket) return;
      queue = prompts;
      status.clear();
      show();
    } catch (error) {
      if (mine !== ticket) return;
      status.error(error);
    }
  };

  const vote = (value: VoteValue) =>
    busy([up, down, skip], async () => {
      const prompt = current;
      if (!prompt) return;
      try {
        await api.post(`/prompts/${encodeURIComponent(prompt.id)}/votes`, { value });
        status.show('success', `validate:voted.${value}`);
      } catch (error) {
        status.error(error);
        if (!(error instanceof ApiError && MOVE_ON.has(error.code))) return;
      }
      if (queue.length === 0) await load();
      else show();
    });
  up.addEventListener('click', () => void vote('up'));
  down.addEventListener('click', () => void vote('down'));
  skip.addEventListener('click', () => void vote('skip'));

  const picker = dataLanguagePicker(ctx, (tag) => {
    language = tag;
    void load();
  });

  root.append(
    screenHeading(i18n, 'contribute:sentences.review.title', 'contribute:sentences.review.lead'),
    sentencesNav(i18n, '/sentences/review'),
    picker,
    card,
    empty,
    status.element,
  );
  const unbindKeys = bindKeys(root);
  void load();
  return unbindKeys;
};
