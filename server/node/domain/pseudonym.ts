import { keyOfNormalized, normalizeText } from '../../../pipelines/text/normalize.js';

/**
 * Names the node itself uses or that would pass for it; compared case- and width-folded, with
 * punctuation ignored, so `Admin`, `ＡＤＭＩＮ` and `a.d.m.i.n` are all refused.
 */
const RESERVED = new Set([
  'admin', 'administrator', 'moderator', 'reviewer', 'operator', 'erased', 'deleted', 'withdrawn',
  'anonymous', 'system', 'root', 'node', 'tributary', 'support', 'staff',
]);

export const PSEUDONYM_MAX_CHARS = 40;

export type PseudonymCheck = { ok: true; pseudonym: string } | { ok: false; reason: string };

/**
 * A pseudonym is shown to others, so it gets the same cleaning as contributed text (NFC, no
 * bidi overrides or other invisible characters, no controls or lone surrogates, whitespace
 * collapsed), and may not be empty after it or take a name reserved for the node.
 */
export function checkPseudonym(raw: string): PseudonymCheck {
  const pseudonym = normalizeText(raw);
  if (pseudonym.length === 0) return { ok: false, reason: 'A pseudonym needs at least one visible character.' };
  if ([...pseudonym].length > PSEUDONYM_MAX_CHARS) {
    return { ok: false, reason: `A pseudonym has at most ${PSEUDONYM_MAX_CHARS} characters.` };
  }
  if (RESERVED.has(keyOfNormalized(pseudonym).replace(/\s+/g, ''))) {
    return { ok: false, reason: `“${pseudonym}” is reserved for the node; choose another pseudonym.` };
  }
  return { ok: true, pseudonym };
}
