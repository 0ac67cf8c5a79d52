/**
 * A large community's node (issue 12): `samples` text samples from `contributors` volunteers with
 * `votes` votes, generated straight into the node's SQLite file (the node's own schema, written
 * by its migrations), then served by `tributary node start` as operators run it. Measured over
 * HTTP, each beside the same request on a node of the same shape with a thousandth of the rows
 * (the baseline: what does not grow with the tables stays level):
 * - GET /samples/to-validate p50/p95 (a validator's next samples; goal p95 ≤ 20 ms);
 * - GET /stats p50/p95 (goal p95 ≤ 20 ms);
 * - GET /prompts (a speaker's next sentences) and GET /prompts/to-review p50/p95;
 * - DELETE /me of a volunteer holding 1,000 samples (erasure), in ms;
 * - POST /samples/text sustained throughput against a bare Express echo (text.ts), as a ratio;
 * - a text release build of every sample (each made a validated Swahili one first: 1,000,000
 *   records), in its own process: time and peak RSS (goal ≤ 300 MB).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import { initNode } from '../../server/node/init.js';
import { apiClient, joinWithConsent, type Volunteer } from '../helpers/node.js';
import { startServer, type ServerProcess } from './servers.js';
import { benchTextIntake } from './text.js';

export interface LargeNodeOptions {
  samples: number;
  contributors: number;
  votes: number;
  /** Sentences to read (a tenth pending review), each recorded once on average: as many speech samples again. */
  prompts: number;
}

const percentile = (times: number[], q: number) => [...times].sort((a, b) => a - b)[Math.min(times.length - 1, Math.floor(q * times.length))]!;
const ms = (value: number) => Math.round(value * 100) / 100;
const WORDS = 'habari asubuhi jioni mji soko maji shule kitabu mwalimu mtoto nyumba barabara mvua jua upepo chakula'.split(' ');

