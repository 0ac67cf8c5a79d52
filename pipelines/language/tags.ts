import { parse } from 'bcp-47';
import { basicFilter } from 'bcp-47-match';
import { iso6393 } from 'iso-639-3';

/** A declared data language: a canonical BCP-47 tag plus the ISO 639-3 code stored beside it. */
export interface LanguageTag {
  tag: string;
  language: string;
  script?: string;
  region?: string;
  iso639_3: string;
  name: string;
}

interface Iso639Entry {
  iso639_3: string;
  iso639_1?: string;
  name: string;
}

const byIso639_3 = new Map<string, Iso639Entry>();
const byIso639_1 = new Map<string, Iso639Entry>();
for (const language of iso6393) {
  // und, mul, mis and zxx say "no particular language"; a sample must declare a real one.
  if (language.scope === 'special') continue;
  const entry: Iso639Entry = { iso639_3: language.iso6393, name: language.name };
  if (language.iso6391) entry.iso639_1 = language.iso6391;
  byIso639_3.set(language.iso6393, entry);
  if (language.iso6391) byIso639_1.set(language.iso6391, entry);
}

// Withdrawn ISO 639-1 codes that Java and Android still emit.
const deprecatedIso639_1: Readonly<Record<string, string>> = { iw: 'he', in: 'id', ji: 'yi', jw: 'jv', mo: 'ro' };

// Script codes that name no writing system of a language (Common, Inherited, Unknown, symbols,
// "unwritten"): text data cannot be declared in them.
const nonLanguageScripts = new Set(['Zinh', 'Zmth', 'Zsye', 'Zsym', 'Zxxx', 'Zyyy', 'Zzzz']);
// ISO 3166 user-assigned codes: private use, like `x-` subtags.
const privateUseRegion = /^(?:AA|Q[M-Z]|X[A-Z]|ZZ)$/;

// CLDR's English names double as the registry check: unknown or private-use (Qaaa–Qabx)
// script codes and unassigned regions have no name.
const scriptNames = new Intl.DisplayNames(['en'], { type: 'script', fallback: 'none' });
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

function lookupLanguage(subtag: string): Iso639Entry | undefined {
  if (subtag.length === 2) return byIso639_1.get(deprecatedIso639_1[subtag] ?? subtag);
  if (subtag.length === 3) return byIso639_3.get(subtag);
  return undefined;
}

function canonicalScript(subtag: string): string | null {
  const script = subtag.charAt(0).toUpperCase() + subtag.slice(1).toLowerCase();
  if (nonLanguageScripts.has(script) || scriptNames.of(script) === undefined) return null;
  return script;
}

function canonicalRegion(subtag: string): string | null {
  const region = subtag.toUpperCase();
  if (privateUseRegion.test(region) || regionNames.of(region) === undefined) return null;
  return region;
}

/**
 * Parses a declared language. Returns null for anything that is not one known language with an
 * optional script, region and variants: private use, grandfathered tags and extensions would
 * make two samples in the same language carry tags that do not compare equal.
 */
export function parseLanguageTag(input: string): LanguageTag | null {
  const schema = parse(input.trim(), { normalize: false });
  if (!schema.language) return null;
  if (schema.irregular || schema.regular) return null;
  if (schema.privateuse.length > 0 || schema.extensions.length > 0) return null;
  if (schema.extendedLanguageSubtags.length > 1) return null;

  // RFC 5646 §4.5: `zh-yue` is canonically written `yue`.
  const subtag = (schema.extendedLanguageSubtags[0] ?? schema.language).toLowerCase();
  const entry = lookupLanguage(subtag);
  if (!entry) return null;

  const language = entry.iso639_1 ?? entry.iso639_3;
  const parts = [language];
  const result: LanguageTag = { tag: '', language, iso639_3: entry.iso639_3, name: entry.name };
  if (schema.script) {
    const script = canonicalScript(schema.script);
    if (!script) return null;
    result.script = script;
    parts.push(script);
  }
  if (schema.region) {
    const region = canonicalRegion(schema.region);
    if (!region) return null;
    result.region = region;
    parts.push(region);
  }
  for (const variant of schema.variants) parts.push(variant.toLowerCase());
  result.tag = parts.join('-');
  return result;
}

/** RFC 4647 basic filtering: does the language range (`sw`, `sw-KE`, `*`) cover the tag? */
export function tagMatchesRange(tag: string, range: string): boolean {
  if (tag === '' || range === '') return false;
  return basicFilter(tag, range).length > 0;
}
