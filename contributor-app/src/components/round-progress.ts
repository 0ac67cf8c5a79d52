import { h } from '../dom.js';
import type { Localizer } from '../i18n.js';

/** How many make a round: Common Voice's habit, short enough to finish on a bus stop. */
export const ROUND_SIZE = 5;

export interface RoundProgress {
  element: HTMLElement;
  /** `done` finished; the one being worked on is `done + 1` (unless the round is over). */
  set(done: number): void;
}

/** "3 of 5" and a bar of five steps; the words carry the meaning, the bar only shows it. */
export function roundProgress(i18n: Localizer, labelKey: string): RoundProgress {
  const steps = Array.from({ length: ROUND_SIZE }, () => h('li', { class: 'steps__step' }));
  const text = h('p', { class: 'round__text', 'data-testid': 'round-progress' });
  const bar = h('ol', { class: 'steps', 'aria-hidden': 'true' }, steps);
  const element = h('div', { class: 'round', role: 'group' }, text, bar);
  i18n.attr(element, 'aria-label', labelKey);
  const set = (done: number) => {
    const current = Math.min(done + 1, ROUND_SIZE);
    i18n.bind(text, 'common:round.progress', { current, total: ROUND_SIZE });
    element.dataset.done = String(done);
    steps.forEach((step, i) => {
      step.dataset.state = i < done ? 'done' : i === done ? 'current' : 'todo';
    });
  };
  set(0);
  return { element, set };
}
