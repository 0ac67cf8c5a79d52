import { confirmDialog } from '../components/dialog.js';
import { screenHeading } from '../components/heading.js';
import { keyField } from '../components/key-field.js';
import { mySamplesSection } from '../components/my-samples.js';
import { createStatus, type Status } from '../components/status.js';
import type { AppContext, Screen } from '../context.js';
import { busy, h, replaceChildren, uid } from '../dom.js';
import { AGE_BANDS, type ConsentList, type ConsentNotice, type ConsentRecord, type Erasure, type Profile, type Withdrawal } from '../types.js';

const GENDERS = ['female', 'male', 'non-binary', 'other'] as const;

function section(ctx: AppContext, titleKey: string, ...children: Array<Node | null>): HTMLElement {
  const id = uid('section');
  const title = ctx.i18n.bind(h('h2', { id }), titleKey);
  return h('section', { class: 'card', 'aria-labelledby': id }, title, ...children.filter((c): c is Node => c !== null));
}

function textField(ctx: AppContext, name: string, value: string | null, max: number): { field: HTMLElement; input: HTMLInputElement } {
  const id = uid(name);
  const hintId = `${id}-hint`;
  const input = h('input', { id, name, type: 'text', value: value ?? '', maxlength: String(max), autocomplete: 'off', 'aria-describedby': hintId });
  const label = ctx.i18n.text(`mydata:profile.${name}.label`, {}, 'label');
  label.htmlFor = id;
  const hint = ctx.i18n.text(`mydata:profile.${name}.hint`, {}, 'p');
  hint.id = hintId;
  hint.className = 'hint';
  return { field: h('div', { class: 'field' }, label, hint, input), input };
}

function selectField(
  ctx: AppContext,
  name: string,
  options: readonly string[],
  value: string | null,
): { field: HTMLElement; select: HTMLSelectElement } {
  const id = uid(name);
  const known = value === null || options.includes(value);
  const select = h(
    'select',
    { id, name },
    ctx.i18n.bind(h('option', { value: '' }), 'mydata:profile.notSaid'),
    options.map((option) => ctx.i18n.bind(h('option', { value: option, selected: option === value }), `mydata:profile.${name}.options.${option}`)),
    // A value set elsewhere (an older app, the API) is kept as it is.
    known ? null : h('option', { value: value ?? '', selected: true }, value ?? ''),
  );
  const label = ctx.i18n.text(`mydata:profile.${name}.label`, {}, 'label');
  label.htmlFor = id;
  return { field: h('div', { class: 'field' }, label, select), select };
}

/** Pseudonym and self-declared demographics; every one optional, empty clears it. */
function profileSection(ctx: AppContext, profile: Profile, status: Status): HTMLElement {
  const { i18n, api, session } = ctx;
  const pseudonym = textField(ctx, 'pseudonym', profile.pseudonym, 40);
  pseudonym.input.required = true;
  const age = selectField(ctx, 'ageBand', AGE_BANDS, profile.ageBand);
  const gender = selectField(ctx, 'gender', GENDERS, profile.gender);
  const variant = textField(ctx, 'variant', profile.variant, 64);
  const accent = textField(ctx, 'accent', profile.accent, 64);
  const save = h('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'profile-save' }, i18n.text('mydata:profile.save'));
  // The one thing an operator needs to give this volunteer a role; not a secret.
  const contributorId = h(
    'div',
    { class: 'field' },
    i18n.text('mydata:profile.idLabel', {}, 'strong'),
    ' ',
    h('code', { 'data-testid': 'contributor-id' }, profile.id),
    i18n.text('mydata:profile.idHint', {}, 'p'),
  );
  const form = h(
    'form',
    { class: 'profile-form' },
    contributorId,
    pseudonym.field,
    i18n.text('mydata:profile.demographicsHelp', {}, 'p'),
    h('div', { class: 'grid-2' }, age.field, gender.field),
    variant.field,
    accent.field,
    h('div', { class: 'actions' }, save),
  );
  const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy([save], async () => {
      try {
        const body = {
          ...(pseudonym.input.value.trim() ? { pseudonym: pseudonym.input.value.trim() } : {}),
          ageBand: orNull(age.select.value),
          gender: orNull(gender.select.value),
          variant: orNull(variant.input.value),
          accent: orNull(accent.input.value),
        };
        session.profile = await api.patch<Profile>('/me', body);
        status.show('success', 'mydata:profile.saved');
      } catch (error) {
        status.error(error);
      }
    });
  });
  return section(ctx, 'mydata:profile.title', form);
}

