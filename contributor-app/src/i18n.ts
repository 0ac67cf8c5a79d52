import i18next, { type BackendModule, type i18n as I18next } from 'i18next';
import { ApiError } from './api.js';

/**
 * UI strings come from the node's /locales/<lng>/<ns>.json. Elements carry their key (and
 * variables) in data attributes, so switching the UI locale re-translates the page in place:
 * a half-made recording or a typed text survives it.
 *
 * The UI locale is not the data language: a volunteer may read French buttons and record Yoruba.
 */
export const NAMESPACES = ['common', 'contribute', 'validate', 'consentui', 'mydata', 'errors'] as const;
/** Loaded by the pages that need them (Route.namespaces): a volunteer never waits for the operator's strings. */
export type LazyNamespace = 'admin';

/**
 * A variable that is itself localized when the text is (re)rendered: a language (or a list of
 * them) named in the UI locale, a language named in itself, a date, or another key's text.
 */
export type Var =
  | string
  | number
  | { lang: string }
  | { langs: string[] }
  | { native: string }
  | { date: string }
  | { key: string };
export type Vars = Record<string, Var>;

/** How far a locale's strings have been checked; operators see it so communities know what to review. */
export type LocaleStatus = 'reviewed' | 'machine-drafted' | 'community-draft';
export interface LocaleInfo {
  /** The locale's name in itself (endonym). */
  name: string;
  dir: 'ltr' | 'rtl';
  status: LocaleStatus;
}

/** Filled in by build.mjs from locales/index.json. */
declare const __LOCALE_INFO__: Record<string, LocaleInfo>;
const LOCALE_INFO: Record<string, LocaleInfo> = typeof __LOCALE_INFO__ === 'undefined' ? {} : __LOCALE_INFO__;

const fetchBackend: BackendModule = {
  type: 'backend',
  init() {},
  read(language, namespace, callback) {
    fetch(`/locales/${encodeURIComponent(language)}/${encodeURIComponent(namespace)}.json`, {
      headers: { accept: 'application/json' },
    })
      .then(async (response) => {
        if (!response.ok) throw new Error(`${language}/${namespace}: HTTP ${response.status}`);
        callback(null, await response.json());
      })
      .catch((error: Error) => callback(error, false));
  },
};

/** The stored choice, else the browser's preferred languages, else English. */
export function negotiateLocale(supported: readonly string[], stored: string | null, preferred: readonly string[]): string {
  if (stored && supported.includes(stored)) return stored;
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    const exact = supported.find((s) => s.toLowerCase() === lower);
    if (exact) return exact;
    const primary = supported.find((s) => s.toLowerCase() === lower.split('-')[0]);
    if (primary) return primary;
  }
  return supported.includes('en') ? 'en' : (supported[0] ?? 'en');
}

export class Localizer {
  private readonly listeners = new Set<(locale: string) => void>();

  private constructor(
    private readonly i18n: I18next,
    readonly locales: readonly string[],
  ) {}

  static async create(locales: readonly string[], locale: string): Promise<Localizer> {
    const instance = i18next.createInstance();
    await instance.use(fetchBackend).init({
      lng: locale,
      fallbackLng: 'en',
      supportedLngs: [...locales],
      load: 'languageOnly',
      ns: [...NAMESPACES],
      defaultNS: 'common',
      interpolation: {
        // Text is only ever set with textContent or setAttribute, never as HTML.
        escapeValue: false,
        // Every number a string shows ({{count}}, {{max}}, {{seconds}}…) is written the way the
        // UI locale writes numbers (grouping, decimal sign, digits), while {{count}} still picks
        // the plural form through Intl.PluralRules.
        alwaysFormat: true,
        // Anything else goes back untouched (undefined included, so missing variables still show).
        format: (value: unknown, _format?: string, lng?: string): string =>
          typeof value === 'number' ? new Intl.NumberFormat(lng).format(value) : (value as string),
      },
      returnEmptyString: false,
      showSupportNotice: false,
    });
    const localizer = new Localizer(instance, locales);
    localizer.applyDocumentLocale();
    return localizer;
  }

  get locale(): string {
    return this.i18n.resolvedLanguage ?? this.i18n.language;
  }

  /** Name, direction and translation status of a UI locale (the current one by default). */
  info(locale = this.locale): LocaleInfo {
    return (
      LOCALE_INFO[locale] ?? {
        name: this.nativeName(locale),
        dir: this.i18n.dir(locale) === 'rtl' ? 'rtl' : 'ltr',
        status: 'machine-drafted',
      }
    );
  }

  t(key: string, vars: Vars = {}): string {
    return this.i18n.t(key, this.resolve(vars)) as string;
  }

  /** Loads namespaces a page needs beyond NAMESPACES, in the UI locale (and English, the fallback). */
  async load(namespaces: readonly LazyNamespace[]): Promise<void> {
    if (namespaces.every((ns) => this.i18n.hasLoadedNamespace(ns))) return;
    await this.i18n.loadNamespaces([...namespaces]);
    if (!namespaces.every((ns) => this.i18n.hasLoadedNamespace(ns))) throw new ApiError('Network', `strings ${namespaces.join(', ')} did not load`, 0);
  }

