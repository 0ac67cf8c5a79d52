import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * What every service's config file shares: the reverse-proxy setting its HTTP app takes, and
 * reading, validating and writing the file with one message a person can act on. Each service
 * declares its own schema; only these steps are common.
 */

const NAMED_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const isProxyAddress = (value: string): boolean => {
  if (NAMED_PROXY_RANGES.includes(value)) return true;
  const [address = '', prefix, ...rest] = value.split('/');
  if (rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) return false;
  return isIP(address) !== 0 || ipv4.test(address);
};

/**
 * Which reverse proxies may say who the client is (`X-Forwarded-For`), in Express's terms: none
 * (the default), a number of hops, or the proxies' addresses and ranges (`loopback`, `10.0.0.0/8`).
 * `true` (trust anyone) is not offered: it lets every client choose its own rate-limit bucket.
 */
export const trustProxySchema = z.union([
  z.literal(false),
  z.number().int().min(1).max(10),
  z.array(z.string().refine(isProxyAddress, 'an IP address, a CIDR range, or loopback/linklocal/uniquelocal')).min(1),
]);

/** Validates a config object, turning zod's issues into one message that names each setting. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Reads and validates a config file; `missingHint` says how to make one. */
export function readConfigFile<S extends z.ZodType>(schema: S, file: string, missingHint: string): z.output<S> {
  if (!existsSync(file)) throw new ConfigError(`${file} does not exist; ${missingHint}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(schema, raw, file);
}

/** Writes a new config file (mode 0600); refuses to overwrite one, since keys and data depend on it. */
export function writeConfigFile<S extends z.ZodType>(schema: S, file: string, input: z.input<S>, existsMessage: string): z.output<S> {
  if (existsSync(file)) throw new ConfigError(`${file} already exists; ${existsMessage}`);
  const config = parseConfig(schema, input, 'the new configuration');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return config;
}
