import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_ADMIN_TOKEN_LIFETIME_MS, PRIVILEGED_ROLES } from '../../node/services/contributors.js';
import type { TokenInfo } from '../../node/stores/contributors.js';
import { printJson, printTable } from '../output.js';
import { nodeDir, withNode } from '../with-node.js';

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
const DURATION = /^([1-9]\d{0,5})(m|h|d|w|y)$/;
const MAX_LIFETIME_MS = 100 * UNIT_MS.y!;
const DEFAULT_EXPIRY = `${DEFAULT_ADMIN_TOKEN_LIFETIME_MS / UNIT_MS.d!}d`;

/** A token's lifetime in milliseconds; `ms: null` never expires. (Wrapped: commander drops a parsed null.) */
interface Lifetime {
  ms: number | null;
}

/** `90d`, `12h`, `1y`, `30m` (minutes: months are not a unit), or `never`. */
export function parseLifetime(value: string): Lifetime {
  if (value.trim() === 'never') return { ms: null };
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError('Give a number and a unit (m, h, d, w or y), like 12h, 30d or 1y, or "never".');
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  if (ms > MAX_LIFETIME_MS) throw new InvalidArgumentError('That is longer than 100 years; use "never" for a token that does not expire.');
  return { ms };
}

function parseName(value: string): string {
  const name = value.trim();
  // \p{C}: control, format (bidi overrides) and unassigned characters would garble the table.
  if (name === '' || name.length > 100 || /\p{C}/u.test(name)) {
    throw new InvalidArgumentError('Give a label of 1 to 100 printable characters.');
  }
  return name;
}

type TokenStatus = 'active' | 'expired' | 'revoked';

function statusOf(token: TokenInfo, now: number): TokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return 'expired';
  return 'active';
}

/** Minutes are enough to tell tokens apart; times are UTC like everything the node stores. */
const when = (iso: string | null, none: string): string => (iso === null ? none : iso.slice(0, 16).replace('T', ' '));

const dirOption = ['--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)'] as const;

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('node administration');

  admin
    .command('token')
    .description(
      'print a new admin bearer token (the admin is created on first use). Tokens expire after ' +
        `${DEFAULT_EXPIRY} unless told otherwise, so one forgotten on an old machine or pasted into a chat ` +
        'stops working by itself; `admin tokens` lists them and `admin revoke ID` ends one at once.',
    )
    .option(...dirOption)
    .addOption(
      new Option('--expires <duration>', 'lifetime: 12h, 30d, 1y … (m is minutes), or "never"')
        .argParser(parseLifetime)
        .default({ ms: DEFAULT_ADMIN_TOKEN_LIFETIME_MS } satisfies Lifetime, DEFAULT_EXPIRY),
    )
    .option('--name <label>', 'a label to tell this token apart in `admin tokens`', parseName)
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; expires: Lifetime; name?: string; json?: boolean }) => {
      const issued = await withNode(nodeDir(options.dir), (context) =>
        context.contributors.issueAdminToken({ lifetimeMs: options.expires.ms, ...(options.name ? { name: options.name } : {}) }),
      );
      if (options.json) {
        return printJson({
          contributorId: issued.contributor.id,
          tokenId: issued.tokenId,
          name: issued.name,
          expiresAt: issued.expiresAt,
          token: issued.token,
        });
      }
      // stdout carries the token alone, so `TOKEN=$(tributary admin token)` keeps working.
      console.log(issued.token);
      console.error(
        `token ${issued.tokenId}${issued.name ? ` (${issued.name})` : ''}: ` +
          (issued.expiresAt ? `expires ${when(issued.expiresAt, '')} UTC` : 'never expires; revoke it with `tributary admin revoke` when done'),
      );
    });

  admin
    .command('tokens')
    .description(`list the tokens of every ${PRIVILEGED_ROLES.join(' and ')}: ids and dates, never the tokens themselves`)
    .option(...dirOption)
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const tokens = await withNode(nodeDir(options.dir), (context) => context.contributors.privilegedTokens());
      const now = Date.now();
      const listed = tokens.map((token) => ({ ...token, status: statusOf(token, now) }));
      if (options.json) return printJson({ tokens: listed });
      if (listed.length === 0) {
        console.log('No admin tokens yet: `tributary admin token` makes one.');
        return;
      }
      printTable(
        ['id', 'role', 'contributor', 'name', 'created', 'last used', 'expires', 'status'],
        listed.map((t) => [
          t.id,
          t.role,
          t.pseudonym,
          t.name ?? '',
          when(t.createdAt, ''),
          when(t.lastUsedAt, 'never'),
          when(t.expiresAt, 'never'),
          t.status === 'revoked' ? `revoked ${when(t.revokedAt, '')}` : t.status,
        ]),
      );
    });

  admin
    .command('revoke <id>')
    .description('revoke a token by its id (from `admin tokens`); a running node refuses it from its next request on')
    .option(...dirOption)
    .option('--json', 'print JSON')
    .action(async (id: string, options: { dir?: string; json?: boolean }) => {
      const { token, revokedNow } = await withNode(nodeDir(options.dir), (context) => context.contributors.revokeToken(id));
      if (options.json) return printJson({ token: { ...token, status: 'revoked' }, revokedNow });
      const label = `token ${token.id}${token.name ? ` (${token.name})` : ''} of ${token.role} ${token.pseudonym}`;
      console.log(revokedNow ? `revoked ${label}` : `${label} was already revoked on ${when(token.revokedAt, '')} UTC`);
    });
}
