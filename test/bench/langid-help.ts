import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanMessage, LOCALES, SHORT_MAX_CHARS, type HeldOutText } from './langid-corpus.js';

/**
 * The independent check issue 11 keeps aside: GNOME's user documentation (Mallard pages under
 * /usr/share/help/<locale>/<document>/), text neither franc nor `langid train` on the catalogues
 * saw, and prose rather than UI strings. Debian's `gnome-user-docs` ships it in 41 languages; it
 * needs no install to be read (`apt-get download gnome-user-docs && dpkg-deb -x
 * gnome-user-docs_*.deb DIR`, then `BENCH_LANGID_HELP=DIR/usr/share/help`).
 *
 * Paragraphs, titles and descriptions, markup out; a text also found in the English original
 * (`C`, left untranslated) or in two languages is dropped; up to 300 sentences and 200 short
 * texts per language, chosen by hash as for the catalogues.
 */
export function buildHelpSet(root: string): { texts: HeldOutText[]; sha256: string; documents: number } {
  const english = new Set(pageTexts(join(root, 'C')));
  const byTag = new Map<string, Set<string>>();
  const seenIn = new Map<string, number>();
  let documents = 0;
  for (const [folder, tag] of Object.entries(LOCALES)) {
    let texts: string[];
    try {
      texts = pageTexts(join(root, folder));
    } catch {
      continue;
    }
    documents++;
    const own = new Set(texts.filter((text) => !english.has(text)));
    byTag.set(tag, own);
    for (const text of own) seenIn.set(text, (seenIn.get(text) ?? 0) + 1);
  }
  const texts: HeldOutText[] = [];
  for (const [tag, own] of [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const ranked = [...own]
      .filter((text) => seenIn.get(text) === 1)
      .map((text) => ({ text, key: hash(`${tag}\u0000${text}`) }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    const taken = { sentence: 0, short: 0 };
    for (const { text } of ranked) {
      const kind = [...text].length < SHORT_MAX_CHARS ? 'short' : 'sentence';
      if (taken[kind] >= (kind === 'short' ? 200 : 300)) continue;
      taken[kind]++;
      texts.push({ tag, text, kind, split: 'evaluation', domain: 'gnome-help' });
    }
  }
  return { texts, sha256: hash(texts.map((t) => `${t.tag}\t${t.kind}\t${t.text}`).join('\n')), documents };
}

/** Every paragraph, title and description of every page under a locale folder, cleaned. */
function pageTexts(localeDir: string): string[] {
  const out: string[] = [];
  for (const document of readdirSync(localeDir)) {
    let pages: string[];
    try {
      pages = readdirSync(join(localeDir, document)).filter((name) => name.endsWith('.page'));
    } catch {
      continue;
    }
    for (const page of pages) {
      const xml = readFileSync(join(localeDir, document, page), 'utf8');
      for (const match of xml.matchAll(/<(p|title|desc)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
        const text = cleanMessage(decode(match[2]!.replace(/<[^>]+>/g, ' ')));
        if (text) out.push(text);
      }
    }
  }
  return out;
}

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (entity, name: string) =>
    name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name]!,
  );
}

const hash = (value: string): string => createHash('sha256').update(value).digest('hex');
