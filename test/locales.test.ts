import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIO_PROBLEMS } from '../pipelines/audio/screen.js';
import { TEXT_PROBLEMS } from '../pipelines/text/check.js';
import * as signingErrors from '../pipelines/signing/errors.js';
import * as shardErrors from '../pipelines/release/shards/errors.js';
import * as transparencyErrors from '../pipelines/transparency/errors.js';
import { InvalidReleaseError } from '../pipelines/release/manifest/release-schema.js';
import { RELEASE_PROBLEMS } from '../pipelines/release/verify/problems.js';
import { BlobNotFoundError } from '../server/core/blob-store.js';
import * as coreErrors from '../server/core/errors.js';
import { RangeNotSatisfiableError } from '../server/core/send-blob.js';
import { PeerUnreachableError } from '../server/core/http-client.js';
import * as indexErrors from '../server/index/errors.js';
import { INDEX_STATUSES } from '../server/index/errors.js';
import * as nodeErrors from '../server/node/errors.js';
import * as trainerErrors from '../server/trainer/errors.js';
import { NODE_STATUSES } from '../server/node/errors.js';
import { localesDir } from '../server/node/paths.js';
import { parseNodeConfig } from '../server/node/config.js';
import { loadNotices, pickNotice } from '../server/node/services/consent-notices.js';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const variables = (text: string) => [...new Set([...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]!))].sort();
const locales = readdirSync(localesDir).filter((name) => !name.includes('.'));
const namespaces = readdirSync(join(localesDir, 'en')).filter((f) => f.endsWith('.json') && f !== 'consent.json');

/** i18next's plural suffixes: the CLDR categories Intl.PluralRules gives a language. */
const PLURAL_FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;
const pluralSuffix = new RegExp(`_(${PLURAL_FORMS.join('|')})$`);
const pluralForms = (locale: string) => new Intl.PluralRules(locale).resolvedOptions().pluralCategories as string[];

/**
 * A locale's keys against English: plain keys one for one; a plural key (English `x_one`,
 * `x_other`) needs exactly the forms the locale's plural rules have, plus `_zero` if it wants
 * one (i18next uses `_zero` for a count of 0 in any language).
 */
function compareKeys(locale: string, english: Map<string, string>, translated: Map<string, string>): string[] {
  const problems: string[] = [];
  const forms = pluralForms(locale);
  const pluralBases = new Set([...english.keys()].filter((k) => k.endsWith('_other')).map((k) => k.slice(0, -'_other'.length)));
  const expected = new Set<string>();
  for (const key of english.keys()) {
    const base = key.replace(pluralSuffix, '');
    if (base !== key && pluralBases.has(base)) for (const form of forms) expected.add(`${base}_${form}`);
    else expected.add(key);
  }
  for (const key of expected) if (!translated.has(key)) problems.push(`missing ${key}`);
  for (const key of translated.keys()) {
    if (expected.has(key)) continue;
    const base = key.replace(pluralSuffix, '');
    if (key.endsWith('_zero') && pluralBases.has(base)) continue;
    problems.push(base !== key && pluralBases.has(base) ? `${key}: ${locale} has no such plural form (it has ${forms.join(', ')})` : `extra key ${key}`);
  }
  for (const [key, text] of translated) if (text.trim() === '') problems.push(`${key} is empty`);
  return problems;
}

/**
 * The same {{variables}} as English. A plural key's `_other` form has all of English's; its
 * other forms may spell the number out ("one", "واحد") but need every other variable, and
 * none that English does not have.
 */
function compareVariables(english: Map<string, string>, translated: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, text] of translated) {
    const base = key.replace(pluralSuffix, '');
    const englishForms = [...english].filter(([k]) => k.replace(pluralSuffix, '') === base && pluralSuffix.test(k));
    const got = variables(text);
    if (base === key || englishForms.length === 0) {
      const want = variables(english.get(key) ?? '');
      if (got.join() !== want.join()) problems.push(`${key}: {{${got.join(', ')}}} where English has {{${want.join(', ')}}}`);
      continue;
    }
    const other = variables(english.get(`${base}_other`) ?? '');
    const allowed = new Set(englishForms.flatMap(([, t]) => variables(t)));
    const required = key.endsWith('_other') ? other : other.filter((v) => v !== 'count');
    const missing = required.filter((v) => !got.includes(v));
    const unknown = got.filter((v) => !allowed.has(v));
    if (missing.length || unknown.length) problems.push(`${key}: missing {{${missing.join(', ')}}}, unknown {{${unknown.join(', ')}}}`);
  }
  return problems;
}

const STATUSES = ['reviewed', 'machine-drafted', 'community-draft'];
const index = readJson(join(localesDir, 'index.json')) as Record<string, { name?: unknown; dir?: unknown; status?: unknown; note?: unknown }>;

