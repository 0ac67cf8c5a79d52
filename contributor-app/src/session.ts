import { ApiError, type ApiClient } from './api.js';
import { storage } from './storage.js';
import type { ConsentList, NodeInfo, Profile } from './types.js';

/** What the node says of this device's key: whose it is and whether they hold an active consent. */
export interface Who {
  profile: Profile;
  consented: boolean;
}

/**
 * Who the volunteer is on this device: the bearer token (their "key"), their profile, whether
 * they hold an active consent, and the language they contribute in.
 */
export class Session {
  profile: Profile | null = null;
  /** Unknown (null) until the node has been asked. */
  consented: boolean | null = null;

  constructor(
    private readonly node: NodeInfo,
    who: Who | null = null,
  ) {
    if (who) this.apply(who);
  }

  /**
   * Asks the node who the stored key is, needing nothing else: the app asks while it fetches its
   * strings and the node's name, since on a slow link every round trip shows. A key the node does
   * not know is forgotten (null); without a key there is nothing to ask (null).
   */
  static async ask(api: ApiClient): Promise<Who | null> {
    if (!storage.token()) return null;
    try {
      const [profile, consents] = await Promise.all([api.get<Profile>('/me'), api.get<ConsentList>('/consents')]);
      return { profile, consented: consents.records.some((record) => record.active) };
    } catch (error) {
      if (error instanceof ApiError && error.code === 'Unauthenticated') {
        storage.setToken(null);
        return null;
      }
      throw error;
    }
  }

  get token(): string | null {
    return storage.token();
  }

  get signedIn(): boolean {
    return this.token !== null;
  }

  /** Asks the node again (see ask). */
  async refresh(api: ApiClient): Promise<void> {
    const who = await Session.ask(api);
    if (who) this.apply(who);
    else this.signOut();
  }

  private apply(who: Who): void {
    this.profile = who.profile;
    this.consented = who.consented;
  }

  signIn(token: string, profile: Profile): void {
    storage.setToken(token);
    this.profile = profile;
    this.consented = null;
  }

  signOut(): void {
    storage.setToken(null);
    this.profile = null;
    this.consented = null;
  }

  /** The data language: what was chosen last, else the node language closest to the UI locale. */
  dataLanguage(uiLocale: string): string {
    const stored = storage.dataLanguage();
    const languages = this.node.languages;
    if (stored && languages.includes(stored)) return stored;
    const primary = uiLocale.split('-')[0];
    return languages.find((tag) => tag.split('-')[0] === primary) ?? languages[0] ?? uiLocale;
  }

  setDataLanguage(tag: string): void {
    storage.setDataLanguage(tag);
  }
}
