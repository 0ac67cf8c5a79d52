import type { Route } from '../../router.js';
import { accessScreen } from './access.js';
import { importScreen } from './import.js';
import { moderationScreen } from './moderation.js';
import { overviewScreen } from './overview.js';
import { releasesScreen } from './releases.js';
import { rolesScreen } from './roles.js';
import { translationsScreen } from './translations.js';

/**
 * The operator pages, by role: admins see all of them, reviewers moderation only. The tab is
 * shown to both; a reviewer who opens /operator is sent on to moderation. Their strings (admin.json)
 * load when one of them is opened; the tab's own name is in common.json.
 */
export const OPERATOR_ROUTES: Route[] = ([
  { path: '/operator', screen: overviewScreen, gate: 'admin', title: 'common:screen.operator', tab: true, tabGate: 'reviewer' },
  { path: '/operator/sentences', screen: importScreen, gate: 'admin', title: 'admin:screen.import' },
  { path: '/operator/moderation', screen: moderationScreen, gate: 'reviewer', title: 'admin:screen.moderation' },
  { path: '/operator/access', screen: accessScreen, gate: 'admin', title: 'admin:screen.access' },
  { path: '/operator/roles', screen: rolesScreen, gate: 'admin', title: 'admin:screen.roles' },
  { path: '/operator/releases', screen: releasesScreen, gate: 'admin', title: 'admin:screen.releases' },
  { path: '/operator/translations', screen: translationsScreen, gate: 'admin', title: 'admin:screen.translations' },
] satisfies Route[]).map((route): Route => ({ ...route, namespaces: ['admin'] }));

/** The operator pages' own navigation, in the order an operator tends to need them. */
export const OPERATOR_PAGES = OPERATOR_ROUTES.map(({ path, gate, title }) => ({ path, gate, title }));
