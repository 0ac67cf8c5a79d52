import { busy, h, uid } from '../dom.js';
import type { Localizer } from '../i18n.js';
import { REPORT_REASONS, type ReportReason } from '../types.js';

/**
 * "Report a problem", folded: a reason and optional details. Used for samples (Listen) and for
 * sentences (Speak); `send` posts the report and `onSent` moves on.
 */
export function reportForm(
  i18n: Localizer,
  options: { openKey: string; send: (body: { reason: ReportReason; detail?: string }) => Promise<void> },
): HTMLElement {
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
  const submit = h('button', { type: 'submit', class: 'button', 'data-testid': 'report-send' }, i18n.text('validate:report.send'));
  const form = h(
    'form',
    { class: 'report-form' },
    h('div', { class: 'field' }, reasonLabel, reason),
    h('div', { class: 'field' }, detailLabel, detail),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = detail.value.trim();
    void busy([submit], () => options.send({ reason: reason.value as ReportReason, ...(text ? { detail: text } : {}) }));
  });
  return h('details', { class: 'report', 'data-testid': 'report' }, i18n.text(options.openKey, {}, 'summary'), form);
}
