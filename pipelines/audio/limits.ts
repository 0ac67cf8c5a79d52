/** Rates recorders and files actually use; anything else is a damaged or hostile header. */
export const MIN_SAMPLE_RATE = 8_000;
export const MAX_SAMPLE_RATE = 192_000;

/**
 * Recorders make one or two channels; a 5.1 or 7.1 export from editing software is the most a
 * person might plausibly send. More has no use for speech and only asks for memory: Opus and
 * Vorbis headers allow 255 channels, a WAV header 65 535.
 */
export const MAX_CHANNELS = 8;

/**
 * The most sample values (all channels together) a clip may decode to: stereo at the highest
 * accepted rate for the whole clip, which also admits 7.1 at 48 kHz. Whatever a file claims,
 * decoding stops here, so this bounds what one clip can make a worker allocate: for 16 s it is
 * 6.1 M samples, 25 MB as float32.
 */
export function sampleBudget(maxSeconds: number): number {
  return Math.ceil(maxSeconds * MAX_SAMPLE_RATE * 2);
}
