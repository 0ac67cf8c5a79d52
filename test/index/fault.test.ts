import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPES } from '../../pipelines/federation/statements.js';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { openCheckpoint } from '../../pipelines/transparency/checkpoint.js';
import { hashLeaf } from '../../pipelines/transparency/hashing.js';
import { parseVerifierKey } from '../../pipelines/transparency/signed-note.js';
import { verifyConsistency, verifyInclusion } from '../../pipelines/transparency/verify.js';
import { sha256Hex } from '../../server/index/domain/envelope.js';
import { runCli } from '../helpers/cli.js';
import { apiClient, startTestNode, type TestNode } from '../helpers/node.js';
import { postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { craftedManifest, exited, payloadOf, registration, signerOf, startIndexProcess, statement, type IndexProcess, type Signer } from './helpers.js';

const crashHook = join(fileURLToPath(import.meta.url), '../crash-at-commit.ts');
const pgCrashHook = join(fileURLToPath(import.meta.url), '../crash-at-pg-commit.ts');
const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

interface Push {
  path: '/manifests' | '/notices';
  envelope: DsseEnvelope;
  /** How the feed names it once taken. */
  key: string;
}

/** Every event of the feed, page by page. */
async function readFeed(url: string): Promise<Array<{ index: number; event: Record<string, unknown> }>> {
  const api = apiClient(url + '/api/v1');
  const events: Array<{ index: number; event: Record<string, unknown> }> = [];
  for (let cursor = 0; ; ) {
    const page = (await api.get(`/feed?cursor=${cursor}&limit=50`)).body;
    if (page.events.length === 0) return events;
    events.push(...page.events);
    cursor = page.next;
  }
}

const feedKey = (event: Record<string, unknown>): string =>
  event.type === 'manifest.published' ? `manifest ${event.manifestSha256}` : event.type === 'withdrawal' ? `notice ${event.notice}` : String(event.type);

/** How an index process keeps its state, and the hook that kills it as its Nth intake commits. */
interface Store {
  name: string;
  hook: string;
  /** `index start` arguments, made once per test file. */
  args(): Promise<string[]>;
}

const stores: Array<Store & { skip?: string }> = [
  { name: 'SQLite', hook: crashHook, args: async () => [] },
  {
    name: 'PostgreSQL',
    hook: pgCrashHook,
    skip: postgresSkipReason(),
    args: async () => ['--database', await (await postgresServer()).createDatabase()],
  },
];

describe.each(stores)('an index on $name killed with SIGKILL mid-intake loses nothing it acknowledged', (store) => {
  let t: TestNode;
  let signer: Signer;
  let dir: string;
  let args: string[];
  let running: IndexProcess | undefined;

  beforeAll(async () => {
    if (store.skip) return console.log(`Skipping the ${store.name} crash: ${store.skip}`);
    t = await startTestNode();
    signer = signerOf(t);
    dir = mkdtempSync(join(tmpdir(), 'tributary-index-fault-'));
    args = await store.args();
    const init = runCli(['index', 'init', '--dir', dir, '--name', 'Fault index', '--url', 'http://127.0.0.1:8090', '--json']);
    expect(init.status, init.stderr).toBe(0);
  });
  afterAll(async () => {
    running?.child.kill('SIGKILL');
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(store.skip !== undefined)('acknowledged manifests and notices are in the feed after a restart, and the log verifies from checkpoint to checkpoint', async () => {
    // Commits: 1 registration, 2 and 3 the manifests the notices name, then the burst; the
    // index dies as it is about to commit the burst's sixth.
    const crashAt = 3 + 6;
    running = await startIndexProcess(dir, { args, preload: [store.hook], env: { TRIBUTARY_TEST_CRASH_AT_COMMIT: String(crashAt) } });
    const first = running;
    const api = apiClient(first.url + '/api/v1');
    expect((await api.post('/nodes', registration(signer))).status).toBe(200);
    const named = [1, 2].map((n) => craftedManifest(signer, (r) => (r.datasetId = `named-${n}`)));
    for (const { envelope } of named) expect((await api.post('/manifests', envelope)).status).toBe(200);
    const wellKnown = (await (await fetch(`${first.url}/.well-known/tributary-index.json`)).json()) as { logKey: string; origin: string };
    const verifier = { ...parseVerifierKey(wellKnown.logKey), origin: wellKnown.origin };
    const before = openCheckpoint(await (await fetch(`${first.url}/api/v1/log/checkpoint`)).text(), verifier);
    expect(before.size).toBe(3);

    const pushes: Push[] = [];
    for (let n = 0; n < 16; n++) {
      const { envelope } = craftedManifest(signer, (r) => (r.datasetId = `burst-${n}`));
      pushes.push({ path: '/manifests', envelope, key: `manifest ${sha256Hex(b64(envelope.payload))}` });
    }
    for (let n = 0; n < 8; n++) {
      const target = payloadOf(named[n % 2]!.envelope);
      const shard = (target.distribution as Array<{ name: string; sha256?: string }>).find((d) => d.sha256)!;
      const id = randomBytes(16).toString('hex');
      const envelope = statement(signer, PAYLOAD_TYPES.withdrawal, {
        type: 'tributary:withdrawal-notice/1',
        id,
        dataset: target['tributary:datasetId'],
        release: { version: target.version },
        records: [`01JRECORD${String(n).padStart(17, '0')}`],
        shards: [{ name: shard.name, sha256: shard.sha256 }],
        reason: 'consent-withdrawn',
        issued: new Date().toISOString().slice(0, 10),
      });
      pushes.push({ path: '/notices', envelope, key: `notice ${id}` });
    }

    // All at once, as several nodes' outboxes would; the answers that arrive are acknowledgements.
    const answers = await Promise.all(
      pushes.map((push) =>
        fetch(`${first.url}/api/v1${push.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push.envelope) })
          .then((response) => response.status)
          .catch(() => null),
      ),
    );
    expect(await exited(first.child)).toBe('SIGKILL');
    const acknowledged = pushes.filter((_, i) => answers[i] === 200);
    expect(answers.every((status) => status === 200 || status === null), JSON.stringify(answers)).toBe(true);
    expect(acknowledged.length).toBeLessThanOrEqual(5);

    running = await startIndexProcess(dir, { args });
    const second = running;
    const events = await readFeed(second.url);
    // The five burst transactions that committed, and not the one the crash cut short.
    expect(events.map((e) => e.index)).toEqual(Array.from({ length: crashAt - 1 }, (_, i) => i));
    const logged = new Set(events.map((e) => feedKey(e.event)));
    for (const push of acknowledged) expect(logged.has(push.key), push.key).toBe(true);

    const after = openCheckpoint(await (await fetch(`${second.url}/api/v1/log/checkpoint`)).text(), verifier);
    expect(after.size).toBe(events.length);
    const link = (await apiClient(second.url + '/api/v1').get(`/log/consistency?from=${before.size}&to=${after.size}`)).body.proof.map(b64);
    expect(verifyConsistency(before.size, after.size, before.rootHash, after.rootHash, link)).toEqual({ ok: true });
    for (const { index, event } of events) {
      const proof = (await apiClient(second.url + '/api/v1').get(`/log/inclusion?index=${index}&size=${after.size}`)).body.proof.map(b64);
      expect(verifyInclusion(hashLeaf(Buffer.from(canonicalJson(event))), index, after.size, proof, after.rootHash)).toEqual({ ok: true });
    }

    // The nodes' outboxes send again whatever was not acknowledged (and some that was): each is
    // taken once.
    const retried = await Promise.all(pushes.map((push) => apiClient(second.url + '/api/v1').post(push.path, push.envelope)));
    expect(retried.map((r) => r.status)).toEqual(pushes.map(() => 200));
    const final = await readFeed(second.url);
    expect(final).toHaveLength(3 + pushes.length);
    expect(new Set(final.map((e) => feedKey(e.event))).size).toBe(final.length);
    const end = openCheckpoint(await (await fetch(`${second.url}/api/v1/log/checkpoint`)).text(), verifier);
    const extension = (await apiClient(second.url + '/api/v1').get(`/log/consistency?from=${after.size}&to=${end.size}`)).body.proof.map(b64);
    expect(verifyConsistency(after.size, end.size, after.rootHash, end.rootHash, extension)).toEqual({ ok: true });

    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(null);
    running = undefined;
  }, 120_000);
});
