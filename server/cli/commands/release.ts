import { parse } from '../../core/http.js';
import { accessChangeBody, buildBody, datasetParams, retractionBody } from '../../node/routes/datasets.schema.js';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { verifyRelease, type ReleaseVerdict } from '../../../pipelines/release/verify/verify-release.js';
import { publicKeyFromDidKey, publicKeyFromMultibase } from '../../../pipelines/signing/did.js';
import { pinFromWellKnown } from '../../../pipelines/signing/key-rotation.js';
import { keyId } from '../../../pipelines/signing/keys.js';
import { ConfigError, TributaryError } from '../../core/errors.js';
import { NodeUrlRequiredError } from '../../node/errors.js';
import type { Publisher } from '../../node/services/publisher.js';
import { buildSummary, type BuildProgress } from '../../node/services/release-builder.js';
import { printJson, printTable } from '../output.js';
import { list, nodeDir, withNode } from '../with-node.js';

/** A progress bar on a terminal; nothing when output goes to a file or a script. */
function progressReporter(enabled: boolean): { report: (p: BuildProgress) => void; stop: () => void } {
  if (!enabled) return { report: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{phase} [{bar}] {percentage}% | {value}/{total} records | {mb} MB', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    report(p) {
      if (p.phase !== 'writing') {
        if (started) bar.update({ phase: p.phase });
        else process.stderr.write(`${p.phase}…\n`);
        return;
      }
      if (!started) {
        bar.start(p.totalRecords, 0, { phase: 'writing', mb: '0' });
        started = true;
      }
      bar.update(p.records, { phase: `writing ${p.split}`, mb: (p.bytes / 1e6).toFixed(0) });
    },
    stop: () => started && bar.stop(),
  };
}

/** Where the keys a verification trusts came from; only the first two are checked against anything. */
type KeySource =
  | { source: 'node'; url: string; did: string; rotationsFollowed: number }
  | { source: 'key'; keyid: string }
  | { source: 'manifest'; did: string };

interface Trust {
  keys: Map<string, KeyObject>;
  from: KeySource;
  /** The node the manifest must name (when the keys came from a node). */
  expectedDid?: string;
}

/**
 * The node's published keys, following its key-rotation chain from the key it started with to
 * the one it signs with now, so a release signed before a rotation still verifies.
 */
async function keysOfNode(url: string): Promise<Trust> {
  let address: URL;
  try {
    address = new URL('/.well-known/tributary.json', url);
  } catch {
    throw new ConfigError(`--node ${url} is not a URL`);
  }
  let document: unknown;
  try {
    const response = await fetch(address, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`it answered ${response.status}`);
    document = await response.json();
  } catch (error) {
    throw new ConfigError(`could not read the node's keys at ${address.href}: ${(error as Error).message}`);
  }
  const pinned = pinFromWellKnown(document);
  if (!pinned.ok) throw new ConfigError(`the keys published at ${address.href} do not hold together: ${pinned.reason}`);
  return {
    keys: pinned.signingKeys,
    from: { source: 'node', url: address.origin, did: pinned.pinned.did, rotationsFollowed: pinned.statements.length },
    expectedDid: pinned.pinned.did,
  };
}

/** A key the user pins: its multibase (as published at /.well-known/tributary.json) or a did:key. */
function pinnedKey(text: string): Trust {
  const key = text.startsWith('did:key:') ? publicKeyFromDidKey(text) : publicKeyFromMultibase(text);
  return { keys: new Map([[keyId(key), key]]), from: { source: 'key', keyid: keyId(key) } };
}

/**
 * With neither --node nor --key, the only key at hand is the one a did:key manifest names for
 * itself: it shows the folder is intact and self-consistent, not who made it. A did:web names no
 * key, so there is nothing to check against.
 */
