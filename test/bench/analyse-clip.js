// Clip analysis speed on one thread, in compiled code as the node runs it: decode + resample +
// facts + screening of one clip, warm, repeated for a few seconds; then the WebM/Opus decode
// alone, the largest part of it (this figure used to be a test, but a speed is not a test).
import { readFileSync } from 'node:fs';
import { analyseClip } from '../../dist/pipelines/audio/analyse.js';
import { DEFAULT_SCREENING } from '../../dist/pipelines/audio/screen.js';
import { decodeWebmOpus } from '../../dist/pipelines/audio/webm-opus.js';

/** Milliseconds per call of `work`, warm, repeated for `ms`. */
async function timePerCall(work, ms) {
  for (let i = 0; i < 5; i++) await work();
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    await work();
    runs++;
  }
  return (performance.now() - started) / runs;
}

const bytes = new Uint8Array(readFileSync(process.argv[2]));
const first = await analyseClip(bytes, DEFAULT_SCREENING);
if (!first.ok) throw new Error(`the benchmark clip was refused: ${first.problem}`);
if ((await decodeWebmOpus(bytes, { maxSeconds: 60 })) === null) throw new Error('the benchmark clip is not WebM/Opus');
const seconds = first.facts.durationSeconds;
const msPerClip = await timePerCall(() => analyseClip(bytes, DEFAULT_SCREENING), 3000);
const decodeMsPerClip = await timePerCall(() => decodeWebmOpus(bytes, { maxSeconds: 60 }), 2000);
process.stdout.write(
  JSON.stringify({
    clipSeconds: seconds,
    msPerClip: Number(msPerClip.toFixed(2)),
    realTimeFactor: Math.round((seconds * 1000) / msPerClip),
    decodeMsPerClip: Number(decodeMsPerClip.toFixed(2)),
    decodeRealTimeFactor: Math.round((seconds * 1000) / decodeMsPerClip),
  }) + '\n',
);
