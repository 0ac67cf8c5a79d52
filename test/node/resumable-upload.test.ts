import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { killHard, runCli, startNodeProcess, type NodeProcess } from '../helpers/cli.js';
import { runTusClient as runClient } from '../helpers/tus-client.js';
import { apiClient, joinWithConsent, type Volunteer } from '../helpers/node.js';

const fixtures = audioFixtures();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** One tus upload from this process, without retries; resolves with the node's last answer. */
function uploadHere(endpoint: string, bytes: Buffer, token: string, promptId: string, chunkSize: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const upload = new Upload(bytes, {
      endpoint,
      chunkSize,
      retryDelays: [],
      headers: { authorization: `Bearer ${token}` },
      metadata: { promptId, filetype: 'audio/webm' },
      onSuccess: ({ lastResponse }) => resolve({ status: lastResponse.getStatus(), body: lastResponse.getBody() }),
      onError: (error) => {
        const response = (error as { originalResponse?: { getStatus(): number; getBody(): string } }).originalResponse;
        resolve({ status: response?.getStatus() ?? 0, body: response?.getBody() ?? error.message });
      },
    });
    upload.start();
  });
}

describe('resumable uploads over a flaky link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-tus-'));
  let node: NodeProcess;
  let speaker: Volunteer;
  let promptId: string;
  const file = fixtures.files['speech-5s.webm'];
  const source = readFileSync(file);

  beforeAll(async () => {
    expect(runCli(['node', 'init', '--dir', dir, '--name', 'Upload test', '--languages', 'sw']).status).toBe(0);
    const prompts = join(dir, 'prompts.txt');
    writeFileSync(prompts, sentences['speech-5s.webm'] + '\n');
    expect(runCli(['prompts', 'import', prompts, '--lang', 'sw', '--dir', dir]).status).toBe(0);
    node = await startNodeProcess(dir);
    const api = apiClient(node.url + '/api/v1');
    speaker = await joinWithConsent(api);
    promptId = (await api.get('/prompts?lang=sw', speaker.token)).body.prompts[0].id;
  });
  afterAll(async () => {
    if (node) await killHard(node.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes after the client is killed and after the node restarts, and stores the exact bytes', async () => {
    const chunk = Math.ceil(source.length / 12);
    /** The offset the node holds for the upload, as a resuming client asks for it. */
    const offset = async (url: string) => {
      const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${speaker.token}`, 'tus-resumable': '1.0.0' } });
      expect(head.status).toBe(200);
      return Number(head.headers.get('upload-offset'));
    };
    const oneThird = Math.ceil(source.length / 3);
    const twoThirds = Math.ceil((source.length * 2) / 3);
    // A client told to die after `bytes` does so once the node acknowledges the chunk reaching them.
    const acknowledgedAfter = (bytes: number) => Math.ceil(bytes / chunk) * chunk;

    // 1. The phone starts uploading and dies once a third of the file is stored.
    const first = await runClient([`--die-after=${oneThird}`, `${node.url}/api/v1/uploads`, file, speaker.token, promptId, String(chunk), '0']);
    const died = first.events.find((e) => e.event === 'dying');
    expect(died, JSON.stringify(first.events.slice(-3))).toBeDefined();
    expect(first.events.some((e) => e.event === 'success')).toBe(false);
    const url = died!.url!;
    expect(url).toMatch(/\/api\/v1\/uploads\/\w+/);
    expect(await offset(url)).toBe(acknowledgedAfter(oneThird));

    // 2. A new client process resumes from the offset the node kept, and dies again at two thirds.
    const second = await runClient([`--die-after=${twoThirds}`, `${node.url}/api/v1/uploads`, file, speaker.token, promptId, String(chunk), '0', url]);
    expect(second.events.find((e) => e.event === 'progress')!.sent!).toBeGreaterThanOrEqual(acknowledgedAfter(oneThird));
    expect(second.events.find((e) => e.event === 'dying')?.accepted).toBe(acknowledgedAfter(twoThirds));
    expect(await offset(url)).toBe(acknowledgedAfter(twoThirds));

    // 3. The node itself is killed and restarted (on a new port) between two chunks; it kept the
    // offset, and a third client finishes from there.
    await killHard(node.child);
    node = await startNodeProcess(dir);
    const resumeAt = node.url + new URL(url).pathname;
    expect(await offset(resumeAt)).toBe(acknowledgedAfter(twoThirds));
    const third = await runClient([`${node.url}/api/v1/uploads`, file, speaker.token, promptId, String(chunk), '0', resumeAt]);
    const done = third.events.find((e) => e.event === 'success');
    expect(done, JSON.stringify(third.events.slice(-3))).toBeDefined();
    expect(third.events.find((e) => e.event === 'progress')!.sent!).toBeGreaterThan(source.length / 2);
    expect(done!.status).toBe(201);
    const sample = JSON.parse(done!.body!);
    expect(sample).toMatchObject({ modality: 'speech', text: sentences['speech-5s.webm'], status: 'pending' });

    const api = apiClient(node.url + '/api/v1');
    const exported = await api.get('/me/export', speaker.token);
    const stored = exported.body.samples.find((s: { id: string }) => s.id === sample.id);
    expect(stored.audio.sha256).toBe(sha256(source));
    expect(sha256(readFileSync(join(dir, 'blobs', stored.audio.originalKey)))).toBe(sha256(source));
  });

  it('refuses an upload over the size limit before storing a byte, and others’ uploads are invisible', async () => {
    const big = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${speaker.token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(11 * 1024 * 1024),
        'upload-metadata': `promptId ${Buffer.from(promptId).toString('base64')}`,
      },
    });
    expect(big.status).toBe(413);

    const noToken = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '1000' },
    });
    expect(noToken.status).toBe(401);
    expect(JSON.parse(await noToken.text()).error.code).toBe('Unauthenticated');

    const created = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${speaker.token}`,
        'tus-resumable': '1.0.0',
        'upload-length': '1000',
        'upload-metadata': `promptId ${Buffer.from(promptId).toString('base64')}`,
      },
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const api = apiClient(node.url + '/api/v1');
    const stranger = await joinWithConsent(api);
    const head = await fetch(new URL(location, node.url), { method: 'HEAD', headers: { authorization: `Bearer ${stranger.token}`, 'tus-resumable': '1.0.0' } });
    expect(head.status).toBe(404);
    const mine = await fetch(new URL(location, node.url), { method: 'HEAD', headers: { authorization: `Bearer ${speaker.token}`, 'tus-resumable': '1.0.0' } });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('upload-offset')).toBe('0');

    const noPrompt = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${speaker.token}`, 'tus-resumable': '1.0.0', 'upload-length': '1000' },
    });
    expect(noPrompt.status).toBe(400);
  });

  it('turns twenty simultaneous uploads into twenty samples', async () => {
    const api = apiClient(node.url + '/api/v1');
    const speakers = await Promise.all(Array.from({ length: 20 }, () => joinWithConsent(api)));
    // Twenty clients in this process, not twenty processes: the node sees the same interleaved
    // chunks, without twenty TypeScript start-ups crowding two cores.
    const bytes = readFileSync(fixtures.files['sw.webm']);
    const answers = await Promise.all(speakers.map((s) => uploadHere(`${node.url}/api/v1/uploads`, bytes, s.token, promptId, 8000)));
    expect(answers.map((a) => a.status), JSON.stringify(answers.filter((a) => a.status !== 201))).toEqual(Array(20).fill(201));
    const ids = new Set(answers.map((a) => JSON.parse(a.body).id));
    expect(ids.size).toBe(20);
  });
});

