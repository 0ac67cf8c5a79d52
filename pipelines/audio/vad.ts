/**
 * Energy-based voice activity: frames louder than an adaptive threshold between the clip's own
 * noise floor and its speech level count as speech. Good enough to screen clips (is there
 * speech, how much, where does it start and end, how far above the noise is it); not a
 * replacement for a neural VAD in training pipelines.
 */
export const FRAME_SECONDS = 0.02;

export interface FrameLevels {
  /** Energy of each 20 ms frame in dBFS. */
  db: Float64Array;
}

const FLOOR_DB = -120;

export function frameLevels(samples: Float32Array, sampleRate: number): FrameLevels {
  const size = Math.max(1, Math.round(sampleRate * FRAME_SECONDS));
  const count = Math.floor(samples.length / size);
  const db = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    let energy = 0;
    const start = f * size;
    for (let i = start; i < start + size; i++) energy += samples[i]! * samples[i]!;
    const mean = energy / size;
    db[f] = mean > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(mean)) : FLOOR_DB;
  }
  return { db };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return FLOOR_DB;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * (sorted.length - 1))))]!;
}

export interface VoiceActivity {
  speech: Uint8Array; // 1 = speech frame
  noiseDb: number;
  speechDb: number;
}

/** Frames quieter than this are never speech, whatever the clip's dynamics. */
const ABSOLUTE_FLOOR_DB = -55;
/** Shortest run of speech frames kept (60 ms): drops clicks. */
const MIN_SPEECH_FRAMES = 3;
/** Frames of speech kept after the level drops (100 ms): keeps word endings. */
const HANGOVER_FRAMES = 5;

export function detectSpeech({ db }: FrameLevels): VoiceActivity {
  const sorted = Float64Array.from(db).sort();
  const noiseDb = percentile(sorted, 0.1);
  const speechDb = percentile(sorted, 0.95);
  const threshold = Math.max(ABSOLUTE_FLOOR_DB, noiseDb + Math.max(4, (speechDb - noiseDb) * 0.3));
  const speech = new Uint8Array(db.length);
  for (let f = 0; f < db.length; f++) speech[f] = db[f]! > threshold ? 1 : 0;

  // Remove runs too short to be speech, then extend the rest by the hangover.
  for (let f = 0; f < speech.length; ) {
    if (!speech[f]) {
      f++;
      continue;
    }
    let end = f;
    while (end < speech.length && speech[end]) end++;
    if (end - f < MIN_SPEECH_FRAMES) speech.fill(0, f, end);
    f = end;
  }
  const smoothed = Uint8Array.from(speech);
  for (let f = 0; f < speech.length; f++) {
    if (speech[f] && !speech[f + 1]) smoothed.fill(1, f + 1, Math.min(speech.length, f + 1 + HANGOVER_FRAMES));
  }
  return { speech: smoothed, noiseDb, speechDb };
}
