import type { Screen } from '../../context.js';
import { busy, h } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import { badge, dataTable, empty, operatorPage, section } from './page.js';
import type { Grant, Receipt } from './types.js';

/** Access requests for gated and on-request datasets, and who downloaded what. */
export const accessScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n, { toast: true });
  const requests = h('div', {});
  const receipts = h('div', {});
  operatorPage(
    ctx,
    root,
    '/operator/access',
    'admin:screen.access',
    'admin:access.lead',
    section(ctx, 'admin:access.requests', 'access-requests', requests),
    section(ctx, 'admin:access.receipts', 'receipts', i18n.text('admin:access.receiptsLead', {}, 'p'), receipts),
    status.element,
  );

  const decisionButton = (grant: Grant, decision: 'approved' | 'refused' | 'revoked', render: () => void) => {
    const button = i18n.bind(
      h('button', { type: 'button', class: decision === 'approved' ? 'button button--primary' : 'button', 'data-testid': `grant-${decision}` }),
      `admin:access.decide.${decision}`,
    );
    button.addEventListener('click', () =>
      void busy([button], async () => {
        try {
          await ctx.api.post(`/admin/access-requests/${encodeURIComponent(grant.id)}/decision`, { decision });
          status.show('success', `admin:access.decided.${decision}`);
          render();
        } catch (error) {
          status.error(error);
        }
      }),
    );
    return button;
  };

  const render = (): void => {
    Promise.all([ctx.api.get<{ grants: Grant[] }>('/admin/access-requests?limit=100'), ctx.api.get<{ receipts: Receipt[] }>('/admin/receipts')])
      .then(([{ grants }, { receipts: list }]) => {
        requests.replaceChildren(
          grants.length === 0
            ? empty(ctx, 'admin:access.noRequests')
            : dataTable(
                ctx,
                ['admin:col.dataset', 'admin:col.requester', 'admin:col.purpose', 'admin:col.status', 'admin:col.actions'],
                grants.map((g) => [
                  g.datasetId,
                  h('span', {}, g.name, h('br', {}), h('small', {}, g.contact)),
                  h('span', { dir: 'auto' }, g.purpose),
                  badge(ctx, `admin:grant.${g.status}`, g.status),
                  h(
                    'div',
                    { class: 'actions actions--tight' },
                    g.status === 'pending' ? [decisionButton(g, 'approved', render), decisionButton(g, 'refused', render)] : null,
                    g.status === 'approved' ? decisionButton(g, 'revoked', render) : null,
                  ),
                ]),
                { 'data-testid': 'grants-table' },
              ),
        );
        receipts.replaceChildren(
          list.length === 0
            ? empty(ctx, 'admin:access.noReceipts')
            : dataTable(
                ctx,
                ['admin:col.when', 'admin:col.requester', 'admin:col.dataset', 'admin:col.shard'],
                list.map((r) => [i18n.formatDate(r.at), r.grantName, `${r.datasetId} ${r.version}`, r.shard + (r.range ? ` (${r.range})` : '')]),
              ),
        );
        root.dataset.loaded = 'true';
      })
      .catch((error: unknown) => status.error(error));
  };
  render();
};