function keyOfManifest(envelopeText: string): Trust {
  let did = '';
  try {
    // Read only to find the DID; verification proper starts from the envelope again.
    const envelope = JSON.parse(envelopeText) as { payload?: unknown };
    const manifest = JSON.parse(Buffer.from(String(envelope.payload), 'base64').toString('utf8')) as Record<string, unknown>;
    did = typeof manifest['tributary:nodeDid'] === 'string' ? manifest['tributary:nodeDid'] : '';
  } catch {
    // Not readable: the verification says what is wrong with it.
  }
  if (did.startsWith('did:key:')) {
    const key = publicKeyFromDidKey(did);
    return { keys: new Map([[keyId(key), key]]), from: { source: 'manifest', did } };
  }
  if (did.startsWith('did:web:')) {
    const host = decodeURIComponent(did.slice('did:web:'.length).split(':')[0]!);
    throw new ConfigError(`the manifest is signed by ${did}, which names no key: give --node https://${host} (the node's URL) or --key <its signing key> to check it`);
  }
  return { keys: new Map(), from: { source: 'manifest', did } };
}

function describeSource(from: KeySource): string {
  switch (from.source) {
    case 'node':
      return `published by ${from.url} (${from.did}), ${from.rotationsFollowed} key rotation(s) followed`;
    case 'key':
      return `${from.keyid}, pinned with --key`;
    case 'manifest':
      return from.did ? `named by the manifest itself (${from.did}): UNVERIFIED` : 'none: the manifest names no node';
  }
}

/** The outcome a script reads from the exit code: 0 verified, 1 a check failed, 3 key unverified. */
function outcomeOf(verdict: ReleaseVerdict, from: KeySource): { status: 'verified' | 'failed' | 'key-unverified'; exitCode: number } {
  if (!verdict.ok) return { status: 'failed', exitCode: 1 };
  if (from.source === 'manifest') return { status: 'key-unverified', exitCode: 3 };
  return { status: 'verified', exitCode: 0 };
}

