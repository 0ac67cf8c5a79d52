import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures, sentences, type FixtureName } from '../fixtures/audio-fixtures.js';
import { joinWithConsent, rowCounts, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { importPrompts, postRecording } from '../helpers/speech.js';

const fixtures = audioFixtures();
const bytesOf = (name: FixtureName) => new Uint8Array(readFileSync(fixtures.files[name]));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Duration of a fixture as ffmpeg wrote it, read from the 16-bit WAV twin where there is one. */
const SW_SECONDS = (() => {
  const wav = readFileSync(fixtures.files['sw.wav']);
  return wav.readUInt32LE(40) / (wav.readUInt32LE(24) * 2);
})();

describe('speech contributions', () => {
  let t: TestNode;
  let speaker: Volunteer;
  let validator: Volunteer;
  let prompt: string;

  beforeAll(async () => {
    t = await startTestNode({ audio: { maxBytes: 2 * 1024 * 1024 } });
    speaker = await joinWithConsent(t.api);
    validator = await joinWithConsent(t.api);
    prompt = importPrompts(t, 'sw', [sentences['sw.wav']])[0]!;
  });
  afterAll(() => t.stop());

  for (const name of ['sw.webm', 'sw.ogg', 'sw.m4a', 'sw.mp3', 'sw.flac', 'sw.wav'] as const) {
    it(`accepts ${name}, keeps the original byte for byte and a 16 kHz mono normalised copy`, async () => {
      const bytes = bytesOf(name);
      const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes, name });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ modality: 'speech', language: 'sw', status: 'pending', text: sentences['sw.wav'] });
      // Lossy codecs pad a little; the duration is still the speech's own.
      expect(res.body.audio.facts.durationSeconds).toBeGreaterThan(SW_SECONDS - 0.08);
      expect(res.body.audio.facts.durationSeconds).toBeLessThan(SW_SECONDS + 0.12);
      expect(res.body.audio.facts.speechSeconds).toBeGreaterThan(1.5);
      expect(res.body.audio.facts.snrDb).toBeGreaterThan(30);

      const row = t.inspect((db) => db.prepare('SELECT audio_original, audio_sha256, audio_normalized FROM samples WHERE id = ?').get(res.body.id)) as any;
      expect(row.audio_sha256).toBe(sha256(bytes));
      expect(sha256(await t.blob(row.audio_original))).toBe(sha256(bytes));
      // In the node folder on disk storage; only in the bucket on S3.
      expect(existsSync(join(t.dir, 'blobs', row.audio_original))).toBe(t.storage === 'disk');
      const normalized = await t.blob(row.audio_normalized);
      expect(normalized.toString('ascii', 0, 4)).toBe('RIFF');
      expect(normalized.readUInt16LE(22)).toBe(1); // mono
      expect(normalized.readUInt32LE(24)).toBe(16000);
      expect(normalized.readUInt16LE(34)).toBe(16);
    });
  }

  it('accepts 8 kHz and 48 kHz stereo recordings, normalising both, and marks narrowband audio', async () => {
    const narrow = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('speech-8k.wav'), name: 'a.wav' });
    expect(narrow.status).toBe(201);
    expect(narrow.body.audio.facts).toMatchObject({ originalSampleRate: 8000, originalChannels: 1 });
    expect(narrow.body.flags).toContain('narrowband');
    const stereo = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('speech-48k-stereo.wav'), name: 'b.wav' });
    expect(stereo.status).toBe(201);
    expect(stereo.body.audio.facts).toMatchObject({ originalSampleRate: 48000, originalChannels: 2 });
    expect(stereo.body.flags).toEqual([]);
  });

  it('keeps borderline clips but tells validators why they may be doubtful', async () => {
    const noisy = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('speech-noisy.wav'), name: 'n.wav' });
    expect(noisy.status).toBe(201);
    expect(noisy.body.flags).toContain('low-snr');
    const padded = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('speech-silence-padded.wav'), name: 'p.wav' });
    expect(padded.status).toBe(201);
    expect(padded.body.flags).toContain('much-silence');
    expect(padded.body.audio.facts.leadingSilenceSeconds).toBeGreaterThan(3.5);
  });

  const refusals: Array<[FixtureName, number, string]> = [
    ['empty.webm', 422, 'AudioUndecodable'],
    ['text-as.webm', 422, 'AudioUndecodable'],
    ['zero-samples.wav', 422, 'AudioTooShort'],
    ['short-0.5s.wav', 422, 'AudioTooShort'],
    ['silence-3s.wav', 422, 'AudioSilent'],
    ['quiet-3s.wav', 422, 'AudioSilent'],
    ['clipped-square-3s.wav', 422, 'AudioClipped'],
  ];

  for (const [name, status, code] of refusals) {
    it(`refuses ${name} with ${status} ${code}, leaving nothing behind`, async () => {
      const before = { rows: t.inspect(rowCounts), blobs: await t.blobKeys() };
      const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf(name), name });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(20);
      expect({ rows: t.inspect(rowCounts), blobs: await t.blobKeys() }).toEqual(before);
    });
  }

  it('refuses 40 s of speech as AudioTooLong with a reason a person can act on', async () => {
    const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('speech-40s.wav'), name: 'long.wav' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('AudioTooLong');
    expect(res.body.error.message).toMatch(/sentence/);
  });

  it('refuses files over the node’s size limit with 413 AudioTooLarge, and requests without audio', async () => {
    const big = new Uint8Array(2 * 1024 * 1024 + 10);
    const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: big, name: 'big.wav' });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('AudioTooLarge');
    const none = await postRecording(t.url, speaker.token, { promptId: prompt }, null);
    expect(none.body.error.code).toBe('AudioMissing');
    const badPrompt = await postRecording(t.url, speaker.token, { promptId: 'nope' }, { bytes: bytesOf('sw.webm'), name: 'x.webm' });
    expect(badPrompt.body.error.code).toBe('PromptNotFound');
    // A declared language must be the prompt's (or a more specific tag under it).
    const otherLanguage = await postRecording(t.url, speaker.token, { promptId: prompt, language: 'yo' }, { bytes: bytesOf('sw.webm'), name: 'x.webm' });
    expect(otherLanguage.status).toBe(422);
    expect(otherLanguage.body.error.code).toBe('LanguageNotSupported');
    const regional = await postRecording(t.url, speaker.token, { promptId: prompt, language: 'sw-KE' }, { bytes: bytesOf('sw.webm'), name: 'x.webm' });
    expect(regional.status).toBe(201);
    expect(regional.body.language).toBe('sw-KE');
  });

  it('a truncated recording is decoded as far as it goes; a header claiming hours is read for what is there', async () => {
    const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('truncated.webm'), name: 't.webm' });
    expect(res.status).toBe(201);
    expect(res.body.audio.facts.durationSeconds).toBeLessThan(SW_SECONDS * 0.6);
    const before = { rows: t.inspect(rowCounts), blobs: await t.blobKeys() };
    const huge = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('huge-header.wav'), name: 'h.wav' });
    expect(huge.status).toBe(422);
    expect(huge.body.error.code).toBe('AudioTooShort');
    expect(huge.body.error.details.facts.durationSeconds).toBeLessThan(1.5);
    expect({ rows: t.inspect(rowCounts), blobs: await t.blobKeys() }).toEqual(before);
  });

  it('serves clips to validators with the prompt text and a streamable URL, never the uploader’s own', async () => {
    const created = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('sw.webm'), name: 'q.webm' });
    const queue = await t.api.get('/samples/to-validate?lang=sw&modality=speech&limit=100', validator.token);
    const item = queue.body.samples.find((s: { id: string }) => s.id === created.body.id);
    expect(item).toMatchObject({ text: sentences['sw.wav'], audio: { url: `/api/v1/samples/${created.body.id}/audio`, type: 'audio/wav' } });
    const own = await t.api.get('/samples/to-validate?lang=sw&modality=speech&limit=100', speaker.token);
    expect(own.body.samples).toEqual([]);

    const whole = await fetch(t.url + item.audio.url, { headers: { authorization: `Bearer ${validator.token}` } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const all = new Uint8Array(await whole.arrayBuffer());
    const part = await fetch(t.url + item.audio.url, { headers: { authorization: `Bearer ${validator.token}`, range: 'bytes=44-1043' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 44-1043/${all.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(all.subarray(44, 1044));
    const beyond = await fetch(t.url + item.audio.url, { headers: { authorization: `Bearer ${validator.token}`, range: `bytes=${all.length + 10}-` } });
    expect(beyond.status).toBe(416);
    expect((await fetch(t.url + item.audio.url)).status).toBe(401);

    const vote = await t.api.post(`/samples/${created.body.id}/votes`, { value: 'up' }, validator.token);
    expect(vote.status).toBe(201);
  });

  it('withdrawal withdraws speech samples and makes their audio unreachable', async () => {
    const someone = await joinWithConsent(t.api);
    const created = await postRecording(t.url, someone.token, { promptId: prompt }, { bytes: bytesOf('sw.ogg'), name: 'w.ogg' });
    expect(created.status).toBe(201);
    const keys = t.inspect((db) => db.prepare('SELECT audio_original, audio_normalized FROM samples WHERE id = ?').get(created.body.id)) as any;
    expect(await t.blobKeys()).toEqual(expect.arrayContaining([keys.audio_original, keys.audio_normalized]));

    const withdrawn = await t.api.delete(`/consents/${someone.consentRecordId}`, someone.token);
    expect(withdrawn.body.withdrawnSamples).toBe(1);
    const audio = await fetch(`${t.url}/api/v1/samples/${created.body.id}/audio`, { headers: { authorization: `Bearer ${validator.token}` } });
    expect(audio.status).toBe(410);
    expect(await t.blobKeys()).not.toContain(keys.audio_original);
    expect(await t.blobKeys()).not.toContain(keys.audio_normalized);
  });

  it('lets others hear a clip only while it awaits validation; then its speaker, admins, and reviewers of an open report', async () => {
    const someone = await joinWithConsent(t.api);
    const second = await joinWithConsent(t.api);
    const bystander = await joinWithConsent(t.api);
    const reviewer = await joinWithConsent(t.api);
    const admin = t.node.context.contributors.issueAdminToken().token;
    expect((await t.api.put(`/admin/contributors/${reviewer.id}/role`, { role: 'reviewer' }, admin)).status).toBe(200);
    const created = await postRecording(t.url, someone.token, { promptId: prompt }, { bytes: bytesOf('sw.ogg'), name: 'd.ogg' });
    const clip = (token: string) =>
      fetch(`${t.url}/api/v1/samples/${created.body.id}/audio`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });
    expect(await clip(bystander.token)).toBe(200);

    for (const voter of [validator, second]) await t.api.post(`/samples/${created.body.id}/votes`, { value: 'up' }, voter.token);
    expect(t.inspect((db) => db.prepare('SELECT status FROM samples WHERE id = ?').pluck().get(created.body.id))).toBe('validated');
    expect(await clip(bystander.token)).toBe(404);
    expect(await clip(validator.token)).toBe(404);
    expect(await clip(reviewer.token)).toBe(404);
    expect(await clip(someone.token)).toBe(200);
    expect(await clip(admin)).toBe(200);

    expect((await t.api.post(`/samples/${created.body.id}/reports`, { reason: 'personal-data' }, bystander.token)).status).toBe(201);
    expect(await clip(reviewer.token)).toBe(200);
    expect(await clip(bystander.token)).toBe(404);
  });

  it('refuses recordings without consent before looking at the audio', async () => {
    const joined = await t.api.post('/contributors', {});
    const res = await postRecording(t.url, joined.body.token, { promptId: prompt }, { bytes: bytesOf('sw.webm'), name: 'c.webm' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('ConsentRequired');
  });

  it('answers 404, not 500, for a clip whose file has gone from the store', async () => {
    const created = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: bytesOf('sw.ogg'), name: 'gone.ogg' });
    expect(created.status).toBe(201);
    await t.node.context.storage.blobs.deletePrefix(`samples/${created.body.id}/`);
    const validator = await joinWithConsent(t.api);
    const res = await fetch(`${t.url}/api/v1/samples/${created.body.id}/audio`, { headers: { authorization: `Bearer ${validator.token}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('NotFound');
  });

  it('refuses an anonymous upload before reading its body', async () => {
    // A multipart body that is announced as 9 MB and never finishes: only a node that answers
    // before reading it can answer at all.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${t.url}/api/v1/samples/speech`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(9 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write('--x\r\nContent-Disposition: form-data; name="audio"; filename="a.webm"\r\n\r\n');
      req.write(Buffer.alloc(64 * 1024));
      setTimeout(() => req.destroy(new Error('no answer while the body was still coming')), 5000);
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error.code).toBe('Unauthenticated');
  });
});

describe('abandoned uploads', () => {
  it('are deleted once older than the node’s expiry, and fresh ones are kept', async () => {
    const { readdirSync, readFileSync: read, writeFileSync } = await import('node:fs');
    const t = await startTestNode({ audio: { uploadExpiryHours: 24 } });
    try {
      const speaker = await joinWithConsent(t.api);
      const [promptId] = importPrompts(t, 'sw', ['Ndege wanaimba juu ya mti mrefu.']);
      const create = () =>
        fetch(`${t.url}/api/v1/uploads`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${speaker.token}`,
            'tus-resumable': '1.0.0',
            'upload-length': '5000',
            'upload-metadata': `promptId ${Buffer.from(promptId!).toString('base64')}`,
          },
        }).then((r) => r.headers.get('location')!.split('/').pop()!);
      const old = await create();
      const fresh = await create();
      const uploads = `${t.dir}/uploads`;
      const config = JSON.parse(read(`${uploads}/${old}.json`, 'utf8'));
      config.creation_date = new Date(Date.now() - 25 * 3600_000).toISOString();
      writeFileSync(`${uploads}/${old}.json`, JSON.stringify(config));

      expect(await t.node.uploads.sweepExpired()).toBe(1);
      expect(readdirSync(uploads).sort()).toEqual([fresh, `${fresh}.json`].sort());
    } finally {
      await t.stop();
    }
  });
});
