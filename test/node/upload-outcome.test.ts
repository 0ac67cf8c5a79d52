import { readFileSync } from 'node:fs';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { importPrompts } from '../helpers/speech.js';

const fixtures = audioFixtures();

/**
 * A phone whose connection drops just after the node stored the last chunk never hears the 201
 * with its sample. When it resumes, the node must say the upload is complete and name its
 * sample, so the recording is not sent a second time as a new upload.
 */
describe('the outcome of a finished upload, for a client that lost the answer', () => {
  let t: TestNode;
  let speaker: Volunteer;
  let other: Volunteer;
  let promptId: string;
  const source = readFileSync(fixtures.files['speech-5s.webm']);

  beforeAll(async () => {
    t = await startTestNode();
    [promptId] = importPrompts(t, 'sw', [sentences['speech-5s.webm']]) as [string];
    [speaker, other] = await Promise.all([joinWithConsent(t.api), joinWithConsent(t.api)]);
  });
  afterAll(() => t?.stop());

  const tus = (path: string, method: string, token: string, headers: Record<string, string> = {}, body?: Uint8Array) =>
    fetch(t.url + path, { method, headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', ...headers }, body });
  const speechSamples = () => t.inspect((db) => db.prepare("SELECT id, upload_id AS uploadId FROM samples WHERE modality = 'speech'").all()) as Array<{ id: string; uploadId: string }>;

  it('answers HEAD as complete and GET /me/uploads/:id/sample with the sample, to its owner only', async () => {
    const created = await tus('/api/v1/uploads', 'POST', speaker.token, {
      'upload-length': String(source.length),
      'upload-metadata': `promptId ${Buffer.from(promptId).toString('base64')}`,
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!, t.url).pathname;
    const uploadId = location.split('/').pop()!;
    const finished = await tus(location, 'PATCH', speaker.token, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, source);
    expect(finished.status).toBe(201);
    const sample = (await finished.json()) as { id: string };
    expect(speechSamples()).toEqual([{ id: sample.id, uploadId }]);

    // The owner resuming is told the upload is complete: nothing left to send, nothing to re-create.
    const head = await tus(location, 'HEAD', speaker.token);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(source.length));
    expect(head.headers.get('upload-length')).toBe(String(source.length));
    expect(head.headers.get('cache-control')).toBe('no-store');
    // Anyone else still finds nothing there.
    expect((await tus(location, 'HEAD', other.token)).status).toBe(404);

    const outcome = await t.api.get(`/me/uploads/${uploadId}/sample`, speaker.token);
    expect(outcome.status).toBe(200);
    expect(outcome.body.id).toBe(sample.id);
    expect((await t.api.get(`/me/uploads/${uploadId}/sample`, other.token)).status).toBe(404);
    expect((await t.api.get('/me/uploads/01NOSUCHUPLOAD/sample', speaker.token)).status).toBe(404);
  });

  it('a tus client resuming a finished upload succeeds without making a second upload or sample', async () => {
    const before = speechSamples();
    const uploadUrl = `${t.url}/api/v1/uploads/${before[0]!.uploadId}`;
    const requests: string[] = [];
    const result = await new Promise<{ status: number; url: string | null }>((resolve, reject) => {
      const upload: Upload = new Upload(source, {
        endpoint: `${t.url}/api/v1/uploads`,
        uploadUrl,
        chunkSize: 64 * 1024,
        retryDelays: [],
        headers: { authorization: `Bearer ${speaker.token}` },
        metadata: { promptId, filetype: 'audio/webm' },
        onBeforeRequest: (req) => void requests.push(req.getMethod()),
        onSuccess: ({ lastResponse }) => resolve({ status: lastResponse.getStatus(), url: upload.url }),
        onError: reject,
      });
      upload.start();
    });
    expect(result).toEqual({ status: 200, url: uploadUrl });
    expect(requests).toEqual(['HEAD']);
    expect(speechSamples()).toEqual(before);
  });
});
