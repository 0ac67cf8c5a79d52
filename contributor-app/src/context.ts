import type { ApiClient } from './api.js';
import type { Localizer, Vars } from './i18n.js';
import type { Outbox } from './outbox.js';
import type { Session } from './session.js';
import type { NodeInfo } from './types.js';

/** A message shown once on the next screen, e.g. after erasing everything. */
export interface Flash {
  key: string;
  vars?: Vars;
  kind?: 'info' | 'success' | 'error';
}

/** What every screen gets: a bag of services, built once in main.ts. */
export interface AppContext {
  i18n: Localizer;
  api: ApiClient;
  node: NodeInfo;
  session: Session;
  /** Recordings kept on this device until the node confirms them. */
  outbox: Outbox;
  navigate(path: string, options?: { replace?: boolean; flash?: Flash }): void;
}

/**
 * A screen renders into `root` and may return a cleanup (stop the microphone, revoke blob
 * URLs, unsubscribe) that runs when the volunteer leaves it.
 */
export type Screen = (ctx: AppContext, root: HTMLElement) => void | (() => void);
