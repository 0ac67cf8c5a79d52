/**
 * Just enough YAML to write a dataset card's front matter: block mappings and sequences of
 * strings, numbers and booleans. Strings are left plain when they cannot be read as anything
 * else, and otherwise double-quoted with JSON escapes, which YAML 1.1 and 1.2 both read.
 */
export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

export function toYaml(value: { [key: string]: YamlValue }): string {
  return mapping(value, '').join('\n') + '\n';
}

function mapping(value: { [key: string]: YamlValue }, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (Array.isArray(item)) {
      lines.push(item.length === 0 ? `${indent}${scalar(key)}: []` : `${indent}${scalar(key)}:`, ...sequence(item, indent));
    } else if (typeof item === 'object') {
      lines.push(`${indent}${scalar(key)}:`, ...mapping(item, `${indent}  `));
    } else {
      lines.push(`${indent}${scalar(key)}: ${scalar(item)}`);
    }
  }
  return lines;
}

function sequence(items: YamlValue[], indent: string): string[] {
  const lines: string[] = [];
  for (const item of items) {
    if (Array.isArray(item)) {
      throw new TypeError('Nested sequences are not needed in a dataset card');
    } else if (typeof item === 'object') {
      // "- first: …" then the other keys aligned under "first".
      const [first = '', ...rest] = mapping(item, `${indent}  `);
      lines.push(`${indent}- ${first.slice(indent.length + 2)}`, ...rest);
    } else {
      lines.push(`${indent}- ${scalar(item)}`);
    }
  }
  return lines;
}

// Plain scalars that YAML would not read as a string: booleans/nulls in 1.1 and 1.2, numbers.
const RESERVED = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;
const SAFE_PLAIN = /^[A-Za-z_][A-Za-z0-9 ._/<>*+()-]*$/;

function scalar(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('YAML cards hold finite numbers only');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (SAFE_PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') && !value.includes(' #')) return value;
  return JSON.stringify(value);
}
