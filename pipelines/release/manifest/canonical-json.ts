/**
 * JSON Canonicalization Scheme (RFC 8785): object members sorted by the UTF-16 code units of
 * their names, no whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does.
 * Any JCS implementation (Go, Python, Rust, …) turns the same JSON value into the same bytes, so
 * the hash of a manifest does not depend on who serialised it or in which order keys were set.
 *
 * Stricter than JSON.stringify where silence would change the signed bytes unnoticed: NaN and
 * ±Infinity, lone surrogates, BigInt, functions, symbols and class instances (Date, Map, …)
 * throw. Properties whose value is `undefined` are left out, as in JSON.stringify.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$');
}

// With the u flag a surrogate range only matches code units that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function serialise(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} has no JSON form`);
      return JSON.stringify(value); // ES number-to-string, and -0 becomes 0, as RFC 8785 says
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError(`${path}: string contains a lone surrogate`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`${path}: a ${typeof value} has no JSON form`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, index) => (item === undefined ? 'null' : serialise(item, `${path}[${index}]`))).join(',')}]`;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`${path}: only plain objects and arrays can be serialised`);
  }
  const members: string[] = [];
  // Default sort compares UTF-16 code units, which is exactly RFC 8785's ordering.
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    members.push(`${serialise(key, path)}:${serialise(member, `${path}.${key}`)}`);
  }
  return `{${members.join(',')}}`;
}