/** Rows a node of this size holds, written in batches of one transaction each. */
export function generate(dbFile: string, options: LargeNodeOptions, notice: { id: string; sha256: string }, onProgress: (what: string) => void): void {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const now = new Date().toISOString();
  const contributor = db.prepare("INSERT INTO contributors (id, pseudonym, role, created_at) VALUES (?, ?, 'volunteer', ?)");
  const record = db.prepare(
    `INSERT INTO consent_records (id, contributor_id, notice_id, notice_sha256, purposes, lawful_basis, jurisdiction, license, given_at)
     VALUES (?, ?, ?, ?, '["train-asr","train-tts","train-lm","evaluate"]', 'dpv:Consent', 'KE', 'CC-BY-4.0', ?)`,
  );
  const given = db.prepare("INSERT INTO consent_events (record_id, type, at) VALUES (?, 'given', ?)");
  const sample = db.prepare(
    `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, text, text_key, license, status, created_at, decided_at)
     VALUES (?, ?, ?, 'text', ?, ?, ?, ?, 'CC-BY-4.0', ?, ?, ?)`,
  );
  const vote = db.prepare('INSERT OR IGNORE INTO votes (sample_id, contributor_id, value, created_at) VALUES (?, ?, ?, ?)');

  const people: Array<{ id: string; record: string }> = [];
  db.transaction(() => {
    for (let c = 0; c < options.contributors; c++) {
      const person = { id: ulid(), record: ulid() };
      contributor.run(person.id, `Volunteer ${c}`, now);
      record.run(person.record, person.id, notice.id, notice.sha256, now);
      given.run(person.record, now);
      people.push(person);
    }
  })();
  onProgress(`${options.contributors} contributors`);

  // Statuses as a busy node has them: most decided, a quarter waiting for votes.
  const statusOf = (i: number) => (i % 20 < 12 ? 'validated' : i % 20 < 17 ? 'pending' : i % 20 < 19 ? 'rejected' : 'withdrawn');
  const ids: string[] = [];
  const BATCH = 50_000;
  for (let from = 0; from < options.samples; from += BATCH) {
    db.transaction(() => {
      for (let i = from; i < Math.min(options.samples, from + BATCH); i++) {
        const person = people[(i * 7919) % people.length]!;
        const status = statusOf(i);
        const language = i % 10 < 8 ? 'sw' : 'yo';
        const text = status === 'withdrawn' ? null : `${WORDS[i % WORDS.length]} ${WORDS[(i >> 4) % WORDS.length]} namba ${i}`;
        const id = ulid();
        sample.run(id, person.id, person.record, language, language === 'sw' ? 'swh' : 'yor', text, text && `${language}:${i}`, status, now, status === 'pending' ? null : now);
        ids.push(id);
      }
    })();
  }
  onProgress(`${options.samples} samples`);

  const values = ['up', 'up', 'up', 'down', 'skip'];
  for (let from = 0; from < options.votes; from += BATCH) {
    db.transaction(() => {
      for (let v = from; v < Math.min(options.votes, from + BATCH); v++) {
        const i = (v * 2654435761) % ids.length;
        vote.run(ids[i]!, people[(v * 40503 + i) % people.length]!.id, values[v % values.length]!, now);
      }
    })();
  }
  onProgress(`${options.votes} votes`);

  // Sentences to read, and speech samples recording them: a few prompts read often, most once or never.
  const prompt = db.prepare(
    `INSERT INTO prompts (id, language, text, text_key, license, status, created_at, shuffle) VALUES (?, ?, ?, ?, 'CC0-1.0', ?, ?, random())`,
  );
  const recording = db.prepare(
    `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, prompt_id, license, status, created_at, decided_at)
     VALUES (?, ?, ?, 'speech', ?, ?, ?, 'CC-BY-4.0', ?, ?, ?)`,
  );
  const prompts: Array<{ id: string; language: string }> = [];
  db.transaction(() => {
    for (let p = 0; p < options.prompts; p++) {
      const language = p % 10 < 8 ? 'sw' : 'yo';
      const id = ulid();
      prompt.run(id, language, `${WORDS[p % WORDS.length]} ${WORDS[(p >> 4) % WORDS.length]} sentensi ${p}`, `${language}:prompt-${p}`, p % 10 === 9 ? 'pending' : 'accepted', now);
      if (p % 10 !== 9) prompts.push({ id, language });
    }
  })();
  for (let from = 0; from < options.prompts; from += BATCH) {
    db.transaction(() => {
      for (let r = from; r < Math.min(options.prompts, from + BATCH); r++) {
        const read = prompts[Math.floor(prompts.length * (r / options.prompts) ** 2)]!;
        const person = people[(r * 104729) % people.length]!;
        const status = r % 3 === 0 ? 'pending' : 'validated';
        recording.run(ulid(), person.id, person.record, read.language, read.language === 'sw' ? 'swh' : 'yor', read.id, status, now, status === 'pending' ? null : now);
      }
    })();
  }
  onProgress(`${options.prompts} prompts and their recordings`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
}

async function timed(count: number, request: (i: number) => Promise<Response>): Promise<{ p50Ms: number; p95Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await request(i);
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`${answer.url}: ${answer.status}`);
    times.push(performance.now() - started);
  }
  return { p50Ms: ms(percentile(times, 0.5)), p95Ms: ms(percentile(times, 0.95)) };
}

