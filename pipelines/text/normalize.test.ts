import { describe, expect, it } from 'vitest';
import { normalizeText, textKey } from './normalize.js';

describe('normalizeText', () => {
  it('composes to NFC', () => {
    // e + combining acute, o + dot below + grave
    expect(normalizeText('caf\u0065\u0301 \u006F\u0323\u0300')).toBe('café \u1ECD\u0300');
  });

  it('collapses every kind of whitespace to one space and trims', () => {
    expect(normalizeText('  Habari\u00A0\u00A0za\tasubuhi\u3000\n rafiki \u2028')).toBe('Habari za asubuhi rafiki');
  });

  it('keeps one newline per line break when asked, and nothing else', () => {
    expect(normalizeText('Mstari wa kwanza.  \r\n\r\n  Mstari\u00A0wa pili.\n', { keepNewlines: true })).toBe(
      'Mstari wa kwanza.\nMstari wa pili.',
    );
    expect(normalizeText('a\u2029b\u0085c', { keepNewlines: true })).toBe('a\nb\nc');
  });

  it('removes zero-width and bidi characters but keeps ZWJ and ZWNJ', () => {
    expect(normalizeText('\uFEFFHa\u200Bba\u00ADri\u202E\u2066')).toBe('Habari');
    // Persian می‌خواهم needs its ZWNJ; Devanagari क्‍ uses ZWJ.
    expect(normalizeText('می\u200Cخواهم')).toBe('می\u200Cخواهم');
    expect(normalizeText('क्\u200D')).toBe('क्\u200D');
  });

  it('composes a letter with a mark that an invisible character used to separate', () => {
    expect(normalizeText('e\u200B\u0301')).toBe('é');
  });

  it('removes control characters and lone surrogates', () => {
    expect(normalizeText('a\u0000b\u0007c\u009Fd\uD800')).toBe('abcd');
  });

  it('is idempotent', () => {
    const samples = ['  a \u00A0 b\r\n\r\nc ', 'e\u200B\u0301\u0323', '\u2000x\u2001'];
    for (const sample of samples) {
      for (const options of [{}, { keepNewlines: true }]) {
        const once = normalizeText(sample, options);
        expect(normalizeText(once, options)).toBe(once);
      }
    }
  });
});

describe('textKey', () => {
  it('makes sentences differing only in case, punctuation and spacing collide', () => {
    expect(textKey('Habari za asubuhi!')).toBe(textKey('  habari,  ZA asubuhi '));
    expect(textKey('Habari za asubuhi!')).toBe('habari za asubuhi');
  });

  it('folds compatibility forms and joiners', () => {
    expect(textKey('ﬁnal ＡＢＣ')).toBe('final abc');
    expect(textKey('می\u200Cخواهم')).toBe(textKey('میخواهم'));
  });

  it('keeps tone marks, which change the word', () => {
    // Yoruba: ọkọ̀ (vehicle) and ọkọ (husband)
    expect(textKey('ọkọ̀')).not.toBe(textKey('ọkọ'));
  });

  it('keeps different sentences apart', () => {
    expect(textKey('Nina njaa.')).not.toBe(textKey('Nina kiu.'));
  });
});