function keySection(ctx: AppContext): HTMLElement {
  const { i18n, session } = ctx;
  const holder = h('div', {});
  const reveal = h('button', { type: 'button', class: 'button', 'aria-expanded': 'false' }, i18n.text('mydata:key.show'));
  reveal.addEventListener('click', () => {
    const open = reveal.getAttribute('aria-expanded') !== 'true';
    reveal.setAttribute('aria-expanded', String(open));
    i18n.bind(reveal.firstElementChild ?? reveal, open ? 'mydata:key.hide' : 'mydata:key.show');
    replaceChildren(holder, open && session.token ? keyField(i18n, session.token) : null);
  });
  const signOut = h('button', { type: 'button', class: 'button button--quiet' }, i18n.text('mydata:key.signOut'));
  signOut.addEventListener('click', async () => {
    const sure = await confirmDialog(i18n, { title: 'mydata:key.signOutTitle', body: 'mydata:key.signOutBody', confirm: 'mydata:key.signOut' });
    if (!sure) return;
    session.signOut();
    ctx.navigate('/join', { flash: { key: 'mydata:key.signedOut', kind: 'info' } });
  });
  return section(ctx, 'mydata:key.title', i18n.text('mydata:key.explain', {}, 'p'), h('div', { class: 'actions' }, reveal, signOut), holder);
}

