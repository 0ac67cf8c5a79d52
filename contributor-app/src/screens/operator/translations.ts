import type { Screen } from '../../context.js';
import { h } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import { badge, dataTable, operatorPage, section } from './page.js';

interface LocaleEntry {
  name: string;
  dir: 'ltr' | 'rtl';
  status: 'reviewed' | 'community-draft' | 'machine-drafted';
  note?: string;
}

/** How far each interface language has been checked (locales/index.json), so communities know what to review. */
export const translationsScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n);
  const holder = h('div', {});
  operatorPage(ctx, root, '/operator/translations', 'admin:screen.translations', 'admin:translations.lead', section(ctx, 'admin:translations.title', 'translations', holder), status.element);
  fetch('/locales/index.json', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      if (!response.ok) throw new Error(`locales/index.json: HTTP ${response.status}`);
      const index = (await response.json()) as Record<string, LocaleEntry>;
      holder.replaceChildren(
        dataTable(
          ctx,
          ['admin:translations.locale', 'admin:translations.name', 'admin:translations.direction', 'admin:col.status', 'admin:translations.note'],
          Object.entries(index).map(([tag, entry]) => [
            tag,
            h('span', { lang: tag, dir: entry.dir }, entry.name),
            i18n.t(`admin:translations.dir.${entry.dir}`),
            h('span', { 'data-locale-status': entry.status }, badge(ctx, `admin:translations.status.${entry.status}`, entry.status)),
            h('span', { lang: 'en', dir: 'ltr' }, entry.note ?? ''),
          ]),
          { 'data-testid': 'translations-table' },
        ),
      );
      root.dataset.loaded = 'true';
    })
    .catch((error: unknown) => status.error(error));
};
