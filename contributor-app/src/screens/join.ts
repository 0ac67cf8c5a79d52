import { ApiError } from '../api.js';
import { screenHeading } from '../components/heading.js';
import { keyField } from '../components/key-field.js';
import { createStatus } from '../components/status.js';
import type { Screen } from '../context.js';
import { append, busy, h, uid } from '../dom.js';
import type { Profile, Registered } from '../types.js';

/**
 * Joining is anonymous: no name, no email. The node hands out a key (bearer token) once; it is
 * kept on this device and shown here so the volunteer can carry it to another one.
 */
export const joinScreen: Screen = (ctx, root) => {
  const { i18n, api, session, node } = ctx;
  const status = createStatus(i18n);

  const intro = h(
    'section',
    { class: 'card join-intro' },
    i18n.text('common:join.what', { node: node.name, languages: { langs: node.languages } }, 'p'),
    h(
      'ul',
      { class: 'feature-list' },
      i18n.text('common:join.featureSpeak', {}, 'li'),
      i18n.text('common:join.featureWrite', {}, 'li'),
      i18n.text('common:join.featureListen', {}, 'li'),
    ),
    i18n.text('common:join.anonymous', {}, 'p'),
  );

  const joinButton = h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'join' }, i18n.text('common:join.start'));
  const joinArea = h('div', { class: 'actions' }, joinButton);

  joinButton.addEventListener('click', () =>
    busy([joinButton], async () => {
      status.show('progress', 'common:join.joining');
      try {
        const joined = await api.post<Registered>('/contributors', {});
        session.signIn(joined.token, joined.contributor);
        session.consented = false;
        status.clear();
        showKey(joined.token);
      } catch (error) {
        status.error(error);
      }
    }),
  );

  /** The one moment the key is shown: the volunteer copies it, then goes on to consent. */
  const showKey = (token: string) => {
    const next = h('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'key-saved' }, i18n.text('common:join.keySaved'));
    next.addEventListener('click', () => ctx.navigate('/consent'));
    const panel = h(
      'section',
      { class: 'card card--highlight key-panel', 'aria-labelledby': 'key-heading' },
      i18n.bind(h('h2', { id: 'key-heading', tabindex: '-1' }), 'common:join.keyTitle'),
      i18n.text('common:join.keyExplain', {}, 'p'),
      keyField(i18n, token),
      i18n.text('common:join.keyWarning', {}, 'p'),
      h('div', { class: 'actions' }, next),
    );
    joinArea.replaceWith(panel);
    signInSection.hidden = true;
    panel.querySelector('h2')?.focus();
  };

  const keyInputId = uid('paste-key');
  const keyInput = h('input', {
    id: keyInputId,
    name: 'key',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
    required: true,
    'data-testid': 'paste-key',
  });
  const keyLabel = i18n.text('common:join.pasteLabel', {}, 'label');
  keyLabel.htmlFor = keyInputId;
  const signInButton = h('button', { type: 'submit', class: 'button' }, i18n.text('common:join.signIn'));
  const signInForm = h(
    'form',
    { class: 'sign-in' },
    h('div', { class: 'field' }, keyLabel, keyInput),
    h('div', { class: 'actions' }, signInButton),
  );
  signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = keyInput.value.trim();
    if (!token) return;
    void busy([signInButton, keyInput], async () => {
      status.show('progress', 'common:join.signingIn');
      try {
        const profile = await api.get<Profile>('/me', { token });
        session.signIn(token, profile);
        await session.refresh(api);
        status.clear();
        // Home decides: Speak, the consent notice, or for an operator the operator pages.
        ctx.navigate('/', { flash: { key: 'common:join.welcomeBack', vars: { pseudonym: profile.pseudonym } } });
      } catch (error) {
        // The node does not know this key: say so, rather than "your session has ended".
        if (error instanceof ApiError && error.code === 'Unauthenticated') status.show('error', 'common:join.keyNotRecognised');
        else status.error(error);
        keyInput.focus();
      }
    });
  });
  const signInSection = h(
    'section',
    { class: 'card sign-in-card' },
    i18n.bind(h('h2', {}), 'common:join.haveKey'),
    i18n.text('common:join.haveKeyExplain', {}, 'p'),
    signInForm,
  );

  const alreadySignedIn = session.signedIn
    ? h(
        'section',
        { class: 'card' },
        i18n.text('common:join.alreadyIn', { pseudonym: session.profile?.pseudonym ?? '' }, 'p'),
        h('div', { class: 'actions' }, i18n.bind(h('a', { href: '/', 'data-route': '', class: 'button button--primary' }), 'common:join.continue')),
      )
    : null;

  append(root, [
    screenHeading(i18n, 'common:join.title', undefined, { node: node.name }),
    alreadySignedIn ?? [intro, joinArea],
    status.element,
    alreadySignedIn ? null : signInSection,
  ]);
};
