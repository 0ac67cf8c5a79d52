import { ApiError, type ApiClient } from './api.js';
import { storage } from './storage.js';
import type { ConsentList, NodeInfo, Profile } from './types.js';

/**
 * Who the volunteer is on this device: the bearer token (their "key"), their profile, whether
 * they hold an active consent, and the language they contribute in.
 */
export class Session {
  profile: Profile | null = null;
  /** Unknown (null) until the node has been asked. */
  consented: boolean | null = null;

  constructor(private readonly node: NodeInfo) {}

  get token(): string | null {
    return storage.token();
  }

  get signedIn(): boolean {
    return this.token !== null;
  }

  /** Asks the node who this token is and whether it has consented; a dead token is forgotten. */
  async refresh(api: ApiClient): Promise<void> {
    if (!this.token) return;
    try {
      const [profile, consents] = await Promise.all([
        api.get<Profile>('/me'),
        api.get<ConsentList>('/consents'),
      ]);
      this.profile = profile;
      this.consented = consents.records.some((record) => record.active);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'Unauthenticated') this.signOut();
      else throw error;
    }
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
