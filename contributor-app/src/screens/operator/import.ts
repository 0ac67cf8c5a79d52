import type { Screen } from '../../context.js';
import { busy, h, uid } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import type { Localizer } from '../../i18n.js';
import { dataTable, facts, operatorPage, section } from './page.js';
import type { PromptFileOutcome } from './types.js';

/** Refused and flagged lines in file order, as the CLI's table shows them. */
function problems(i18n: Localizer, outcome: PromptFileOutcome): Array<[number, string, string, string]> {
  return [
    ...outcome.refused.map((r) => [r.line, i18n.t('admin:import.refusedLine'), `${r.problem}: ${r.detail}`, r.text] as [number, string, string, string]),
    ...outcome.flagged.map(
      (f) =>
        [
          f.line,
          i18n.t(f.imported ? 'admin:import.flaggedImported' : 'admin:import.flaggedSkipped'),
          i18n.t('admin:import.looksLike', { detected: f.detected, score: f.score.toFixed(2) }),
          f.text,
        ] as [number, string, string, string],
    ),
  ].sort((a, b) => a[0] - b[0]);
}

export const importScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n);
  const field = (key: string, control: HTMLElement, hint?: string) => {
    const id = uid('import');
    control.id = id;
    return h('div', { class: 'field' }, i18n.bind(h('label', { for: id }), key), control, hint ? i18n.bind(h('p', { class: 'hint' }), hint) : null);
  };
  const language = h('select', { name: 'language', 'data-testid': 'import-language' }, ctx.node.languages.map((tag) => h('option', { value: tag }, `${i18n.languageName(tag)} (${tag})`)));
  const file = h('input', { type: 'file', name: 'file', accept: '.txt,.tsv,text/plain,text/tab-separated-values', required: true, 'data-testid': 'import-file' });
  const source = h('input', { type: 'text', name: 'source', maxlength: '200', 'data-testid': 'import-source' });
  const license = h('input', { type: 'text', name: 'license', maxlength: '64', placeholder: 'CC0-1.0', 'data-testid': 'import-license' });
  const force = h('input', { type: 'checkbox', name: 'force', id: uid('force'), 'data-testid': 'import-force' });
  const submit = i18n.bind(h('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'import-submit' }), 'admin:import.submit');
  const result = h('div', { 'data-testid': 'import-result' });

  const form = h(
    'form',
    { class: 'card operator-section' },
    field('admin:import.language', language),
    field('admin:import.file', file, 'admin:import.fileHint'),
    field('admin:import.source', source),
    field('admin:import.license', license, 'admin:import.licenseHint'),
    h('div', { class: 'field field--check' }, force, i18n.bind(h('label', { for: force.id }), 'admin:import.force')),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    void busy([submit, file, language, source, license, force], async () => {
      status.show('progress', 'admin:import.importing');
      try {
        const outcome = await ctx.api.post<PromptFileOutcome>('/admin/prompts/file', {
          language: language.value,
          fileName: chosen.name,
          text: await chosen.text(),
          ...(source.value.trim() ? { source: source.value.trim() } : {}),
          ...(license.value.trim() ? { license: license.value.trim() } : {}),
          force: force.checked,
        });
        status.show('success', 'admin:import.done', { imported: outcome.imported });
        const skipped = outcome.flagged.filter((f) => !f.imported).length;
        const listed = problems(i18n, outcome);
        result.replaceChildren(
          section(
            ctx,
            'admin:import.summary',
            'import-summary',
            facts(ctx, [
              ['admin:import.lines', i18n.formatNumber(outcome.lines)],
              ['admin:import.imported', h('span', { 'data-testid': 'import-imported' }, i18n.formatNumber(outcome.imported))],
              ['admin:import.duplicates', i18n.formatNumber(outcome.duplicates)],
              ['admin:import.refused', h('span', { 'data-testid': 'import-refused' }, i18n.formatNumber(outcome.refused.length))],
              ['admin:import.flagged', h('span', { 'data-testid': 'import-flagged' }, i18n.formatNumber(outcome.flagged.length))],
            ]),
            outcome.headerSkipped ? i18n.text('admin:import.headerSkipped', {}, 'p') : null,
            skipped > 0 ? h('p', { class: 'hint', 'data-testid': 'import-force-hint' }, i18n.text('admin:import.forceHint', { skipped })) : null,
            listed.length > 0
              ? dataTable(ctx, ['admin:col.line', 'admin:col.outcome', 'admin:col.why', 'admin:col.sentence'], listed.map(([line, what, why, text]) => [String(line), what, why, h('span', { lang: language.value, dir: 'auto' }, text)]), { 'data-testid': 'import-problems' })
              : null,
          ),
        );
      } catch (error) {
        status.error(error);
      }
    });
  });
  operatorPage(ctx, root, '/operator/sentences', 'admin:screen.import', 'admin:import.lead', form, status.element, result);
};
