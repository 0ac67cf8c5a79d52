import type { Screen } from '../../context.js';
import { busy, h } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import { empty, operatorPage, section } from './page.js';
import type { Report } from './types.js';

/** Open reports, oldest first: uphold (reject what was reported) or dismiss (back to validation). */
export const moderationScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n, { toast: true });
  const list = h('ul', { class: 'operator-list', 'data-testid': 'reports' });
  const card = section(ctx, 'admin:moderation.open', 'moderation-queue', list);
  operatorPage(ctx, root, '/operator/moderation', 'admin:screen.moderation', 'admin:moderation.lead', card, status.element);

  /** Recordings fetched to be heard, let go when the page is left. */
  const clips: string[] = [];

  /** What the report is about: the sentence or sample's text in its language, and a recording to hear. */
  const subjectOf = (report: Report): { label: HTMLElement; body: HTMLElement | null } => {
    const subject = report.subject;
    if (!subject) {
      const label = report.sampleId ? i18n.text('admin:moderation.sample', { id: report.sampleId }) : i18n.text('admin:moderation.prompt', { id: report.promptId ?? '' });
      return { label, body: null };
    }
    const kind = subject.kind === 'prompt' ? 'prompt' : subject.modality;
    const label = i18n.text(`admin:moderation.about.${kind}`, { language: { lang: subject.language } });
    const text = subject.text ? h('blockquote', { class: 'reported-text', lang: subject.language, dir: 'auto', 'data-testid': 'reported-text' }, subject.text) : null;
    if (subject.kind !== 'sample' || !subject.audio || !report.sampleId) return { label, body: text };
    const sampleId = report.sampleId;
    const play = i18n.bind(h('button', { type: 'button', class: 'button', 'data-testid': 'reported-play' }), 'admin:moderation.play');
    const holder = h('div', { class: 'reported-audio' }, play);
    play.addEventListener('click', () =>
      void busy([play], async () => {
        try {
          const { blob } = await ctx.api.blob(`/samples/${encodeURIComponent(sampleId)}/audio`);
          const url = URL.createObjectURL(blob);
          clips.push(url);
          const audio = h('audio', { controls: true, src: url, 'data-testid': 'reported-audio' });
          i18n.attr(audio, 'aria-label', 'admin:moderation.about.speech', { language: { lang: subject.language } });
          play.replaceWith(audio);
          void audio.play().catch(() => undefined);
        } catch (error) {
          status.error(error);
        }
      }),
    );
    return { label, body: h('div', {}, text, holder) };
  };

  const item = (report: Report): HTMLElement => {
    const { label: target, body } = subjectOf(report);
    const uphold = i18n.bind(h('button', { type: 'button', class: 'button button--danger', 'data-testid': 'uphold' }), 'admin:moderation.uphold');
    const dismiss = i18n.bind(h('button', { type: 'button', class: 'button', 'data-testid': 'dismiss' }), 'admin:moderation.dismiss');
    const li = h(
      'li',
      { class: 'operator-list__item', 'data-report-id': report.id },
      h('p', {}, h('strong', {}, i18n.text(`admin:reason.${report.reason}`)), ' · ', target),
      body,
      report.detail ? h('p', { dir: 'auto' }, report.detail) : null,
      i18n.text('admin:moderation.reported', { date: { date: report.createdAt } }, 'p'),
      h('div', { class: 'actions' }, uphold, dismiss),
    );
    const decide = (decision: 'uphold' | 'dismiss') =>
      void busy([uphold, dismiss], async () => {
        try {
          await ctx.api.post(`/admin/reports/${encodeURIComponent(report.id)}/resolution`, { decision });
          li.remove();
          status.show('success', decision === 'uphold' ? 'admin:moderation.upheld' : 'admin:moderation.dismissed');
          if (!list.firstChild) list.replaceWith(empty(ctx, 'admin:moderation.none'));
        } catch (error) {
          status.error(error);
        }
      });
    uphold.addEventListener('click', () => decide('uphold'));
    dismiss.addEventListener('click', () => decide('dismiss'));
    return li;
  };

  ctx.api
    .get<{ reports: Report[] }>('/admin/reports?limit=100')
    .then(({ reports }) => {
      if (reports.length === 0) list.replaceWith(empty(ctx, 'admin:moderation.none'));
      else list.append(...reports.map(item));
      root.dataset.loaded = 'true';
    })
    .catch((error: unknown) => status.error(error));
  return () => clips.forEach((url) => URL.revokeObjectURL(url));
};
