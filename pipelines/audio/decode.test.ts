import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audioFixtures } from '../../test/fixtures/audio-fixtures.js';
import { decodeClip } from './decode.js';
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
