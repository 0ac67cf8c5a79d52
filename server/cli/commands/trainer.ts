import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, TributaryError } from '../../core/errors.js';
import { readEnv } from '../../core/env.js';
import { parse } from '../../core/http.js';
import { searchQuery } from '../../index/routes/catalogue.schema.js';
import { IndexClient, type SearchFilters, type SearchManifest } from '../../trainer/index-client.js';
import { downloadProgressBar } from '../../trainer/progress-bar.js';
import { pull, type PullReport } from '../../trainer/pull.js';
import { loadTrainerConfig, trainerConfigPath } from '../../trainer/trainer-config.js';
import { verifyFolder, type VerifyReport } from '../../trainer/verify-folder.js';
import { printJson, printTable } from '../output.js';

/**
 * The trainer's commands: `search`, `pull`, `verify` (server/trainer/README.md). Exit codes, for
 * scripts:
 * - 0: done (search, pull); the folder is current and nothing changed (verify)
 * - 1: a refusal or error, one line on stderr (bad flags, index unreachable, …)
 * - 2: verify applied changes (records dropped, sources removed); the folder is now current
 * - 3: the index cannot be trusted: its log does not extend what the folder saw (LogInconsistent),
 *      another log key (LogKeyChanged), a proof, signature or node key that fails, an answer that
 *      is not what its API promises; verify changes nothing; pull writes only the datasets that
 *      verified and lists the others with their codes
 * - 4: pull finished, but some datasets failed (listed); running it again resumes them
 */
export const EXIT_CHANGES_APPLIED = 2;
export const EXIT_INDEX_UNTRUSTED = 3;
export const EXIT_SOME_FAILED = 4;

const UNTRUSTED = new Set(['LogInconsistent', 'LogKeyChanged', 'LogProofFailed', 'EnvelopeUntrusted', 'NodeKeysInvalid', 'IndexAnswerInvalid']);

