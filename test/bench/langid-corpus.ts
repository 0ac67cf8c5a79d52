/**
 * The held-out set for `npm run bench:langid`: translated message catalogues (gettext .mo
 * files) of the Debian packages installed on this machine, under /usr/share/locale. No detector
 * here was trained on them: franc's models come from the UDHR. Left out: the iso-codes
 * catalogues (names of countries and languages, near-identical across languages) and anything
 * from GNOME's user documentation (kept aside for an independent check; it lives under
 * /usr/share/help, not in these catalogues).
 *
 * Rebuilding: the set is a pure function of the .mo files present and of this file, so it is
 * built on the machine (kept in the temp folder under a fingerprint of both), never stored in
 * the repository: the catalogues are GPL/LGPL under many copyrights. `packages` in the results lists the Debian
 * packages that shipped the catalogues used, so that `apt-get install` of that list on a fresh
 * Debian 13 machine reproduces the set; the results also record its sha256.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countScripts } from '../../pipelines/language/scripts.js';

export const LOCALE_ROOT = '/usr/share/locale';

/** Locale folder → BCP-47 tag of the data language. pt_BR, en_* and other regional copies are left out. */
export const LOCALES: Readonly<Record<string, string>> = {
  af: 'af', am: 'am', ar: 'ar', as: 'as', ast: 'ast', az: 'az', be: 'be', bg: 'bg', bn: 'bn', bs: 'bs', ca: 'ca',
  cs: 'cs', cy: 'cy', da: 'da', de: 'de', el: 'el', eo: 'eo', es: 'es', et: 'et', eu: 'eu', fa: 'fa', fi: 'fi',
  fr: 'fr', ga: 'ga', gl: 'gl', gu: 'gu', he: 'he', hi: 'hi', hr: 'hr', hu: 'hu', hy: 'hy', id: 'id', is: 'is',
  it: 'it', ja: 'ja', ka: 'ka', kk: 'kk', km: 'km', kn: 'kn', ko: 'ko', lt: 'lt', lv: 'lv', mk: 'mk', ml: 'ml',
  mr: 'mr', ms: 'ms', nb: 'nb', ne: 'ne', nl: 'nl', nn: 'nn', oc: 'oc', or: 'or', pa: 'pa', pl: 'pl', pt: 'pt',
  ro: 'ro', ru: 'ru', si: 'si', sk: 'sk', sl: 'sl', sq: 'sq', sr: 'sr-Cyrl', 'sr@latin': 'sr-Latn', sv: 'sv',
  ta: 'ta', te: 'te', th: 'th', tr: 'tr', uk: 'uk', vi: 'vi', zh_CN: 'zh-Hans',
};

/** The confusable groups issue 11 names, for the report. */
export const CONFUSABLE_GROUPS: ReadonlyArray<readonly string[]> = [
  ['hr', 'sr-Latn', 'bs', 'sl'],
  ['id', 'ms'],
  ['da', 'nb', 'nn', 'sv'],
  ['pt', 'gl', 'es'],
  ['as', 'bn'],
  ['hi', 'mr'],
];

export interface HeldOutText {
  tag: string;
  text: string;
  kind: 'sentence' | 'short';
  /** Calibration texts fit the confidence; evaluation texts measure everything. Never both. */
  /** `training`: disjoint from the rest, for the bench's `langid train` run. */
  split: 'calibration' | 'evaluation' | 'training';
  domain: string;
}

export const SHORT_MAX_CHARS = 30;
const SENTENCES_PER_LANGUAGE = 300;
const SHORTS_PER_LANGUAGE = 200;
// A further 500 texts per language, in the same proportions, that the bench trains on.
const TRAINING_SENTENCES_PER_LANGUAGE = 300;
const TRAINING_SHORTS_PER_LANGUAGE = 200;

/** gettext .mo: msgid → first msgstr form. Context (`ctx\u0004id`) and plural forms are dropped. */
export function readMo(bytes: Buffer): Array<{ id: string; text: string }> {
  const magic = bytes.readUInt32LE(0);
  const read = magic === 0x950412de ? (at: number) => bytes.readUInt32LE(at) : (at: number) => bytes.readUInt32BE(at);
  if (magic !== 0x950412de && bytes.readUInt32BE(0) !== 0x950412de) throw new Error('not a .mo file');
  const count = read(8);
  const ids = read(12);
  const texts = read(16);
  const out: Array<{ id: string; text: string }> = [];
  for (let i = 0; i < count; i++) {
    const idLength = read(ids + i * 8);
    const idAt = read(ids + i * 8 + 4);
    const textLength = read(texts + i * 8);
    const textAt = read(texts + i * 8 + 4);
    if (idLength === 0) continue; // the header
    const id = bytes.toString('utf8', idAt, idAt + idLength).split('\u0000')[0]!.split('\u0004').pop()!;
    const text = bytes.toString('utf8', textAt, textAt + textLength).split('\u0000')[0]!;
    out.push({ id, text });
  }
  return out;
}

