import { parse } from '../../core/http.js';
import { buildBody } from '../../node/routes/datasets.schema.js';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { publicKeyFromDidKey } from '../../../pipelines/signing/did.js';
import { verifyEnvelope, type DsseEnvelope } from '../../../pipelines/signing/dsse.js';
import { keyId } from '../../../pipelines/signing/keys.js';
import { ConfigError } from '../../core/errors.js';
import { buildSummary, type BuildProgress } from '../../node/services/release-builder.js';
import { printJson, printTable } from '../output.js';
import { list, nodeDir, withNode } from '../with-node.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

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

/** Keys a verifier trusts: the node's published keys, or the key inside a did:key. */
async function trustedKeys(manifest: Record<string, unknown>, nodeUrl: string | undefined): Promise<Map<string, KeyObject>> {
  const keys = new Map<string, KeyObject>();
  if (nodeUrl) {
    const wellKnown = (await (await fetch(new URL('/.well-known/tributary.json', nodeUrl))).json()) as {
      publicKeys: Array<{ id: string; use: string; publicKeyMultibase: string }>;
    };
    // A did:key is the multibase key with a prefix, so the same decoder reads both.
    for (const k of wellKnown.publicKeys) if (k.use === 'signing') keys.set(k.id, publicKeyFromDidKey(`did:key:${k.publicKeyMultibase}`));
    return keys;
  }
  const did = String((manifest['tributary:nodeDid'] as string | undefined) ?? '');
  if (!did.startsWith('did:key:')) throw new ConfigError(`the manifest is signed by ${did || 'an unknown node'}; give --node URL to fetch its keys`);
  const key = publicKeyFromDidKey(did);
  keys.set(keyId(key), key);
  return keys;
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
    .command('verify <folder>')
    .description('check a release folder: the manifest signature and every shard’s size and sha256')
    .option('--node <url>', 'fetch the signing keys from this node’s /.well-known/tributary.json')
    .option('--json', 'print JSON')
    .action(async (folder, options) => {
      const envelopeFile = join(folder, 'croissant.dsse.json');
      if (!existsSync(envelopeFile)) throw new ConfigError(`${envelopeFile} not found: is this a release folder?`);
      const envelope = JSON.parse(readFileSync(envelopeFile, 'utf8')) as DsseEnvelope;
      const payload = Buffer.from(envelope.payload, 'base64');
      const manifest = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      const verdict = verifyEnvelope(envelope, await trustedKeys(manifest, options.node));
      const checks: Array<{ item: string; ok: boolean; detail: string }> = [
        { item: 'signature', ok: verdict.ok, detail: verdict.ok ? `signed by ${verdict.keyid}` : verdict.reason },
      ];
      const published = join(folder, 'croissant.json');
      if (existsSync(published)) {
        const same = readFileSync(published).equals(payload);
        checks.push({ item: 'croissant.json', ok: same, detail: same ? 'identical to the signed payload' : 'differs from the signed payload' });
      }
      const files = (manifest.distribution as Array<Record<string, unknown>> | undefined) ?? [];
      for (const file of files.filter((f) => typeof f.sha256 === 'string')) {
        const name = String(file.name);
        const path = join(folder, name);
        if (!existsSync(path)) {
          checks.push({ item: name, ok: false, detail: 'missing' });
          continue;
        }
        const digest = await sha256File(path);
        const ok = digest === file.sha256;
        checks.push({ item: name, ok, detail: ok ? 'sha256 matches' : `sha256 is ${digest}, manifest says ${String(file.sha256)}` });
      }
      const ok = checks.every((c) => c.ok);
      if (options.json) printJson({ ok, checks });
      else printTable(['item', 'ok', 'detail'], checks.map((c) => [c.item, c.ok ? 'yes' : 'NO', c.detail]));
      if (!ok) process.exitCode = 1;
    });
}
