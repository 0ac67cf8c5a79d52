import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audioFixtures } from '../../test/fixtures/audio-fixtures.js';
import { audioFuzzCorpus, BOMB } from '../../test/fixtures/audio-fuzz.js';
import { decodeClip } from './decode.js';
import { tooMuchAudio } from './header/index.js';
import { encodeWav } from './pcm.js';

const fixtures = audioFixtures();
const limits = { maxSeconds: 30 };

describe('decodeClip', () => {
  it.each(['sw.ogg', 'sw.mp3', 'sw.flac', 'sw.m4a', 'sw.webm', 'sw.wav'] as const)(
    'decodes %s handed over as a view into a larger buffer (as pooled Buffers are)',
    async (name) => {
      const file = readFileSync(fixtures.files[name]);
      const pooled = new Uint8Array(file.length + 16);
      pooled.set(file, 16);
      const view = pooled.subarray(16);
      const outcome = await decodeClip(view, limits);
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
      const direct = await decodeClip(new Uint8Array(file), limits);
      if (!outcome.ok || !direct.ok) throw new Error('not decoded');
      expect(outcome.clip.channels[0]!.length).toBe(direct.clip.channels[0]!.length);
    },
  );

  it('refuses a sample rate no recorder uses rather than resampling from it', async () => {
    const outcome = await decodeClip(encodeWav(new Float32Array(4000), 1_000_003), limits);
    expect(outcome).toMatchObject({ ok: false, problem: 'AudioUndecodable' });
    expect(outcome.ok || outcome.reason).toContain('1000003 Hz');
    expect((await decodeClip(encodeWav(new Float32Array(4000), 8000), limits)).ok).toBe(true);
    expect((await decodeClip(encodeWav(new Float32Array(4000), 192_000), limits)).ok).toBe(true);
  });
});

describe('decodeClip on files whose headers lie', () => {
  const corpus = new Map(audioFuzzCorpus().map((file) => [file.name, new Uint8Array(readFileSync(file.path))]));
  const decode = (name: string) => decodeClip(corpus.get(name)!, { maxSeconds: 16 });

  it('refuses the report’s bomb (655 kHz, 7.1) by its header', async () => {
    expect(await decode(BOMB)).toMatchObject({ ok: false, problem: 'AudioUndecodable', reason: expect.stringContaining('655000 Hz') });
  });

  it('refuses FLAC whose frames hold far more than its STREAMINFO says', async () => {
    expect(await decode('flac-bomb-streaminfo-says-48khz-stereo.flac')).toMatchObject({ ok: false, reason: tooMuchAudio(16) });
  });

  it('stops Vorbis whose headers say 1 s once its samples pass the budget, whatever rate it reports', async () => {
    // 7.1 at 192 kHz is within the rate and channel limits; its 20 s are not within the budget.
    expect(await decode('ogg-vorbis-7.1-192khz-20s-says-1s.oga')).toMatchObject({ ok: false, reason: tooMuchAudio(16) });
  });

  it.each(['ogg-vorbis-60s-says-2s.oga', 'mp3-60s-no-xing.mp3', 'mp3-60s-xing-says-2s.mp3', 'webm-opus-60s-no-duration.webm'])(
    'stops %s at the clip limit',
    async (name) => {
      expect(await decode(name)).toMatchObject({ ok: false, problem: 'AudioTooLong' });
    },
  );

  it('refuses an Opus track of more than eight channels in the WebM fast path, where the track element says stereo', async () => {
    expect(await decode('webm-opus-9-channels-says-stereo.webm')).toMatchObject({ ok: false, problem: 'AudioUndecodable', reason: expect.stringContaining('9 channels') });
  });
});