function exportSection(ctx: AppContext, status: Status): HTMLElement {
  const { i18n, api } = ctx;
  const download = h('button', { type: 'button', class: 'button', 'data-testid': 'export' }, i18n.text('mydata:export.button'));
  download.addEventListener('click', () =>
    busy([download], async () => {
      try {
        const { blob, filename } = await api.blob('/me/export');
        const url = URL.createObjectURL(blob);
        const link = h('a', { href: url, download: filename ?? 'tributary-export.json', hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        // Give the browser time to start the download before the URL goes.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        status.show('success', 'mydata:export.done');
      } catch (error) {
        status.error(error);
      }
    }),
  );
  return section(ctx, 'mydata:export.title', i18n.text('mydata:export.explain', {}, 'p'), h('div', { class: 'actions' }, download));
}

/** Consent records, newest first, each with its purposes and a withdraw button. */
function consentSection(ctx: AppContext, status: Status): HTMLElement {
  const { i18n, api, session } = ctx;
  const list = h('ul', { class: 'consent-list', 'aria-busy': 'true' });
  let labels = new Map<string, string>();

  const load = async () => {
    list.setAttribute('aria-busy', 'true');
    try {
      const [{ records }, notice] = await Promise.all([
        api.get<ConsentList>('/consents'),
        api.get<ConsentNotice>(`/consent/notice?lang=${encodeURIComponent(i18n.locale)}`).catch(() => null),
      ]);
      if (notice) labels = new Map(notice.purposes.map((p) => [p.id, p.label]));
      session.consented = records.some((r) => r.active);
      render(records);
    } catch (error) {
      status.error(error);
    } finally {
      list.setAttribute('aria-busy', 'false');
    }
  };

  const render = (records: ConsentRecord[]) => {
    const given = (r: ConsentRecord) => r.events.find((e) => e.type === 'dpv:ConsentGiven')?.at ?? '';
    const sorted = [...records].sort((a, b) => given(b).localeCompare(given(a)));
    if (sorted.length === 0) {
      replaceChildren(list, i18n.text('mydata:consents.none', {}, 'li'));
      return;
    }
    replaceChildren(
      list,
      sorted.map((record) => {
        const withdrawn = record.events.find((e) => e.type === 'dpv:ConsentWithdrawn');
        const withdraw = record.active
          ? h('button', { type: 'button', class: 'button button--danger', 'data-testid': 'withdraw-consent', 'data-record': record.recordId }, i18n.text('mydata:consents.withdraw'))
          : null;
        withdraw?.addEventListener('click', async () => {
          const sure = await confirmDialog(i18n, {
            title: 'mydata:consents.confirmTitle',
            body: 'mydata:consents.confirmBody',
            confirm: 'mydata:consents.withdraw',
            danger: true,
          });
          if (!sure) return;
          await busy([withdraw], async () => {
            try {
              const outcome = await api.delete<Withdrawal>(`/consents/${encodeURIComponent(record.recordId)}`);
              status.show('success', 'mydata:consents.withdrawn', { count: outcome.withdrawnSamples });
              await load();
            } catch (error) {
              status.error(error);
            }
          });
        });
        return h(
          'li',
          { class: 'consent-record', 'data-active': String(record.active) },
          h(
            'div',
            { class: 'consent-record__head' },
            i18n.text('mydata:consents.given', { date: { date: given(record) } }, 'strong'),
            i18n.bind(h('span', { class: record.active ? 'badge badge--ok' : 'badge badge--muted' }), record.active ? 'mydata:consents.active' : 'mydata:consents.inactive'),
          ),
          i18n.text('mydata:consents.notice', { version: record.notice.version, language: { lang: record.notice.language }, license: record.license }, 'p'),
          h('ul', { class: 'purpose-list' }, record.purposes.map((p) => h('li', {}, labels.get(p.id) ?? p.id))),
          withdrawn ? i18n.text('mydata:consents.withdrawnAt', { date: { date: withdrawn.at } }, 'p') : null,
          withdraw ? h('div', { class: 'actions' }, withdraw) : null,
        );
      }),
    );
  };

  void load();
  const again = h('a', { href: '/consent', 'data-route': '', class: 'button' }, i18n.text('mydata:consents.giveAgain'));
  return section(ctx, 'mydata:consents.title', i18n.text('mydata:consents.explain', {}, 'p'), list, h('div', { class: 'actions' }, again));
}

function eraseSection(ctx: AppContext, status: Status): HTMLElement {
  const { i18n, api, session } = ctx;
  const erase = h('button', { type: 'button', class: 'button button--danger', 'data-testid': 'erase' }, i18n.text('mydata:erase.button'));
  erase.addEventListener('click', async () => {
    const sure = await confirmDialog(i18n, { title: 'mydata:erase.confirmTitle', body: 'mydata:erase.confirmBody', confirm: 'mydata:erase.confirm', danger: true });
    if (!sure) return;
    await busy([erase], async () => {
      try {
        const outcome = await api.delete<Erasure>('/me');
        session.signOut();
        ctx.navigate('/join', { flash: { key: 'mydata:erase.done', vars: { count: outcome.withdrawnSamples }, kind: 'success' } });
      } catch (error) {
        status.error(error);
      }
    });
  });
  const card = section(ctx, 'mydata:erase.title', i18n.text('mydata:erase.explain', {}, 'p'), h('div', { class: 'actions' }, erase));
  card.classList.add('card--danger');
  return card;
}

/** Everything the node holds about the volunteer: see it, take it, change it, withdraw it. */
export const myDataScreen: Screen = (ctx, root) => {
  const { i18n, api, session } = ctx;
  const status = createStatus(i18n, { toast: true });
  const profileSlot = h('div', {});
  root.append(
    screenHeading(i18n, 'mydata:title', 'mydata:lead'),
    status.element,
    mySamplesSection(ctx, status),
    profileSlot,
    consentSection(ctx, status),
    exportSection(ctx, status),
    keySection(ctx),
    eraseSection(ctx, status),
  );
  const showProfile = (profile: Profile) => replaceChildren(profileSlot, profileSection(ctx, profile, status));
  if (session.profile) showProfile(session.profile);
  api.get<Profile>('/me').then((profile) => {
    session.profile = profile;
    if (!profileSlot.firstChild) showProfile(profile);
  }, (error: unknown) => status.error(error));
};
