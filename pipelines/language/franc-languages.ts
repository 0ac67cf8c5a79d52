import { data } from 'franc-all/data.js';
import { expressions } from 'franc-all/expressions.js';

// franc keeps trigram models per script (`data`) and decides scripts written by a single
// language (Hangul, Thai, Gurmukhi, …) from `expressions` alone. Derived from the installed
// package so that an upgrade cannot leave this list stale.
function modelledLanguages(): ReadonlySet<string> {
  const codes = new Set<string>();
  for (const [script, languages] of Object.entries(data)) {
    for (const code of Object.keys(languages)) codes.add(code);
    codes.delete(script);
  }
  for (const key of Object.keys(expressions)) {
    if (!(key in data)) codes.add(key);
  }
  return codes;
}

/** ISO 639-3 codes franc-all can answer with. */
export const francLanguages: ReadonlySet<string> = modelledLanguages();
