/**
 * The scripts each language is written in, as ISO 15924 codes, for languages not written in
 * Latin only (the default). Both macrolanguage and individual codes are listed so that either
 * declaration works. Order matters only for reading: the usual script comes first.
 */
export const languageScripts: Readonly<Record<string, readonly string[]>> = {
  // Ethiopic
  amh: ['Ethi'], tir: ['Ethi'], tig: ['Ethi'], gez: ['Ethi'], byn: ['Ethi'], sgw: ['Ethi'],
  // Arabic script
  ara: ['Arab'], arb: ['Arab'], arz: ['Arab'], ary: ['Arab'], arq: ['Arab'], aeb: ['Arab'],
  apc: ['Arab'], ajp: ['Arab'], acm: ['Arab'], apd: ['Arab'], ayl: ['Arab'], shu: ['Arab'],
  fas: ['Arab'], pes: ['Arab'], prs: ['Arab'], urd: ['Arab'], pus: ['Arab'], pbu: ['Arab'],
  pbt: ['Arab'], snd: ['Arab', 'Deva'], ckb: ['Arab'], sdh: ['Arab'], uig: ['Arab'], skr: ['Arab'],
  pnb: ['Arab'], bal: ['Arab'], kas: ['Arab', 'Deva'], azb: ['Arab'], kur: ['Latn', 'Arab'],
  // Brahmic scripts of South Asia
  hin: ['Deva'], mar: ['Deva'], nep: ['Deva'], npi: ['Deva'], mai: ['Deva'], bho: ['Deva'],
  mag: ['Deva'], awa: ['Deva'], hne: ['Deva'], san: ['Deva'], kok: ['Deva'], gom: ['Deva'],
  new: ['Deva'], brx: ['Deva'], doi: ['Deva'],
  ben: ['Beng'], asm: ['Beng'], mni: ['Beng', 'Mtei'],
  pan: ['Guru', 'Arab'], guj: ['Gujr'], ori: ['Orya'], ory: ['Orya'],
  tam: ['Taml'], tel: ['Telu'], kan: ['Knda'], mal: ['Mlym'], sin: ['Sinh'],
  sat: ['Olck'], lif: ['Limb'], div: ['Thaa'],
  // Southeast Asia
  tha: ['Thai'], lao: ['Laoo'], khm: ['Khmr'], mya: ['Mymr'], shn: ['Mymr'], mnw: ['Mymr'],
  ksw: ['Mymr'], tdd: ['Tale'],
  // Tibetan
  bod: ['Tibt'], dzo: ['Tibt'],
  // East Asia
  zho: ['Hani'], cmn: ['Hani'], yue: ['Hani'], wuu: ['Hani'], hak: ['Hani'], nan: ['Hani'],
  gan: ['Hani'], hsn: ['Hani'], cjy: ['Hani'], lzh: ['Hani'],
  jpn: ['Hani', 'Hira', 'Kana'], kor: ['Hang', 'Hani'], iii: ['Yiii'],
  // Cyrillic
  rus: ['Cyrl'], ukr: ['Cyrl'], bel: ['Cyrl'], bul: ['Cyrl'], mkd: ['Cyrl'], kaz: ['Cyrl'],
  kir: ['Cyrl'], tgk: ['Cyrl'], tat: ['Cyrl'], bak: ['Cyrl'], chv: ['Cyrl'], sah: ['Cyrl'],
  tyv: ['Cyrl'], oss: ['Cyrl'], che: ['Cyrl'], ava: ['Cyrl'], kbd: ['Cyrl'], ady: ['Cyrl'],
  abk: ['Cyrl'], alt: ['Cyrl'], kjh: ['Cyrl'], koi: ['Cyrl'], kpv: ['Cyrl'], udm: ['Cyrl'],
  mhr: ['Cyrl'], myv: ['Cyrl'], mdf: ['Cyrl'], bua: ['Cyrl'], xal: ['Cyrl'],
  mon: ['Cyrl', 'Mong'], khk: ['Cyrl'], mvf: ['Mong'],
  srp: ['Cyrl', 'Latn'], hbs: ['Latn', 'Cyrl'], cnr: ['Latn', 'Cyrl'],
  uzb: ['Latn', 'Cyrl'], uzn: ['Latn', 'Cyrl'],
  // Other alphabets of Europe and West Asia
  ell: ['Grek'], grc: ['Grek'], heb: ['Hebr'], yid: ['Hebr'], ydd: ['Hebr'],
  kat: ['Geor'], hye: ['Armn'], syr: ['Syrc'], aii: ['Syrc'],
  // Africa
  tzm: ['Tfng', 'Latn'], zgh: ['Tfng'], shi: ['Tfng', 'Latn'], rif: ['Latn', 'Tfng'],
  kab: ['Latn', 'Tfng'],
  nqo: ['Nkoo'], man: ['Latn', 'Nkoo'], emk: ['Nkoo', 'Latn'],
  ful: ['Latn', 'Adlm'], fuf: ['Latn', 'Adlm'], vai: ['Vaii'],
  // Americas
  chr: ['Cher'], iku: ['Cans', 'Latn'], ike: ['Cans', 'Latn'], cre: ['Cans', 'Latn'],
  csw: ['Cans', 'Latn'], crk: ['Cans', 'Latn'], oji: ['Cans', 'Latn'], ojb: ['Cans', 'Latn'],
};

/** Script used when a language is not in `languageScripts`. */
export const defaultScripts: readonly string[] = ['Latn'];

/**
 * ISO 15924 codes that are variants or combinations of Unicode scripts; a tag like `zh-Hans`
 * or `ja-Jpan` expects the letters of these Unicode scripts.
 */
export const scriptAliases: Readonly<Record<string, readonly string[]>> = {
  Hans: ['Hani'],
  Hant: ['Hani'],
  Hanb: ['Hani', 'Bopo'],
  Jpan: ['Hani', 'Hira', 'Kana'],
  Hrkt: ['Hira', 'Kana'],
  Kore: ['Hang', 'Hani'],
  Jamo: ['Hang'],
  Aran: ['Arab'],
  Latf: ['Latn'],
  Latg: ['Latn'],
  Cyrs: ['Cyrl'],
  Geok: ['Geor'],
  Syre: ['Syrc'],
  Syrj: ['Syrc'],
  Syrn: ['Syrc'],
};

/**
 * Scripts `detectScript` recognises, roughly by how often they show up; on a tie the earlier
 * one wins. Every script named above must be here.
 */
export const detectableScripts: readonly string[] = [
  'Latn', 'Cyrl', 'Arab', 'Hani', 'Hira', 'Kana', 'Hang', 'Deva', 'Beng', 'Ethi', 'Thai',
  'Grek', 'Hebr', 'Taml', 'Telu', 'Knda', 'Mlym', 'Gujr', 'Guru', 'Orya', 'Sinh', 'Mymr',
  'Khmr', 'Laoo', 'Tibt', 'Geor', 'Armn', 'Thaa', 'Syrc', 'Tfng', 'Nkoo', 'Adlm', 'Vaii',
  'Cans', 'Cher', 'Olck', 'Mtei', 'Limb', 'Tale', 'Mong', 'Yiii', 'Bopo', 'Bamu', 'Osma',
];