function count(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${flag} ${value} is not a number ≥ 0`);
    return n;
  };
}

/** A size as people write it: `500M`, `10G`, `1.5T`, `0` (decimal units: 1G is 10⁹ bytes). */
function size(flag: string) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(value.trim());
    if (!match) throw new ConfigError(`${flag} ${value} is not a size such as 500M or 10G`);
    const unit = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
    return Math.round(Number(match[1]) * unit);
  };
}

/** The search filters every trainer command takes, with the index's query names. */
function withFilters(command: Command): Command {
  return command
    .option('--lang <range>', 'language, an RFC 4647 range: sw finds sw-KE (comma-separated for several)')
    .option('--modality <modality>', 'text or speech')
    .option('--license <spdx>', 'SPDX licence id(s), comma-separated')
    .option('--access <class>', 'open, gated or on-request (comma-separated)')
    .option('--min-hours <hours>', 'at least this many hours of speech', count('--min-hours'))
    .option('--min-records <n>', 'at least this many records', count('--min-records'))
    .option('--node <did>', 'only this node')
    .option('--q <text>', 'free text over names and descriptions');
}

/** The filters the index takes, checked by the index's own query schema before anything is asked. */
const filterSchema = searchQuery.omit({ cursor: true, limit: true });

function filtersOf(options: Record<string, unknown>): SearchFilters {
  if (options.modality !== undefined && options.modality !== 'text' && options.modality !== 'speech') {
    throw new ConfigError(`--modality ${String(options.modality)} is not text or speech`);
  }
  const { lang, modality, license, access, minHours, minRecords, node, q } = options;
  return parse(filterSchema, { lang, modality, license, access, minHours, minRecords, node, q });
}

const hours = (value: number | null) => (value === null ? '—' : value.toFixed(2));
const freshness = (node: { stale: boolean }) => (node.stale ? 'stale' : 'fresh');

function searchRow(item: SearchManifest): Array<string | number> {
  return [
    `${item.dataset} ${item.version}`,
    item.node.name,
    item.language.tag ?? '—',
    item.modality,
    item.records,
    hours(item.hours),
    item.license,
    item.accessClass,
    item.permits.join(', ') || '—',
    freshness(item.node),
  ];
}

/** Errors that mean "the index cannot be trusted" get their own exit code; the rest are thrown to main's one line. */
function failUntrusted(error: unknown, json: boolean): void {
  if (error instanceof TributaryError && UNTRUSTED.has(error.code)) {
    if (json) printJson({ error: { code: error.code, message: error.message } });
    else console.error(`tributary: ${error.code}: ${error.message}`);
    process.exitCode = EXIT_INDEX_UNTRUSTED;
    return;
  }
  throw error;
}

export function registerTrainerCommands(program: Command): void {
  withFilters(
    program
      .command('search')
      .description('search an index for datasets (metadata only; nothing is downloaded)')
      .requiredOption('--index <url>', 'the index, e.g. https://index.example.org'),
  )
    .option('--permits <action>', 'only datasets whose terms permit this: train, evaluate, commercial-model, redistribute, or a purpose such as train-asr')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const client = new IndexClient(options.index);
      const { manifests, totals } = await client.searchAll({ ...filtersOf(options), permits: options.permits });
      if (options.json) return printJson({ index: client.url, manifests, totals });
      if (manifests.length === 0) {
        console.log('No dataset matches.');
        return;
      }
      printTable(['dataset', 'node', 'language', 'modality', 'records', 'hours', 'licence', 'access', 'permits', 'node status'], manifests.map(searchRow));
      console.log(
        `${totals.datasets} dataset(s) from ${totals.nodes} node(s): ${totals.records} records, ${totals.hours.toFixed(2)} hours, ${totals.speakers} speakers.`,
      );
      console.log(`Pull them: tributary pull --index ${client.url} --out DIR${cliFilters(options)}`);
    });

  withFilters(
    program
      .command('pull')
      .description('download datasets from their nodes into one folder, each verified (signature, log inclusion, sha256)')
      .requiredOption('--index <url>', 'the index, e.g. https://index.example.org')
      .requiredOption('--out <dir>', 'the folder to write (created, or updated when it exists)'),
  )
    .option('--permits <action>', 'skip datasets whose terms do not permit this (train, commercial-model, train-asr, …)')
    .option('--name <name>', 'who asks for access to gated datasets (else from the trainer config)')
    .option('--contact <contact>', 'how the node can reach you (else from the trainer config)')
    .option('--purpose <purpose>', 'what the data is for (else from the trainer config)')
    .option('--config <file>', 'trainer config file (default: $TRIBUTARY_TRAINER_CONFIG, else ~/.config/tributary/trainer.json)')
    .option('--concurrency <n>', 'shards downloaded at once (default 4)', (v) => Number.parseInt(v, 10))
    .option('--progress <mode>', 'bar (on a terminal), json (one JSON line per update on stderr) or none', 'bar')
    .option('--keep-free <size>', 'disk space to leave free where the folder is, e.g. 20G (default 250M); refused before downloading otherwise', size('--keep-free'))
    .option('--json', 'print JSON')
    .action(async (options) => {
      const env = readEnv();
      const config = loadTrainerConfig(options.config ?? trainerConfigPath(env), options.config !== undefined);
      if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > 64)) {
        throw new ConfigError('--concurrency must be a whole number from 1 to 64');
      }
      if (!['bar', 'json', 'none'].includes(options.progress)) throw new ConfigError(`--progress ${options.progress} is not bar, json or none`);
      const bar = downloadProgressBar({ json: options.json || options.progress !== 'bar' });
      const onProgress =
        options.progress === 'json'
          ? (progress: object) => process.stderr.write(`${JSON.stringify({ type: 'progress', ...progress })}\n`)
          : bar.update;
      let report: PullReport;
      try {
        report = await pull({
          index: options.index,
          out: resolve(options.out),
          filters: filtersOf(options),
          permits: options.permits,
          requester: { name: options.name ?? config.name, contact: options.contact ?? config.contact, purpose: options.purpose ?? config.purpose },
          concurrency: options.concurrency,
          keepFreeBytes: options.keepFree,
          onProgress,
        });
      } catch (error) {
        return failUntrusted(error, options.json);
      } finally {
        bar.stop();
      }
      // A dataset whose log entry, envelope or node keys did not verify means the index cannot be trusted: 3, not 4.
      if (report.datasets.some((row) => row.outcome === 'failed')) process.exitCode = EXIT_SOME_FAILED;
      if (report.datasets.some((row) => row.outcome === 'failed' && row.code !== null && UNTRUSTED.has(row.code))) process.exitCode = EXIT_INDEX_UNTRUSTED;
      if (options.json) return printJson(report);
      printPull(report);
    });

  program
    .command('verify')
    .description('bring a pulled folder up to date: check the index’s log, apply withdrawals and retractions')
    .argument('<dir>', 'the folder tributary pull wrote')
    .requiredOption('--index <url>', 'the index the folder was pulled from')
    .option('--json', 'print JSON')
    .action(async (dir: string, options) => {
      let report: VerifyReport;
      try {
        report = await verifyFolder({ dir: resolve(dir), index: options.index });
      } catch (error) {
        return failUntrusted(error, options.json);
      }
      if (report.changed) process.exitCode = EXIT_CHANGES_APPLIED;
      if (options.json) return printJson(report);
      printVerify(report);
    });
}

function cliFilters(options: Record<string, unknown>): string {
  const flags: Array<[string, string]> = [
    ['lang', '--lang'],
    ['modality', '--modality'],
    ['license', '--license'],
    ['access', '--access'],
    ['minHours', '--min-hours'],
    ['minRecords', '--min-records'],
    ['node', '--node'],
    ['permits', '--permits'],
  ];
  return flags
    .filter(([key]) => options[key] !== undefined)
    .map(([key, flag]) => ` ${flag} ${String(options[key])}`)
    .join('');
}

function printPull(report: PullReport): void {
  if (report.datasets.length === 0) console.log('No dataset matches.');
  else {
    printTable(
      ['dataset', 'node', 'language', 'modality', 'records', 'hours', 'licence', 'access', 'permits', 'node status', 'outcome'],
      report.datasets.map((row) => [
        `${row.dataset} ${row.version}`,
        row.node.name,
        row.language ?? '—',
        row.modality,
        row.records,
        hours(row.hours),
        row.license,
        row.accessClass,
        row.permits.join(', ') || '—',
        freshness(row.node),
        row.outcome + (row.resumedBytes > 0 ? ` (resumed at ${(row.resumedBytes / 1e6).toFixed(1)} MB)` : ''),
      ]),
    );
  }
  for (const row of report.datasets.filter((r) => r.reason)) console.log(`${row.outcome}: ${row.dataset} (${row.node.name}): ${row.reason}`);
  for (const id of report.kept) console.log(`kept: ${id} (in the folder, not in this search)`);
  console.log(
    `${report.sources} source(s) in ${report.out}; log checkpoint ${report.index.checkpoint.size}, feed cursor ${report.index.feedCursor}.` +
      `\nKeep it current: tributary verify ${report.out} --index ${report.index.url}`,
  );
}

function printVerify(report: VerifyReport): void {
  if (report.recovered) console.log(`Finished a change a killed run had left half done in ${report.dir}.`);
  if (report.changes.length === 0) {
    console.log(`${report.dir} is current: ${report.eventsRead} feed event(s) read, nothing concerns its ${report.sources} source(s).`);
  } else {
    printTable(
      ['log entry', 'change', 'source', 'records', 'applied', 'detail'],
      report.changes.map((change) => [change.logIndex, change.kind, change.source ?? change.node, change.records, change.applied ? 'yes' : 'reported', change.detail]),
    );
  }
  console.log(`Log ${report.log.from} → ${report.log.to} entries, consistent; feed read from ${report.log.cursorFrom} to ${report.log.cursorTo}.`);
}