export function registerReleaseCommands(program: Command): void {
  const release = program.command('release').description('datasets a community publishes');

  release
    .command('build')
    .description('select, split, shard, describe and sign a release of one language and modality')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .requiredOption('--lang <tag>', 'BCP-47 tag of the language')
    .requiredOption('--modality <m>', 'text or speech')
    .option('--license <spdx>', 'license of the release (records whose consent names another are left out)')
    .option('--purposes <list>', 'consent purposes the release serves, comma-separated', list)
    .option('--format <format>', 'parquet or webdataset', 'parquet')
    .option('--seed <n>', 'seed of the train/dev/test assignment', (v) => Number.parseInt(v, 10))
    .option('--access <class>', 'open, gated or on-request')
    .option('--shard-mb <n>', 'target shard size in MB', (v) => Number.parseInt(v, 10))
    .option('--unretract', 'publish a dataset the community retracted (refused without it)')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const dir = nodeDir(options.dir);
      // The same checks as the API's, before the node is opened: a mistyped option is a
      // one-line refusal that touches nothing.
      const request = parse(buildBody, {
        language: options.lang,
        modality: options.modality,
        license: options.license,
        purposes: options.purposes,
        format: options.format,
        seed: options.seed,
        accessClass: options.access,
        unretract: options.unretract,
      });
      const progress = progressReporter(!options.json && process.stderr.isTTY);
      const outcome = await withNode(dir, (context) =>
        context.releaseBuilder.build({ ...request, targetShardBytes: options.shardMb ? options.shardMb * 1024 * 1024 : undefined }, progress.report),
      ).finally(() => progress.stop());
      const shown = buildSummary(outcome);
      if (options.json) return printJson(shown);
      const summary = shown.release;
      printTable(
        ['dataset', 'version', 'change', 'records', 'added', 'removed', 'folder'],
        [[summary.datasetId, summary.version, outcome.change, summary.records, outcome.added, outcome.removed, join(dir, 'releases', summary.dir)]],
      );
      printTable(['shard', 'records', 'MB', 'sha256'], outcome.shards.map((s) => [s.name, s.records, (s.bytes / 1e6).toFixed(1), s.sha256.slice(0, 16) + '…']));
    });

  release
    .command('list')
    .description('every dataset of the node: version, status, access class, records, and any rebuild due after withdrawals')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const datasets = await withNode(nodeDir(options.dir), (context) => context.authority.list());
      if (options.json) return printJson({ datasets });
      printTable(
        ['dataset', 'version', 'status', 'access', 'records', 'published', 'pending redaction'],
        datasets.map((d) => [
          d.id,
          d.version,
          d.status === 'retracted' ? `retracted ${d.retractedAt!.slice(0, 10)}` : d.status,
          d.accessClass,
          d.records,
          `${d.published.slice(0, 16).replace('T', ' ')} UTC`,
          d.pendingRedaction ? `${d.pendingRedaction.records} record(s), due ${d.pendingRedaction.due.slice(0, 19).replace('T', ' ')} UTC` : '',
        ]),
      );
    });

  release
    .command('retract <dataset>')
    .description('take a dataset back (CARE): served nowhere from now on, its files removed, a signed notice for the index')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .requiredOption('--reason <text>', 'why the community retracts it (published in the notice)')
    .option('--json', 'print JSON')
    .action(async (dataset: string, options: { dir?: string; reason: string; json?: boolean }) => {
      const { id } = parse(datasetParams, { id: dataset });
      const { reason } = parse(retractionBody, { reason: options.reason });
      const outcome = await withNode(nodeDir(options.dir), (context) => context.authority.retract(id, reason));
      if (options.json) return printJson(outcome);
      console.log(`${id} retracted: it answers 410 everywhere; signed retraction notice ${outcome.notice.id} (#${outcome.notice.seq}).`);
    });

  release
    .command('access <dataset>')
    .description('change who may download a dataset, at once, with a signed notice for the index')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .requiredOption('--class <class>', 'open, gated or on-request')
    .option('--json', 'print JSON')
    .action(async (dataset: string, options: { dir?: string; class: string; json?: boolean }) => {
      const { id } = parse(datasetParams, { id: dataset });
      const { accessClass } = parse(accessChangeBody, { accessClass: options.class });
      const outcome = await withNode(nodeDir(options.dir), (context) => context.authority.setAccess(id, accessClass));
      if (options.json) return printJson(outcome);
      console.log(
        outcome.notice
          ? `${id} is ${accessClass} from now on; signed access-change notice ${outcome.notice.id} (#${outcome.notice.seq}).`
          : `${id} is ${accessClass} already; nothing changed.`,
      );
    });

  release
    .command('publish')
    .description('register the node with an index and push every manifest and notice it has not acknowledged yet')
    .option('--dir <dir>', 'data directory of the node (default: $TRIBUTARY_DIR, else ./data/node)')
    .option('--index <url>', 'the index to publish to (repeatable; default: "indexes" in node.json)', (v: string, all: string[]) => [...all, v], [])
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; index: string[]; json?: boolean }) => {
      const dir = nodeDir(options.dir);
      const outcomes = await withNode(dir, async (context) => {
        if (!context.config.url) {
          throw new NodeUrlRequiredError(
            `An index lists where trainers reach the node: set "url" in ${join(dir, 'node.json')} to its public address first.`,
          );
        }
        const targets = options.index.length > 0 ? options.index.map(indexUrl) : context.config.indexes;
        if (targets.length === 0) throw new ConfigError('Name an index: --index https://index.example.org, or list it in "indexes" in node.json.');
        const done = [];
        for (const target of targets) {
          const bar = options.json || !process.stderr.isTTY ? undefined : new cliProgress.SingleBar({ format: `${target} [{bar}] {value}/{total}`, hideCursor: true }, cliProgress.Presets.shades_classic);
          try {
            const outcome = await context.publisher.deliver(target, (p) => {
              if (!bar) return;
              if (p.sent === 1) bar.start(p.total, 0);
              bar.update(p.sent);
            });
            done.push({ ...outcome, heartbeat: await beat(context.publisher, target) });
          } finally {
            bar?.stop();
          }
        }
        return done;
      });
      if (options.json) return printJson({ indexes: outcomes });
      printTable(
        ['index', 'registered', 'manifests', 'notices', 'refused', 'heartbeat'],
        outcomes.map((o) => [o.index, o.registered ? 'now' : 'already', o.manifests, o.notices, o.refused.map((r) => `${r.what} (${r.code})`).join('; '), o.heartbeat]),
      );
      if (outcomes.some((o) => o.refused.length > 0)) process.exitCode = 1;
    });

  release
    .command('verify <folder>')
    .description('check a release folder: its signature against a key you trust, the manifest, its expiry and every shard’s size and sha256')
    .option('--node <url>', 'trust the keys this node publishes at /.well-known/tributary.json (following its key rotations)')
    .option('--key <key>', 'trust this signing key: its multibase (z…) or did:key')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 verified; 1 a check failed; 2 no key to check against (a did:web manifest without --node or --key,\n' +
        'a node that cannot be read); 3 every check passed, but the key came from the manifest itself (no --node or --key).',
    )
    .action(async (folder: string, options: { node?: string; key?: string; json?: boolean }) => {
      const envelopeFile = join(folder, 'croissant.dsse.json');
      if (!existsSync(envelopeFile)) throw new ConfigError(`${envelopeFile} not found: is this a release folder?`);
      const envelopeBytes = readFileSync(envelopeFile);
      let trust: Trust;
      try {
        if (options.node && options.key) throw new ConfigError('give --node or --key, not both');
        trust = options.node ? await keysOfNode(options.node) : options.key ? pinnedKey(options.key) : keyOfManifest(envelopeBytes.toString('utf8'));
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error;
        console.error(`tributary: ${error.message}`);
        process.exitCode = 2;
        return;
      }

      const copyFile = join(folder, 'croissant.json');
      const verdict = await verifyRelease(envelopeBytes, {
        trustedKeys: trust.keys,
        expectedDid: trust.expectedDid,
        publishedCopy: { name: 'croissant.json', bytes: existsSync(copyFile) ? readFileSync(copyFile) : null },
        // Names were checked by the manifest's schema (relative, no '..') before any is opened.
        openShard: (name) => {
          const path = join(folder, name);
          return existsSync(path) ? createReadStream(path) : null;
        },
      });
      const { status, exitCode } = outcomeOf(verdict, trust.from);
      const unverified = trust.from.source === 'manifest';
      const checks = verdict.checks.map((c) =>
        c.kind === 'signature' && c.ok && unverified ? { ...c, detail: `${c.detail}; key UNVERIFIED (taken from the manifest itself)` } : c,
      );
      const release = verdict.manifest && {
        datasetId: verdict.manifest.datasetId,
        version: verdict.manifest.version,
        rev: verdict.manifest.rev,
        nodeDid: verdict.manifest.nodeDid,
        expires: verdict.manifest.expires,
      };

      if (options.json) {
        printJson({ ok: verdict.ok, verified: status === 'verified', status, key: trust.from, keyid: verdict.keyid, release, problems: verdict.problems, checks });
      } else {
        if (release) console.log(`release  ${release.datasetId} ${release.version} (rev ${release.rev}) of ${release.nodeDid}`);
        console.log(`key      ${describeSource(trust.from)}`);
        printTable(['check', 'ok', 'detail'], checks.map((c) => [c.item, c.ok ? 'yes' : 'NO', c.detail]));
        console.log(
          status === 'verified'
            ? 'Verified: signed by a key you trust, and every check passed.'
            : status === 'key-unverified'
              ? 'Signature valid, key UNVERIFIED (taken from the manifest itself): the folder is intact, but nothing says who signed it. Give --node URL or --key to check the key.'
              : `NOT verified: ${checks.filter((c) => !c.ok).length} check(s) failed (${verdict.problems.join(', ')}).`,
        );
      }
      process.exitCode = exitCode;
    });
}

/** An index's base URL as given on the command line: http(s), without a trailing slash. */
function indexUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`--index ${value} is not a URL; give the index's base URL, e.g. https://index.example.org.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--index ${value} must be an http(s) URL.`);
  return url.href.replace(/\/+$/, '');
}

/**
 * One heartbeat after a pass. The serving node beats too, and a number it reserved after this
 * one may arrive first (`HeartbeatReplayed`): one more try with a fresh number, then it is left
 * to the node; what was delivered stands either way.
 */
async function beat(publisher: Publisher, index: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await publisher.heartbeat(index);
      return 'sent';
    } catch (error) {
      const code = (error as TributaryError).details?.code;
      if (code === 'HeartbeatReplayed' && attempt < 2) continue;
      return `not sent (${typeof code === 'string' ? code : (error as Error).message})`;
    }
  }
}
