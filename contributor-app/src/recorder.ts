/**
 * One recording from the microphone with MediaRecorder, plus an input level for a meter. The
 * microphone is opened for each take and closed after it, so the browser's "recording"
 * indicator is on only while the volunteer records.
 */

/** What browsers record; the node accepts each of them. Opus in WebM first. */
const PREFERRED_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4'];

export type MicProblem = 'micDenied' | 'micMissing' | 'micUnsupported' | 'micFailed';

export class MicError extends Error {
  constructor(readonly problem: MicProblem, cause?: unknown) {
    super(problem, { cause });
    this.name = 'MicError';
  }
}

export interface Take {
  blob: Blob;
  type: string;
  seconds: number;
}

export function recordingSupported(): boolean {
  return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

export class Recording {
  private readonly chunks: Blob[] = [];
  private readonly startedAt = performance.now();
  private audioContext: AudioContext | null = null;
  private analyser: AnalyserNode | null = null;
  private readonly samples = new Float32Array(1024);
  private readonly done: Promise<Take>;

  private constructor(
    private readonly stream: MediaStream,
    private readonly recorder: MediaRecorder,
  ) {
    this.done = new Promise((resolve, reject) => {
      recorder.addEventListener('dataavailable', (event) => {
        if (event.data.size > 0) this.chunks.push(event.data);
      });
      recorder.addEventListener('stop', () => {
        this.release();
        const type = recorder.mimeType || this.chunks[0]?.type || 'audio/webm';
        resolve({ blob: new Blob(this.chunks, { type }), type, seconds: this.elapsedSeconds() });
      });
      recorder.addEventListener('error', (event) => {
        this.release();
        reject(new MicError('micFailed', event));
      });
    });
    try {
      this.audioContext = new AudioContext();
      this.analyser = this.audioContext.createAnalyser();
      this.analyser.fftSize = this.samples.length;
      this.audioContext.createMediaStreamSource(stream).connect(this.analyser);
    } catch {
      // No meter; recording still works.
    }
  }

  static async start(): Promise<Recording> {
    if (!recordingSupported()) throw new MicError('micUnsupported');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    } catch (error) {
      const name = (error as DOMException)?.name;
      if (name === 'NotAllowedError' || name === 'SecurityError') throw new MicError('micDenied', error);
      if (name === 'NotFoundError' || name === 'OverconstrainedError') throw new MicError('micMissing', error);
      throw new MicError('micFailed', error);
    }
    const type = PREFERRED_TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate));
    try {
      const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const recording = new Recording(stream, recorder);
      // Timeslices keep memory flat and make sure data arrives even if stop() races.
      recorder.start(1000);
      return recording;
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      throw new MicError('micFailed', error);
    }
  }

  elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Input level 0..1 (RMS, scaled so that normal speech fills most of the meter). */
  level(): number {
    if (!this.analyser) return 0;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    const rms = Math.sqrt(sum / this.samples.length);
    const db = 20 * Math.log10(rms || 1e-9);
    return Math.min(1, Math.max(0, (db + 60) / 50));
  }

  stop(): Promise<Take> {
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    return this.done;
  }

  /** Drops the take and frees the microphone. */
  cancel(): void {
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    this.release();
  }

  private release(): void {
    for (const track of this.stream.getTracks()) track.stop();
    void this.audioContext?.close().catch(() => {});
    this.audioContext = null;
    this.analyser = null;
  }
}
