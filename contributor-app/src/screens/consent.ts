import { screenHeading } from '../components/heading.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { busy, h, replaceChildren } from '../dom.js';
import { ApiError } from '../api.js';
import type { ConsentNotice, ConsentRecord } from '../types.js';

/** SPDX ids link to their license text; LicenseRef-… is the node's own and has no public page. */
export function licenseUrl(license: string): string | null {
  return /^[A-Za-z0-9.+-]+$/.test(license) && !license.startsWith('LicenseRef-')
    ? `https://spdx.org/licenses/${encodeURIComponent(license)}.html`
    : null;
}

/**
 * The node's consent notice, in the UI locale. Required purposes are ticked and locked;
 * optional ones are opt-in. What is sent back names the exact notice read (id + sha256).
 */
export const consentScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n);
  const body = h('div', { class: 'notice', 'aria-busy': 'true' });
  let notice: ConsentNotice | null = null;
  let loading = 0;

  const load = async () => {
    const ticket = ++loading;
    body.setAttribute('aria-busy', 'true');
    try {
      const fetched = await api.get<ConsentNotice>(`/consent/notice?lang=${encodeURIComponent(i18n.locale)}`);
      if (ticket !== loading) return;
      notice = fetched;
      render(fetched);
    } catch (error) {
      if (ticket === loading) status.error(error);
    } finally {
      if (ticket === loading) body.setAttribute('aria-busy', 'false');
    }
  };

  const render = (n: ConsentNotice) => {
    const checkboxes = n.purposes.map((purpose) => {
      const input = h('input', {
        type: 'checkbox',
        name: 'purpose',
        value: purpose.id,
        checked: purpose.required,
        disabled: purpose.required,
        'aria-describedby': purpose.required ? `purpose-required-${purpose.id}` : null,
      });
      return h(
        'label',
        { class: 'check' },
        input,
        h('span', { class: 'check__label', lang: n.language }, purpose.label),
        purpose.required
          ? i18n.bind(h('span', { class: 'badge', id: `purpose-required-${purpose.id}` }), 'consentui:purposes.required')
          : i18n.bind(h('span', { class: 'badge badge--optional' }), 'consentui:purposes.optional'),
      );
    });
    const license = licenseUrl(n.license);
    const agree = h('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'consent-agree' }, i18n.text('consentui:agree'));
    const form = h(
      'form',
      { class: 'consent-form' },
      h(
        'fieldset',
        { class: 'purposes' },
        i18n.bind(h('legend', {}), 'consentui:purposes.legend'),
        i18n.text('consentui:purposes.help', {}, 'p'),
        checkboxes,
      ),
      h(
        'dl',
        { class: 'facts' },
        i18n.text('consentui:license.label', {}, 'dt'),
        h('dd', {}, license ? h('a', { href: license, target: '_blank', rel: 'noopener noreferrer' }, n.license) : n.license),
        i18n.text('consentui:controller.label', {}, 'dt'),
        h('dd', {}, i18n.text('consentui:controller.value', { name: n.controller.name, jurisdiction: n.controller.jurisdiction })),
        i18n.text('consentui:version.label', {}, 'dt'),
        h('dd', {}, n.version),
      ),
      i18n.text('consentui:withdrawAnytime', {}, 'p'),
      h('div', { class: 'actions' }, agree),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const purposes = [...form.querySelectorAll<HTMLInputElement>('input[name="purpose"]')]
        .filter((input) => input.checked)
        .map((input) => input.value);
      void busy([agree], async () => {
        status.show('progress', 'consentui:saving');
        try {
          await api.post<ConsentRecord>('/consents', { noticeId: n.id, noticeSha256: n.sha256, purposes });
          session.consented = true;
          ctx.navigate('/speak', { flash: { key: 'consentui:given', kind: 'success' } });
        } catch (error) {
          status.error(error);
          // The node changed its terms meanwhile: show the new notice.
          if (error instanceof ApiError && error.code === 'NoticeChanged') void load();
        }
      });
    });

    replaceChildren(
      body,
      h(
        'article',
        { class: 'card notice__text', lang: n.language },
        h('h2', {}, n.title),
        n.text.split(/\n{2,}/).map((paragraph) => h('p', {}, paragraph)),
      ),
      n.language !== i18n.locale.split('-')[0]
        ? i18n.text('consentui:fallbackLanguage', { language: { lang: n.language } }, 'p')
        : null,
      form,
    );
  };

  root.append(
    screenHeading(i18n, 'consentui:title', session.consented ? 'consentui:leadAgain' : 'consentui:lead'),
    body,
    status.element,
  );
  void load();
  // The notice is text from the node in the UI locale: fetch it again when that changes.
  const unsubscribe = i18n.onChange(() => {
    if (notice?.language !== i18n.locale) void load();
  });
  return unsubscribe;
};
