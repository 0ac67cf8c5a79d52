import type { AppContext } from '../context.js';
import { busy, h, replaceChildren, uid } from '../dom.js';
import type { Status } from './status.js';
import type { MySamples, Sample, SampleStatus } from '../types.js';

const STATUSES: readonly SampleStatus[] = ['pending', 'validated', 'rejected', 'withdrawn'];
const PAGE = 20;

/**
 * "My contributions": counts by status over everything the volunteer sent, then the samples
 * themselves, newest first, a page at a time. Status is said in words, not only in colour.
 */
export function mySamplesSection(ctx: AppContext, status: Status): HTMLElement {
  const { i18n, api } = ctx;
  const id = uid('section');
  const counts = h('ul', { class: 'sample-counts', 'data-testid': 'sample-counts' });
  const list = h('ul', { class: 'my-samples', 'aria-busy': 'true', 'data-testid': 'my-samples' });
  const more = h('button', { type: 'button', class: 'button', hidden: true, 'data-testid': 'my-samples-more' }, i18n.text('mydata:contributions.more'));
  let cursor: string | null = null;

  const item = (sample: Sample) =>
    h(
      'li',
      { class: 'my-sample', 'data-sample-id': sample.id, 'data-status': sample.status },
      h(
        'div',
        { class: 'my-sample__head' },
        i18n.text(`mydata:contributions.modality.${sample.modality}`, { language: { lang: sample.language } }, 'strong'),
        i18n.bind(h('span', { class: `badge badge--${sample.status}`, 'data-testid': 'sample-status' }), `mydata:contributions.status.${sample.status}`),
      ),
      sample.text
        ? h('p', { class: 'my-sample__text', lang: sample.language, dir: 'auto' }, sample.text)
        : i18n.text('mydata:contributions.erased', {}, 'p'),
      i18n.text('mydata:contributions.sentAt', { date: { date: sample.createdAt } }, 'p'),
    );

  const load = async (append: boolean) => {
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get<MySamples>(`/me/samples?limit=${PAGE}${append && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      replaceChildren(
        counts,
        STATUSES.map((s) =>
          i18n.text(`mydata:contributions.count.${s}`, { count: page.counts[s] }, 'li'),
        ),
      );
      counts.querySelectorAll('li').forEach((li, i) => li.setAttribute('data-status', STATUSES[i]!));
      if (!append) list.replaceChildren();
      if (!append && page.samples.length === 0) list.append(i18n.text('mydata:contributions.none', {}, 'li'));
      list.append(...page.samples.map(item));
      cursor = page.nextCursor;
      more.hidden = cursor === null;
    } catch (error) {
      status.error(error);
    } finally {
      list.setAttribute('aria-busy', 'false');
    }
  };
  more.addEventListener('click', () => void busy([more], () => load(true)));
  void load(false);

  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    i18n.bind(h('h2', { id }), 'mydata:contributions.title'),
    i18n.text('mydata:contributions.explain', {}, 'p'),
    counts,
    list,
    h('div', { class: 'actions' }, more),
  );
}
