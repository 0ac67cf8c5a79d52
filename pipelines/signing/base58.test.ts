import { describe, expect, it } from 'vitest';
import { decodeBase58, encodeBase58 } from './base58.js';

// Bitcoin Core's base58_encode_decode.json vectors, plus the draft-msporny-base58 text examples.
const vectors: Array<[string, string]> = [
  ['', ''],
  ['61', '2g'],
  ['626262', 'a3gV'],
  ['636363', 'aPEr'],
  ['73696d706c792061206c6f6e6720737472696e67', '2cFupjhnEsSn59qHXstmK2ffpLv2'],
  ['00eb15231dfceb60925886b67d065299925915aeb172c06647', '1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L'],
  ['516b6fcd0f', 'ABnLTmg'],
  ['bf4f89001e670274dd', '3SEo3LWLoPntC'],
  ['572e4794', '3EFU7m'],
  ['ecac89cad93923c02321', 'EJDM8drfXA6uyA'],
  ['10c8511e', 'Rt5zm'],
  ['00000000000000000000', '1111111111'],
  [Buffer.from('Hello World!').toString('hex'), '2NEpo7TZRRrLZSi2U'],
  [
    Buffer.from('The quick brown fox jumps over the lazy dog.').toString('hex'),
    'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z',
  ],
];

describe('base58btc', () => {
  it.each(vectors)('encodes %s as %s', (hex, text) => {
    expect(encodeBase58(Buffer.from(hex, 'hex'))).toBe(text);
  });

  it.each(vectors)('decodes %s from %s', (hex, text) => {
    expect(Buffer.from(decodeBase58(text)).toString('hex')).toBe(hex);
  });

  it('round-trips random bytes, leading zeros included', () => {
    for (let n = 0; n < 200; n++) {
      const bytes = Buffer.alloc(n % 40);
      for (let i = 0; i < bytes.length; i++) bytes[i] = i < n % 4 ? 0 : Math.floor(Math.random() * 256);
      expect(Buffer.from(decodeBase58(encodeBase58(bytes)))).toEqual(bytes);
    }
  });

  it.each(['0', 'O', 'I', 'l', 'abc def', '+'])('rejects %j', (text) => {
    expect(() => decodeBase58(text)).toThrow(/Invalid base58/);
  });
});