describe('locales', () => {
  it('has at least twelve interface languages, two of them right-to-left', () => {
    expect(locales).toContain('en');
    expect(locales.length).toBeGreaterThanOrEqual(12);
    const rtl = locales.filter((l) => (new Intl.Locale(l) as Intl.Locale & { textInfo: { direction: string } }).textInfo.direction === 'rtl');
    expect(rtl.length, `right-to-left: ${rtl.join(', ')}`).toBeGreaterThanOrEqual(2);
  });

  it('index.json lists every locale once, with its own name, its direction and a translation status', () => {
    expect(Object.keys(index).sort()).toEqual([...locales].sort());
    for (const [locale, entry] of Object.entries(index)) {
      expect(STATUSES, `${locale} status`).toContain(entry.status);
      expect(typeof entry.name === 'string' && entry.name.length > 0, `${locale} name`).toBe(true);
      expect(typeof entry.note === 'string' && entry.note.length > 0, `${locale} note says who wrote or checked it`).toBe(true);
      // The direction the app puts on <html> is the one CLDR gives the language.
      const direction = (new Intl.Locale(locale) as Intl.Locale & { textInfo: { direction: string } }).textInfo.direction;
      expect(entry.dir, `${locale} dir`).toBe(direction);
    }
  });

  for (const locale of locales.filter((l) => l !== 'en')) {
    for (const namespace of namespaces) {
      it(`${locale}/${namespace} has every English key, its plural forms and the same {{variables}}`, () => {
        const file = join(localesDir, locale, namespace);
        expect(existsSync(file), `${file} is missing`).toBe(true);
        const english = flatten(readJson(join(localesDir, 'en', namespace)) as Tree);
        const translated = flatten(readJson(file) as Tree);
        expect(compareKeys(locale, english, translated)).toEqual([]);
        expect(compareVariables(english, translated)).toEqual([]);
      });
    }

    it(`${locale} is translated, not English copied over`, () => {
      let same = 0;
      let total = 0;
      for (const namespace of namespaces) {
        const english = flatten(readJson(join(localesDir, 'en', namespace)) as Tree);
        const translated = flatten(readJson(join(localesDir, locale, namespace)) as Tree);
        for (const [key, text] of translated) {
          total += 1;
          if (english.get(key) === text) same += 1;
        }
      }
      expect(same / total, `${same} of ${total} strings are the English ones`).toBeLessThan(0.03);
    });
  }

  it('English plural keys have the forms English needs', () => {
    for (const namespace of namespaces) {
      const english = flatten(readJson(join(localesDir, 'en', namespace)) as Tree);
      expect(compareKeys('en', english, english), namespace).toEqual([]);
    }
  });

  it('a locale without its own consent notice gets the English one, and the app says so in the UI language', () => {
    const config = parseNodeConfig({ name: 'Test', languages: ['yo'] });
    const notices = loadNotices(config, localesDir);
    for (const locale of locales) {
      const notice = pickNotice(notices, locale);
      if (existsSync(join(localesDir, locale, 'consent.json'))) expect(notice.document.language).toBe(locale);
      else {
        expect(notice.document.language).toBe('en');
        expect(variables(flatten(readJson(join(localesDir, locale, 'consentui.json')) as Tree).get('fallbackLanguage') ?? '')).toEqual(['language']);
      }
    }
  });

  it('explains every error code, of every service and pipeline, and the node answers each with a status', () => {
    const english = flatten(JSON.parse(readFileSync(join(localesDir, 'en', 'errors.json'), 'utf8')));
    const classes = [coreErrors, nodeErrors, trainerErrors, indexErrors, signingErrors, shardErrors, transparencyErrors, { InvalidReleaseError, RangeNotSatisfiableError, BlobNotFoundError, PeerUnreachableError }]
      .flatMap((module) => Object.values(module));
    const codes = classes
      .map((value) => (value as { code?: unknown }).code)
      .filter((code): code is string => typeof code === 'string');
    expect(codes.length).toBeGreaterThan(40);
    codes.push(...TEXT_PROBLEMS, ...AUDIO_PROBLEMS, ...RELEASE_PROBLEMS, ...Object.keys(NODE_STATUSES), ...Object.keys(INDEX_STATUSES), 'Internal');
    for (const code of codes) expect(english.has(code), `errors:${code}`).toBe(true);
    // Every code a node's own services throw has a status; pipeline codes reaching HTTP are bugs (500).
    for (const code of [...Object.values(nodeErrors), ...Object.values(coreErrors)].map((v) => (v as { code?: unknown }).code)) {
      if (typeof code === 'string' && code !== 'InvalidConfig') expect(NODE_STATUSES[code], code).toBeGreaterThanOrEqual(400);
    }
    // And every code the index's services throw.
    for (const code of [...Object.values(indexErrors), ...Object.values(coreErrors)].map((v) => (v as { code?: unknown }).code)) {
      if (typeof code === 'string' && code !== 'InvalidConfig') expect(INDEX_STATUSES[code], code).toBeGreaterThanOrEqual(400);
    }
  });
});
