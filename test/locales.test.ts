import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIO_PROBLEMS } from '../pipelines/audio/screen.js';
import { TEXT_PROBLEMS } from '../pipelines/text/check.js';
import * as errors from '../server/core/errors.js';
import { RangeNotSatisfiableError } from '../server/core/send-blob.js';
import { localesDir } from '../server/core/paths.js';

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

const variables = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]).sort();
const locales = readdirSync(localesDir).filter((name) => !name.includes('.'));
const namespaces = readdirSync(join(localesDir, 'en')).filter((f) => f.endsWith('.json') && f !== 'consent.json');

describe('locales', () => {
  it('has English and at least two other locales', () => {
    expect(locales).toContain('en');
    expect(locales.length).toBeGreaterThanOrEqual(3);
  });

  for (const locale of locales.filter((l) => l !== 'en')) {
    for (const namespace of namespaces) {
      it(`${locale}/${namespace} has every English key with the same {{variables}}`, () => {
        const file = join(localesDir, locale, namespace);
        expect(existsSync(file), `${file} is missing`).toBe(true);
        const english = flatten(JSON.parse(readFileSync(join(localesDir, 'en', namespace), 'utf8')));
        const translated = flatten(JSON.parse(readFileSync(file, 'utf8')));
        expect([...translated.keys()].sort()).toEqual([...english.keys()].sort());
        for (const [key, text] of english) {
          expect(variables(translated.get(key) ?? ''), `${locale}/${namespace}:${key}`).toEqual(variables(text));
        }
      });
    }
  }

  it('explains every error code the API can answer with', () => {
    const english = flatten(JSON.parse(readFileSync(join(localesDir, 'en', 'errors.json'), 'utf8')));
    const codes = [...Object.values(errors), RangeNotSatisfiableError]
      .map((value) => (value as { code?: unknown }).code)
      .filter((code): code is string => typeof code === 'string');
    expect(codes.length).toBeGreaterThan(20);
    codes.push(...TEXT_PROBLEMS, ...AUDIO_PROBLEMS, 'Internal');
    for (const code of codes) expect(english.has(code), `errors:${code}`).toBe(true);
  });
});
