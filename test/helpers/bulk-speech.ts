import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav } from '../../pipelines/audio/pcm.js';
import { newId, nowIso } from '../../server/core/ids.js';
import { swahiliSentences } from '../bench/text-corpus.js';
import { openTestContext } from './node.js';

/**
 * Volume for builds and benchmarks: `records` validated speech samples from `speakers`
 * consenting volunteers, each with its own ~`seconds` of 16 kHz noise as the normalised clip.
 * Rows go straight into SQLite (the intake path is tested elsewhere); everything a release
 * build reads is real: rows, consent records, blobs on disk.
 */
export function seedBulkSpeech(dir: string, options: { records: number; speakers: number; seconds: number; language: string }) {
  const context = openTestContext(dir);
  try {
    const notice = context.consent.notice('en');
    const speakers = Array.from({ length: options.speakers }, () => {
      const { contributor } = context.contributors.register({});
      const record = context.consent.give(contributor, {
        noticeId: notice.id,
        noticeSha256: notice.sha256,
        purposes: context.config.consent.required,
      });
      return { id: contributor.id, consent: record.recordId };
    });
    // One sentence per five clips, so the per-sentence cap of a release does not bite.
    const sentence = swahiliSentences(11);
    context.prompts.import(options.language, Array.from({ length: Math.ceil(options.records / 5) }, () => ({ text: sentence() })));
    const prompts = context.db.prepare('SELECT id, text FROM prompts').all() as Array<{ id: string; text: string }>;
    const insert = context.db.prepare(
      `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, text, prompt_id,
         audio_original, audio_original_type, audio_sha256, audio_normalized, audio_facts, audio_flags, license, status,
         created_at, decided_at)
       VALUES (?, ?, ?, 'speech', ?, 'swa', ?, ?, ?, 'audio/wav', '', ?, ?, '[]', ?, 'validated', ?, ?)`,
    );
    const samples = new Float32Array(Math.round(16000 * options.seconds));
    const noise = new Uint8Array(samples.length);
    let bytes = 0;
    const batch = 200;
    for (let start = 0; start < options.records; start += batch) {
      context.db.transaction(() => {
        for (let i = start; i < Math.min(options.records, start + batch); i++) {
          randomFillSync(noise);
          for (let j = 0; j < samples.length; j++) samples[j] = (noise[j]! - 128) / 512;
          const wav = encodeWav(samples, 16000);
          const id = newId();
          const key = `samples/${id}/normalized.wav`;
          mkdirSync(join(dir, 'blobs', 'samples', id), { recursive: true });
          writeFileSync(join(dir, 'blobs', key), wav);
          bytes += wav.length;
          const speaker = speakers[i % speakers.length]!;
          const at = nowIso();
          const prompt = prompts[i % prompts.length]!;
          insert.run(id, speaker.id, speaker.consent, options.language, prompt.text, prompt.id, key, key,
            JSON.stringify({ durationSeconds: options.seconds }), context.config.license, at, at);
        }
      })();
    }
    return { bytes, records: options.records };
  } finally {
    context.db.close();
  }
}