const formatSpecifier = /%(?:\d+\$)?(?:\([a-z_]+\))?[-+ #0']*(?:\d+|\*)?(?:\.\d+)?(?:hh|h|ll|l|L|q|j|z|t|I64|I32)?[diouxXeEfFgGcsSpnm%]|\{[^}]*\}|\$\{[^}]*\}|\$[A-Z_]+/g;
const markup = /<[^>]*>|&[a-z]+;|&#\d+;/g;
const accelerator = /\((?:_|&)[A-Za-z0-9]\)|_(?=\p{L})|&(?=\p{L})/gu;
const machineish = /[\\/@=|]|https?:|\.\.\.\.|--|\p{Lu}{2,}_|[a-z][A-Z][a-z]/u;

/** A catalogue message as prose: placeholders, markup and mnemonics out; null when little prose is left. */
export function cleanMessage(text: string): string | null {
  if (machineish.test(text)) return null;
  const cleaned = text
    .replace(markup, ' ')
    .replace(formatSpecifier, ' ')
    .replace(accelerator, '')
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
  // Letters with their marks, as the too-short rule counts them (scripts.ts `characters`):
  // Devanagari, Tamil, Khmer… write vowels and viramas as combining marks, a third or more of the
  // characters, which counted alone as non-letters dropped most of their messages as "not prose".
  const letters = countScripts(cleaned).characters;
  if (letters < 10 || letters < cleaned.length * 0.6) return null;
  return cleaned;
}

const hash = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Where a catalogue file came from (dpkg's record of installed files), for the rebuild list. */
function packageIndex(): Map<string, string> {
  const owners = new Map<string, string>();
  let lists: string[] = [];
  try {
    lists = readdirSync('/var/lib/dpkg/info').filter((name) => name.endsWith('.list'));
  } catch {
    return owners;
  }
  for (const list of lists) {
    const pkg = list.replace(/\.list$/, '').replace(/:.*$/, '');
    for (const line of readFileSync(join('/var/lib/dpkg/info', list), 'utf8').split('\n')) {
      if (line.startsWith(LOCALE_ROOT) && line.endsWith('.mo')) owners.set(line, pkg);
    }
  }
  return owners;
}

export interface HeldOutSet {
  texts: HeldOutText[];
  sha256: string;
  packages: string[];
  domains: number;
}

/**
 * Reads every catalogue of every locale in `LOCALES`, keeps messages that are prose and
 * translated (not equal to the English msgid), drops any text that occurs in two languages
 * (brand names, shared loanword strings: no detector can be right on them), and takes up to
 * 300 sentences (≥ 30 characters) and 200 short texts (< 30) per language, chosen by hash so
 * the set is the same on every run. The hash also splits texts between calibration (a third)
 * and evaluation.
 */
export function buildHeldOutSet(root = LOCALE_ROOT): HeldOutSet {
  // Building reads ~150 MB of catalogues (20–35 s); the result is a function of those files and
  // of this builder, so it is kept in the temp folder under a key of both.
  const cache = join(tmpdir(), `tributary-langid-heldout-${catalogueFingerprint(root)}.json`);
  try {
    return JSON.parse(readFileSync(cache, 'utf8')) as HeldOutSet;
  } catch {
    const set = readHeldOutSet(root);
    const partial = `${cache}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(set));
    renameSync(partial, cache);
    return set;
  }
}

/** sha256 of this file's source and of every catalogue's path, size and modification time. */
function catalogueFingerprint(root: string): string {
  const digest = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url)));
  for (const folder of Object.keys(LOCALES)) {
    const dir = join(root, folder, 'LC_MESSAGES');
    let files: string[];
    try {
      files = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const file of files) {
      const stat = statSync(join(dir, file));
      digest.update(`${folder}/${file}\t${stat.size}\t${stat.mtimeMs}\n`);
    }
  }
  return digest.digest('hex').slice(0, 24);
}

/** Every prose message of every catalogue, by language, and the languages each text occurs in. */
interface Catalogues {
  byTag: Map<string, Map<string, string>>; // tag → text → domain
  seenIn: Map<string, Set<string>>; // text → tags
  packages: Set<string>;
  domains: Set<string>;
}

function readCatalogues(root: string): Catalogues {
  const owners = packageIndex();
  const byTag = new Map<string, Map<string, string>>();
  const seenIn = new Map<string, Set<string>>();
  const packages = new Set<string>();
  const domains = new Set<string>();
  for (const [folder, tag] of Object.entries(LOCALES)) {
    const dir = join(root, folder, 'LC_MESSAGES');
    let files: string[];
    try {
      files = readdirSync(dir).filter((name) => name.endsWith('.mo') && !name.startsWith('iso_'));
    } catch {
      continue;
    }
    const texts = byTag.get(tag) ?? new Map<string, string>();
    byTag.set(tag, texts);
    for (const file of files.sort()) {
      const path = join(dir, file);
      let messages: Array<{ id: string; text: string }>;
      try {
        messages = readMo(readFileSync(path));
      } catch {
        continue;
      }
      const domain = file.replace(/\.mo$/, '');
      let used = false;
      for (const { id, text } of messages) {
        if (!text || text === id) continue;
        const cleaned = cleanMessage(text);
        if (!cleaned || texts.has(cleaned)) continue;
        texts.set(cleaned, domain);
        used = true;
        const tags = seenIn.get(cleaned) ?? new Set<string>();
        tags.add(tag);
        seenIn.set(cleaned, tags);
      }
      if (used) {
        domains.add(domain);
        const pkg = owners.get(path);
        if (pkg) packages.add(pkg);
      }
    }
  }
  return { byTag, seenIn, packages, domains };
}

/** A language's texts that occur in no other language, in the order of their hash (stable across runs). */
function rankedTexts({ byTag, seenIn }: Catalogues, tag: string) {
  return [...byTag.get(tag)!.entries()]
    .filter(([text]) => seenIn.get(text)!.size === 1)
    .map(([text, domain]) => ({ text, domain, key: hash(`${tag}\u0000${text}`) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * The texts the shipped model (`npm run build:langid-base`) learns from: per language, up to
 * `perLanguage` catalogue texts that occur in no other language and in neither the calibration
 * nor the evaluation split, so the bench's held-out figures stay held out. The bench's own
 * training split (the texts a node would validate) is part of it.
 */
export function buildTrainingPool(perLanguage: number, root = LOCALE_ROOT): Array<{ tag: string; text: string }> {
  const heldOut = new Set(buildHeldOutSet(root).texts.filter((t) => t.split !== 'training').map((t) => `${t.tag}\u0000${t.text}`));
  const catalogues = readCatalogues(root);
  const pool: Array<{ tag: string; text: string }> = [];
  for (const tag of [...catalogues.byTag.keys()].sort()) {
    const texts = rankedTexts(catalogues, tag).filter(({ text }) => !heldOut.has(`${tag}\u0000${text}`));
    for (const { text } of texts.slice(0, perLanguage)) pool.push({ tag, text });
  }
  return pool;
}

function readHeldOutSet(root: string): HeldOutSet {
  const catalogues = readCatalogues(root);
  const { byTag, packages, domains } = catalogues;
  const texts: HeldOutText[] = [];
  for (const tag of [...byTag.keys()].sort((a, b) => a.localeCompare(b))) {
    const ranked = rankedTexts(catalogues, tag);
    let sentences = 0;
    let shorts = 0;
    let trainingSentences = 0;
    let trainingShorts = 0;
    for (const { text, domain, key } of ranked) {
      const kind = [...text].length < SHORT_MAX_CHARS ? 'short' : 'sentence';
      if (kind === 'short' ? shorts < SHORTS_PER_LANGUAGE : sentences < SENTENCES_PER_LANGUAGE) {
        if (kind === 'short') shorts++;
        else sentences++;
        // The key's last hex digit is uniform: 0–4 of 16 ≈ a third to calibration.
        const split = parseInt(key.slice(-1), 16) < 5 ? 'calibration' : 'evaluation';
        texts.push({ tag, text, kind, split, domain });
      } else if (kind === 'short' ? trainingShorts < TRAINING_SHORTS_PER_LANGUAGE : trainingSentences < TRAINING_SENTENCES_PER_LANGUAGE) {
        if (kind === 'short') trainingShorts++;
        else trainingSentences++;
        texts.push({ tag, text, kind, split: 'training', domain });
      }
    }
  }
  // Over the held-out texts only: adding the training split did not change the held-out set.
  const heldOut = texts.filter((t) => t.split !== 'training');
  const sha256 = hash(heldOut.map((t) => `${t.tag}\t${t.kind}\t${t.split}\t${t.text}`).join('\n'));
  return { texts, sha256, packages: [...packages].sort(), domains: domains.size };
}
