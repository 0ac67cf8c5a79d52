import type { Screen } from '../../context.js';
import { busy, h, uid } from '../../dom.js';
import { createStatus } from '../../components/status.js';
import { dataTable, empty, operatorPage, section } from './page.js';
import { ApiError } from '../../api.js';
import { ROLES, type Role, type Staff, type StaffMember } from './types.js';

/**
 * Reviewers and admins; a role is given by a contributor's id (shown to each volunteer in My data),
 * and the page says whose it is before the role is given. The node refuses to lose its last admin.
 */
export const rolesScreen: Screen = (ctx, root) => {
  const { i18n } = ctx;
  const status = createStatus(i18n, { toast: true });
  const staff = h('div', {});
  const roleSelect = (current: Role, testid: string) =>
    h('select', { 'data-testid': testid }, ROLES.map((role) => i18n.bind(h('option', { value: role, selected: role === current }), `admin:role.${role}`)));

  const setRole = async (id: string, role: Role) => {
    try {
      await ctx.api.put(`/admin/contributors/${encodeURIComponent(id)}/role`, { role });
      status.show('success', 'admin:roles.changed', { role: { key: `admin:role.${role}` } });
      if (id === ctx.session.profile?.id) await ctx.session.refresh(ctx.api);
      render();
    } catch (error) {
      status.error(error);
    }
  };

  const render = () =>
    ctx.api
      .get<Staff>('/admin/contributors')
      .then(({ contributors }) => {
        staff.replaceChildren(
          contributors.length === 0
            ? empty(ctx, 'admin:roles.none')
            : dataTable(
                ctx,
                ['admin:col.pseudonym', 'admin:col.id', 'admin:col.role', 'admin:col.actions'],
                contributors.map((c) => {
                  const select = roleSelect(c.role, 'role-select');
                  i18n.attr(select, 'aria-label', 'admin:roles.roleOf', { pseudonym: c.pseudonym });
                  const save = i18n.bind(h('button', { type: 'button', class: 'button', 'data-testid': 'role-save' }), 'admin:roles.save');
                  save.addEventListener('click', () => void busy([save, select], () => setRole(c.id, select.value as Role)));
                  return [c.pseudonym + (c.id === ctx.session.profile?.id ? ` (${i18n.t('admin:roles.you')})` : ''), h('code', {}, c.id), h('div', { class: 'field--inline' }, select), save];
                }),
                { 'data-testid': 'staff-table' },
              ),
        );
        root.dataset.loaded = 'true';
      })
      .catch((error: unknown) => status.error(error));

  const idInput = h('input', { type: 'text', required: true, maxlength: '64', autocomplete: 'off', 'data-testid': 'grant-id', id: uid('grant-id') });
  const newRole = roleSelect('reviewer', 'grant-role');
  newRole.id = uid('grant-role');
  const grant = i18n.bind(h('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'grant-submit' }), 'admin:roles.grant');
  // Whose id it is, asked of the node as the operator finishes typing or pasting it.
  const who = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'grant-who' });
  let asked = '';
  const lookUp = async () => {
    const id = idInput.value.trim();
    if (id === asked) return;
    asked = id;
    who.replaceChildren();
    delete who.dataset.found;
    if (!id) return;
    try {
      const member = await ctx.api.get<StaffMember>(`/admin/contributors/${encodeURIComponent(id)}`);
      if (asked !== id) return;
      i18n.bind(who, 'admin:roles.who', { pseudonym: member.pseudonym, role: { key: `admin:role.${member.role}` }, date: { date: member.createdAt } });
      who.dataset.found = 'true';
    } catch (error) {
      if (asked !== id) return;
      if (error instanceof ApiError && error.code === 'NotFound') {
        i18n.bind(who, 'admin:roles.unknown');
        who.dataset.found = 'false';
      } else status.error(error);
    }
  };
  idInput.addEventListener('change', () => void lookUp());
  idInput.addEventListener('input', () => {
    // A pasted id is whole at once; typed ones are looked up when the field is left.
    if (idInput.value.trim().length >= 26) void lookUp();
  });
  const form = h(
    'form',
    {},
    i18n.text('admin:roles.grantLead', {}, 'p'),
    h('div', { class: 'field' }, i18n.bind(h('label', { for: idInput.id }), 'admin:roles.contributorId'), idInput, who),
    h('div', { class: 'field' }, i18n.bind(h('label', { for: newRole.id }), 'admin:col.role'), newRole),
    h('div', { class: 'actions' }, grant),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy([grant, idInput, newRole], () => setRole(idInput.value.trim(), newRole.value as Role));
  });

  operatorPage(
    ctx,
    root,
    '/operator/roles',
    'admin:screen.roles',
    'admin:roles.lead',
    section(ctx, 'admin:roles.staff', 'staff', staff),
    section(ctx, 'admin:roles.grantTitle', 'give-role', form),
    status.element,
  );
  void render();
};
