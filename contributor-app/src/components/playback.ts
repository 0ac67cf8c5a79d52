/**
 * A recording's length. MediaRecorder writes WebM without a duration, so Chromium reports
 * Infinity for a fresh take: its <audio> shows 0:00 and cannot be scrubbed. The length is
 * measured by decoding the take, and the element is made to find its own duration by seeking
 * past the end once (after which its controls show the length and scrub normally).
 */

/** m:ss, as a media player shows it. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Seconds of audio in the blob, or null if this browser cannot decode it. */
export async function measureDuration(blob: Blob): Promise<number | null> {
  try {
    // An offline context needs no audio device and no user gesture.
    const context = new OfflineAudioContext(1, 1, 48_000);
    const buffer = await context.decodeAudioData(await blob.arrayBuffer());
    return buffer.duration;
  } catch {
    return null;
  }
}

/** Resolves once `audio.duration` is finite (seeking to the end and back if it must). */
export function settleDuration(audio: HTMLAudioElement): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      audio.removeEventListener('durationchange', check);
      audio.removeEventListener('timeupdate', check);
      resolve();
    };
    const check = () => {
      if (!Number.isFinite(audio.duration)) return;
      audio.currentTime = 0;
      finish();
    };
    const start = () => {
      if (Number.isFinite(audio.duration)) return resolve();
      audio.addEventListener('durationchange', check);
      audio.addEventListener('timeupdate', check);
      audio.currentTime = Number.MAX_SAFE_INTEGER;
    };
    if (audio.readyState >= HTMLMediaElement.HAVE_METADATA) start();
    else audio.addEventListener('loadedmetadata', start, { once: true });
  });
}

/** Plays or pauses; returns whether it is now playing. */
export function togglePlay(audio: HTMLAudioElement): boolean {
  if (audio.paused) {
    void audio.play().catch(() => {});
    return true;
  }
  audio.pause();
  return false;
}