  exists(key: string): boolean {
    return this.i18n.exists(key);
  }

  /** A new element whose text follows the UI locale. */
  text<K extends keyof HTMLElementTagNameMap = 'span'>(key: string, vars?: Vars, tag?: K): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag ?? ('span' as K));
    return this.bind(element, key, vars);
  }

  /** Makes an element's text follow the UI locale (replacing what it held). */
  bind<E extends Element>(element: E, key: string, vars?: Vars): E {
    element.setAttribute('data-i18n', key);
    if (vars && Object.keys(vars).length > 0) element.setAttribute('data-i18n-vars', JSON.stringify(vars));
    else element.removeAttribute('data-i18n-vars');
    element.textContent = this.t(key, vars);
    return element;
  }

  /** Makes an attribute (aria-label, placeholder, title) follow the UI locale. */
  attr<E extends Element>(element: E, name: string, key: string, vars?: Vars): E {
    const bindings = readAttrBindings(element).filter((b) => b.name !== name);
    bindings.push({ name, key, vars });
    element.setAttribute('data-i18n-attr', JSON.stringify(bindings));
    element.setAttribute(name, this.t(key, vars));
    return element;
  }

  /** Stops an element following a key, e.g. before showing text from the node in it. */
  unbind(element: Element): void {
    element.removeAttribute('data-i18n');
    element.removeAttribute('data-i18n-vars');
  }

  async setLocale(locale: string): Promise<void> {
    await this.i18n.changeLanguage(locale);
    this.applyDocumentLocale();
    this.translate(document.body);
    for (const listener of this.listeners) listener(this.locale);
  }

  /** Called after the page has been re-translated; returns an unsubscribe function. */
  onChange(listener: (locale: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  translate(root: ParentNode): void {
    for (const element of root.querySelectorAll('[data-i18n]')) {
      const vars = element.getAttribute('data-i18n-vars');
      element.textContent = this.t(element.getAttribute('data-i18n') ?? '', vars ? (JSON.parse(vars) as Vars) : {});
    }
    for (const element of root.querySelectorAll('[data-i18n-attr]')) {
      for (const { name, key, vars } of readAttrBindings(element)) element.setAttribute(name, this.t(key, vars));
    }
  }

  /** A language's name in the UI locale, e.g. "Swahili" in English and "Kiswahili" in Swahili. */
  languageName(tag: string, inLocale = this.locale): string {
    try {
      return new Intl.DisplayNames([inLocale], { type: 'language', fallback: 'code' }).of(tag) ?? tag;
    } catch {
      return tag;
    }
  }

  /** A language's name in that language itself, which a speaker recognises in any UI. */
  nativeName(tag: string): string {
    return this.languageName(tag, tag);
  }

  scriptName(code: string): string {
    try {
      return new Intl.DisplayNames([this.locale], { type: 'script', fallback: 'code' }).of(code) ?? code;
    } catch {
      return code;
    }
  }

  formatDate(iso: string): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
  }

  list(items: string[]): string {
    try {
      return new Intl.ListFormat(this.locale, { type: 'conjunction' }).format(items);
    } catch {
      return items.join(', ');
    }
  }

  formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
    return new Intl.NumberFormat(this.locale, options).format(value);
  }

  private resolve(vars: Vars): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(vars)) {
      if (typeof value === 'string' || typeof value === 'number') out[name] = value;
      else if ('lang' in value) out[name] = this.languageName(value.lang);
      else if ('langs' in value) out[name] = this.list(value.langs.map((tag) => this.languageName(tag)));
      else if ('native' in value) out[name] = this.nativeName(value.native);
      else if ('date' in value) out[name] = this.formatDate(value.date);
      else out[name] = this.t(value.key);
    }
    return out;
  }

  private applyDocumentLocale(): void {
    const html = document.documentElement;
    const info = this.info();
    html.lang = this.locale;
    html.dir = info.dir;
    html.dataset.localeStatus = info.status;
  }
}

interface AttrBinding {
  name: string;
  key: string;
  vars?: Vars;
}

function readAttrBindings(element: Element): AttrBinding[] {
  const raw = element.getAttribute('data-i18n-attr');
  return raw ? (JSON.parse(raw) as AttrBinding[]) : [];
}

/**
 * What to tell the volunteer about a failure: the node's own code, explained in
 * errors.json, or one of the app's messages when the node could not be reached.
 */
export function describeError(localizer: Localizer, error: unknown): { key: string; vars: Vars } {
  if (error instanceof ApiError) {
    if (error.code === 'Network') return { key: 'common:problem.network', vars: {} };
    const key = `errors:${error.code}`;
    if (localizer.exists(key)) return { key, vars: { message: error.message } };
  }
  return { key: 'common:problem.unexpected', vars: {} };
}