/** One node of this shape, served, measured, stopped. */
async function measureNode(root: string, options: LargeNodeOptions, log: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-large-node-'));
  // A public URL, as a node that publishes releases has.
  initNode(dir, { name: 'Large node', url: 'https://large.example.org', languages: ['sw', 'yo'], limits: { ratePerAddress: 100_000_000, ratePerToken: 100_000_000 } });
  let node: ServerProcess | undefined;
  try {
    // The node records its consent notice as it starts; the generated consent records name it.
    node = await startServer([join(root, 'bin/tributary.js'), 'node', 'start', '--dir', dir, '--port', '0'], root);
    const noticeDoc = (await apiClient(node.url + '/api/v1').get('/consent/notice?lang=en')).body as { id: string; sha256: string };
    await node.stop();
    node = undefined;
    const started = performance.now();
    generate(join(dir, 'node.sqlite'), options, noticeDoc, (what) => log(`  generated ${what} (${((performance.now() - started) / 1000).toFixed(0)} s)`));
    const generateSeconds = Math.round((performance.now() - started) / 100) / 10;

    node = await startServer([join(root, 'bin/tributary.js'), 'node', 'start', '--dir', dir, '--port', '0'], root);
    const api = apiClient(node.url + '/api/v1');
    const validators: Volunteer[] = [];
    for (let v = 0; v < 5; v++) validators.push(await joinWithConsent(api));
    const headers = (token: string) => ({ authorization: `Bearer ${token}` });
    const queue = await timed(200, (i) => fetch(`${node!.url}/api/v1/samples/to-validate?lang=${i % 4 ? 'sw' : 'yo'}&modality=text`, { headers: headers(validators[i % 5]!.token) }));
    const stats = await timed(100, () => fetch(`${node!.url}/api/v1/stats`));
    const promptsToRead = await timed(200, (i) => fetch(`${node!.url}/api/v1/prompts?lang=${i % 4 ? 'sw' : 'yo'}&limit=5`, { headers: headers(validators[i % 5]!.token) }));
    const promptReview = await timed(100, (i) => fetch(`${node!.url}/api/v1/prompts/to-review?lang=sw&limit=5`, { headers: headers(validators[i % 5]!.token) }));

    // Erasure of a volunteer who holds 1,000 samples (written beside the running node, as its own writes would be).
    const leaving = await joinWithConsent(api);
    const db = new Database(join(dir, 'node.sqlite'));
    const now = new Date().toISOString();
    const insert = db.prepare(
      `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, text, text_key, license, status, created_at)
       VALUES (?, ?, ?, 'text', 'sw', 'swh', ?, ?, 'CC-BY-4.0', 'pending', ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 1000; i++) insert.run(ulid(), leaving.id, leaving.consentRecordId, `maneno ya kufuta ${i}`, `sw:erase-${randomBytes(6).toString('hex')}`, now);
    })();
    db.close();
    const erasing = performance.now();
    const erased = await fetch(`${node.url}/api/v1/me`, { method: 'DELETE', headers: headers(leaving.token) });
    await erased.arrayBuffer();
    if (erased.status >= 300) throw new Error(`DELETE /me: ${erased.status}`);
    const eraseMs = ms(performance.now() - erasing);
    await node.stop();
    node = undefined;

    log('  text intake against the echo…');
    const intake = await benchTextIntake(root, { dir, seconds: 5, rounds: 2, connections: [16, 64] });
    log('  release build…');
    const release = buildTextRelease(root, dir, options.samples);
    return {
      ...options,
      generateSeconds,
      queue,
      stats,
      promptsToRead,
      promptReview,
      eraseMs,
      textIntake: { ratio: intake.ratio, requestsPerSecond: intake.intake.requestsPerSecond, echoRequestsPerSecond: intake.baseline.requestsPerSecond },
      release,
    };
  } finally {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every generated sample made a validated Swahili text (the node's other rows as they are), then
 * one text release built in a process of its own (build-release.js): its records, time and peak RSS.
 */
function buildTextRelease(root: string, dir: string, samples: number) {
  const db = new Database(join(dir, 'node.sqlite'));
  db.exec(`UPDATE samples SET status = 'validated', language = 'sw', iso639_3 = 'swh', decided_at = coalesce(decided_at, created_at),
             text = coalesce(text, 'maneno ' || rowid), text_key = 'sw:release-' || rowid
           WHERE modality = 'text'`);
  db.close();
  const built = JSON.parse(execFileSync(process.execPath, [join(root, 'test/bench/build-release.js'), dir, 'sw', 'text'], { cwd: root, maxBuffer: 1 << 20 }).toString()) as {
    seconds: number;
    records: number;
    shards: number;
    shardBytes: number;
    peakRssMB: number;
  };
  if (built.records < samples) throw new Error(`the release took ${built.records} of ${samples} records`);
  return { records: built.records, seconds: Math.round(built.seconds * 10) / 10, recordsPerSecond: Math.round(built.records / built.seconds), shards: built.shards, shardMB: Math.round(built.shardBytes / 1e5) / 10, peakRssMB: Math.round(built.peakRssMB) };
}

export async function benchLargeNode(root: string, options: LargeNodeOptions, log: (line: string) => void = console.log) {
  const small = {
    samples: Math.ceil(options.samples / 1000),
    contributors: Math.ceil(options.contributors / 1000),
    votes: Math.ceil(options.votes / 1000),
    prompts: Math.ceil(options.prompts / 1000),
  };
  log(`large node: baseline of ${small.samples} samples…`);
  const baseline = await measureNode(root, small, log);
  log(`large node: ${options.samples} samples, ${options.contributors} contributors, ${options.votes} votes, ${options.prompts} prompts…`);
  const large = await measureNode(root, options, log);
  return { ...large, baseline, goal: 'queue, stats and prompts p95 <= 20 ms; text intake ratio within 10% of the baseline node; release build peak RSS <= 300 MB' };
}
