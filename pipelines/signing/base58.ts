/**
 * base58btc (the Bitcoin alphabet), as used by multibase 'z' strings in did:key. Small inputs only
 * (keys, hashes): the quadratic big-number loop is simpler than a streaming codec and fast enough
 * for 34-byte did:key payloads.
 */
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map<string, number>([...ALPHABET].map((char, i) => [char, i]));

export function encodeBase58(bytes: Uint8Array): string {
  // Each leading zero byte is written as one '1'; the rest is a base-256 → base-58 conversion.
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;

  const digits: number[] = []; // base-58 digits, least significant first
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i] ?? 0;
    for (let j = 0; j < digits.length; j++) {
      carry += (digits[j] ?? 0) * 256;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }

  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i] ?? 0];
  return out;
}

/** Throws on any character outside the alphabet (including 0, O, I, l and whitespace). */
export function decodeBase58(text: string): Uint8Array {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;

  const bytes: number[] = []; // base-256 digits, least significant first
  for (let i = zeros; i < text.length; i++) {
    const char = text.charAt(i);
    const value = INDEX.get(char);
    if (value === undefined) throw new Error(`Invalid base58 character ${JSON.stringify(char)} at ${i}`);
    let carry = value;
    for (let j = 0; j < bytes.length; j++) {
      carry += (bytes[j] ?? 0) * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }

  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i] ?? 0;
  return out;
}
