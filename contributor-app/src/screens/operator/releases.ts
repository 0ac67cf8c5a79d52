import type { AppContext, Screen } from '../../context.js';
import { busy, h, uid } from '../../dom.js';
import { createStatus, type Status } from '../../components/status.js';
import { badge, dataTable, empty, facts, operatorPage, section } from './page.js';
import { ACCESS_CLASSES, type AccessChange, type BuildsInProgress, type DatasetState, type NoticeFeed, type Publishing, type ReleaseSummary, type Retraction } from './types.js';

/** What a signed notice says, read from its payload (the envelope was verified by whoever relies on it; this is a display). */
interface NoticeStatement {
  reason?: string;
  records?: string[];
  accessClass?: string;
  issued?: string;
  release?: { version: string };
}

function statementOf(payload: string): NoticeStatement {
  try {
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as NoticeStatement;
  } catch {
    return {};
  }
}

/** Asks for the reason of a retraction in a modal <dialog>; resolves null when cancelled. */
function askReason(ctx: AppContext, dataset: string): Promise<string | null> {
  const { i18n } = ctx;
  return new Promise((resolve) => {
    const id = uid('reason');
    const titleId = uid('retract-title');
    const reason = h('textarea', { id, required: true, maxlength: '1000', rows: '3', 'data-testid': 'retract-reason' });
    const cancel = i18n.bind(h('button', { type: 'button', class: 'button' }), 'common:action.cancel');
    const confirm = i18n.bind(h('button', { type: 'submit', class: 'button button--danger', value: 'confirm', 'data-testid': 'retract-confirm' }), 'admin:releases.retract');
    const form = h(
      'form',
      { method: 'dialog' },
      i18n.bind(h('h2', { id: titleId }), 'admin:releases.retractTitle', { dataset }),
      i18n.text('admin:releases.retractExplain', {}, 'p'),
      h('div', { class: 'field' }, i18n.bind(h('label', { for: id }), 'admin:releases.reason'), reason),
      h('div', { class: 'actions' }, cancel, confirm),
    );
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': 'retract-dialog' }, form);
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm' && reason.value.trim() ? reason.value.trim() : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}

function buildForm(ctx: AppContext, status: Status, onBuilt: () => void): HTMLElement {
  const { i18n } = ctx;
  const field = (key: string, control: HTMLElement) => {
    control.id = uid('build');
    return h('div', { class: 'field' }, i18n.bind(h('label', { for: control.id }), key), control);
  };
  const language = h('select', { 'data-testid': 'build-language' }, ctx.node.languages.map((tag) => h('option', { value: tag }, `${i18n.languageName(tag)} (${tag})`)));
  const modality = h('select', { 'data-testid': 'build-modality' }, (['speech', 'text'] as const).map((m) => i18n.bind(h('option', { value: m }), `admin:modality.${m}`)));
  const access = h('select', { 'data-testid': 'build-access' }, ACCESS_CLASSES.map((c) => i18n.bind(h('option', { value: c }), `admin:access.class.${c}`)));
  const license = h('input', { type: 'text', maxlength: '64', placeholder: 'CC-BY-4.0', 'data-testid': 'build-license' });
  const unretract = h('input', { type: 'checkbox', id: uid('unretract'), 'data-testid': 'build-unretract' });
  const submit = i18n.bind(h('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'build-submit' }), 'admin:releases.build');
  const outcome = h('div', { 'data-testid': 'build-outcome', 'aria-live': 'polite' });
  // Where the build has got to, as the node reports it while the request is open.
  const progressBar = h('progress', { class: 'progress', max: '100', value: '0' });
  i18n.attr(progressBar, 'aria-label', 'admin:releases.progressLabel');
  const phase = h('span', { class: 'progress-text', 'data-testid': 'build-phase' });
  const progress = h('div', { class: 'sending', hidden: true, 'data-testid': 'build-progress' }, progressBar, phase);
  const form = h(
    'form',
    { class: 'build-form' },
    field('admin:col.language', language),
    field('admin:col.modality', modality),
    field('admin:col.access', access),
    field('admin:releases.license', license),
    h('div', { class: 'field field--check' }, unretract, i18n.bind(h('label', { for: unretract.id }), 'admin:releases.unretract')),
    h('div', { class: 'actions' }, submit),
    progress,
    outcome,
  );
  /** Asks the node how far the build of `datasetId` has got, and shows it (one question at a time). */
  let asking = false;
  const follow = async (datasetId: string) => {
    if (asking) return;
    asking = true;
    try {
      const { builds } = await ctx.api.get<BuildsInProgress>('/admin/releases/building');
      const build = builds.find((b) => b.datasetId === datasetId);
      if (!build || progress.hidden) return;
      const p = build.progress;
      const percent = p.phase === 'writing' ? Math.floor((100 * p.records) / Math.max(1, p.totalRecords)) : p.phase === 'selecting' ? 0 : 100;
      progressBar.value = percent;
      i18n.bind(phase, `admin:releases.phase.${p.phase}`, { percent });
      progress.dataset.phase = p.phase;
    } catch {
      // Only a display: the build's own answer says whether it worked.
    } finally {
      asking = false;
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy([submit, language, modality, access, license, unretract], async () => {
      // The build answers when it is done (shards written, signed, recorded): show the time it has taken so far.
      const started = Date.now();
      const datasetId = `${language.value.toLowerCase()}-${modality.value}`;
      progressBar.value = 0;
      i18n.bind(phase, 'admin:releases.phase.selecting', { percent: 0 });
      progress.hidden = false;
      const tick = () => {
        status.show('progress', 'admin:releases.building', { seconds: Math.round((Date.now() - started) / 1000) });
        void follow(datasetId);
      };
      tick();
      const timer = window.setInterval(tick, 1000);
      form.setAttribute('aria-busy', 'true');
      try {
        const built = await ctx.api.post<ReleaseSummary>('/admin/releases', {
          language: language.value,
          modality: modality.value,
          accessClass: access.value,
          ...(license.value.trim() ? { license: license.value.trim() } : {}),
          ...(unretract.checked ? { unretract: true } : {}),
        });
        status.show('success', 'admin:releases.built', { dataset: built.release.datasetId, version: built.release.version });
        outcome.replaceChildren(
          facts(ctx, [
            ['admin:col.dataset', built.release.datasetId],
            ['admin:col.version', h('span', { 'data-testid': 'built-version' }, built.release.version)],
            ['admin:col.records', i18n.formatNumber(built.release.records)],
            ['admin:releases.shards', i18n.formatNumber(built.shards.length)],
            ['admin:releases.change', i18n.t(`admin:change.${built.change}`, { added: built.added, removed: built.removed })],
          ]),
        );
        onBuilt();
      } catch (error) {
        status.error(error);
      } finally {
        window.clearInterval(timer);
        progress.hidden = true;
        delete progress.dataset.phase;
        form.removeAttribute('aria-busy');
      }
    });
  });
  return form;
}

export const releasesScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n, { toast: true });
  const datasets = h('div', {});
  const publishing = h('div', {});
  const notices = h('div', {});

  const datasetRow = (d: DatasetState) => {
    const select = h('select', { 'data-testid': 'access-select', disabled: d.status === 'retracted' }, ACCESS_CLASSES.map((c) => i18n.bind(h('option', { value: c, selected: c === d.accessClass }), `admin:access.class.${c}`)));
    i18n.attr(select, 'aria-label', 'admin:releases.accessOf', { dataset: d.id });
    const change = i18n.bind(h('button', { type: 'button', class: 'button', 'data-testid': 'access-save', disabled: d.status === 'retracted' }), 'admin:releases.changeAccess');
    change.addEventListener('click', () =>
      void busy([change, select], async () => {
        try {
          const changed = await ctx.api.put<AccessChange>(`/admin/datasets/${encodeURIComponent(d.id)}/access`, { accessClass: select.value });
          status.show('success', changed.changed ? 'admin:releases.accessChanged' : 'admin:releases.accessSame', { dataset: d.id, access: { key: `admin:access.class.${select.value}` } });
          render();
        } catch (error) {
          status.error(error);
        }
      }),
    );
    const retract = i18n.bind(h('button', { type: 'button', class: 'button button--danger', 'data-testid': 'retract' }), 'admin:releases.retract');
    retract.addEventListener('click', async () => {
      const reason = await askReason(ctx, d.id);
      if (!reason) return;
      await busy([retract], async () => {
        try {
          await ctx.api.post<Retraction>(`/admin/datasets/${encodeURIComponent(d.id)}/retraction`, { reason });
          status.show('success', 'admin:releases.retracted', { dataset: d.id });
          render();
        } catch (error) {
          status.error(error);
        }
      });
    });
    const state = h(
      'span',
      {},
      badge(ctx, `admin:datasetStatus.${d.status}`, d.status),
      d.retractionReason ? h('small', { class: 'block', dir: 'auto' }, d.retractionReason) : null,
      d.pendingRedaction ? h('small', { class: 'block' }, i18n.text('admin:releases.rebuildDue', { records: d.pendingRedaction.records, date: { date: d.pendingRedaction.due } })) : null,
    );
    return [
      h('a', { href: `/api/v1/datasets/${encodeURIComponent(d.id)}/card`, 'data-testid': 'dataset-id' }, d.id),
      d.version,
      state,
      h('span', { 'data-testid': 'dataset-access' }, i18n.text(`admin:access.class.${d.accessClass}`)),
      i18n.formatNumber(d.records),
      i18n.formatDate(d.published),
      d.status === 'current' ? h('div', { class: 'actions actions--tight' }, h('span', { class: 'field--inline' }, select), change, retract) : '',
    ];
  };

  const render = () => {
    Promise.all([
      ctx.api.get<{ datasets: DatasetState[] }>('/admin/datasets'),
      ctx.api.get<Publishing>('/admin/publishing'),
      ctx.api.get<NoticeFeed>('/notices?limit=1000'),
    ])
      .then(([list, pub, feed]) => {
        datasets.replaceChildren(
          list.datasets.length === 0
            ? empty(ctx, 'admin:releases.none')
            : dataTable(ctx, ['admin:col.dataset', 'admin:col.version', 'admin:col.status', 'admin:col.access', 'admin:col.records', 'admin:col.published', 'admin:col.actions'], list.datasets.map(datasetRow), { 'data-testid': 'datasets-table' }),
        );
        publishing.replaceChildren(
          pub.indexes.length === 0
            ? empty(ctx, 'admin:publishing.none')
            : dataTable(
                ctx,
                ['admin:publishing.index', 'admin:col.status', 'admin:publishing.outbox', 'admin:publishing.lastDelivered', 'admin:publishing.lastError'],
                pub.indexes.map((x) => [
                  x.index,
                  badge(ctx, x.registered ? 'admin:publishing.registered' : 'admin:publishing.unregistered', x.registered ? 'current' : 'pending'),
                  x.backlog ? i18n.t('admin:publishing.backlog', { manifests: x.backlog.manifests, notices: x.backlog.notices }) : i18n.t('admin:publishing.notTried'),
                  x.lastDeliveredAt ? i18n.formatDate(x.lastDeliveredAt) : '—',
                  x.lastError ? h('span', { dir: 'ltr' }, x.lastError) : '—',
                ]),
                { 'data-testid': 'publishing-table' },
              ),
        );
        const newest = [...feed.notices].reverse();
        notices.replaceChildren(
          newest.length === 0
            ? empty(ctx, 'admin:notices.none')
            : dataTable(
                ctx,
                ['admin:col.kind', 'admin:col.dataset', 'admin:col.when', 'admin:col.detail'],
                newest.map((n) => {
                  const s = statementOf(n.envelope.payload);
                  const detail =
                    n.kind === 'withdrawal'
                      ? i18n.t('admin:notices.withdrawal', { records: s.records?.length ?? 0, version: s.release?.version ?? '' })
                      : n.kind === 'retraction'
                        ? (s.reason ?? '')
                        : i18n.t(`admin:access.class.${s.accessClass ?? 'open'}`);
                  return [badge(ctx, `admin:notices.kind.${n.kind}`, n.kind), n.dataset, s.issued ? (s.issued.length > 10 ? i18n.formatDate(s.issued) : s.issued) : '', h('a', { href: `/api/v1/notices/${n.id}`, dir: 'auto' }, detail)];
                }),
                { 'data-testid': 'notices-table' },
              ),
        );
        root.dataset.loaded = String(Date.now());
      })
      .catch((error: unknown) => status.error(error));
  };

  operatorPage(
    ctx,
    root,
    '/operator/releases',
    'admin:screen.releases',
    'admin:releases.lead',
    section(ctx, 'admin:releases.buildTitle', 'build', buildForm(ctx, status, render)),
    section(ctx, 'admin:releases.datasets', 'datasets', datasets),
    section(ctx, 'admin:publishing.title', 'publishing', i18n.text('admin:publishing.lead', {}, 'p'), publishing),
    section(ctx, 'admin:notices.title', 'notices', i18n.text('admin:notices.lead', {}, 'p'), notices),
    status.element,
  );
  render();
};
