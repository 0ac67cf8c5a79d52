import { francLanguages } from './franc-languages.js';

/**
 * Macrolanguage → the individual language franc's model stands for. franc is trained on UDHR
 * translations, which are filed under individual languages, so a node declaring `sw` (swa) has to
 * ask franc about `swh`. Where a macrolanguage has several written standards, the one with the
 * UDHR translation is listed; a node whose variety differs should declare its own code.
 */
export const francIndividualLanguage: Readonly<Record<string, string>> = {
  aka: 'twi',
  ara: 'arb',
  aym: 'ayr',
  aze: 'azj',
  cre: 'csw',
  est: 'ekk',
  fas: 'pes',
  ful: 'fuv',
  grn: 'gug',
  hmn: 'hnj',
  iku: 'ike',
  kau: 'knc',
  kon: 'kng',
  lah: 'pnb',
  lav: 'lvs',
  man: 'emk',
  mlg: 'plt',
  mon: 'khk',
  msa: 'zlm',
  nep: 'npi',
  nor: 'nob',
  oji: 'ojb',
  orm: 'gaz',
  pus: 'pbu',
  sqi: 'als',
  srd: 'src',
  swa: 'swh',
  uzb: 'uzn',
  yid: 'ydd',
  zho: 'cmn',
};

/** The code to hand franc for a declared ISO 639-3 language. */
export function francCodeFor(iso639_3: string): string {
  return francIndividualLanguage[iso639_3] ?? iso639_3;
}

/** True when `a` and `b` are the same code or one is the macrolanguage the other stands for. */
export function sameLanguage(a: string, b: string): boolean {
  return a === b || francIndividualLanguage[a] === b || francIndividualLanguage[b] === a;
}

/** Whether language ID can tell this language apart at all (else only its script is checked). */
export function isModelled(iso639_3: string): boolean {
  return francLanguages.has(francCodeFor(iso639_3));
}
