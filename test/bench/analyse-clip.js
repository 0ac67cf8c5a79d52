// Clip analysis speed on one thread, in compiled code as the node runs it: decode + resample +
// facts + screening of one clip, warm, repeated for a few seconds.
import { readFileSync } from 'node:fs';
import { analyseClip } from '../../dist/pipelines/audio/analyse.js';
import { DEFAULT_SCREENING } from '../../dist/pipelines/audio/screen.js';

const bytes = new Uint8Array(readFileSync(process.argv[2]));
const first = await analyseClip(bytes, DEFAULT_SCREENING);
if (!first.ok) throw new Error(`the benchmark clip was refused: ${first.problem}`);
for (let i = 0; i < 5; i++) await analyseClip(bytes, DEFAULT_SCREENING);
let runs = 0;
const started = performance.now();
while (performance.now() - started < 3000) {
  await analyseClip(bytes, DEFAULT_SCREENING);
  runs++;
}
const msPerClip = (performance.now() - started) / runs;
const seconds = first.facts.durationSeconds;
process.stdout.write(JSON.stringify({ clipSeconds: seconds, msPerClip: Number(msPerClip.toFixed(2)), realTimeFactor: Math.round((seconds * 1000) / msPerClip) }) + '\n');
