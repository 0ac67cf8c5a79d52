import { readFileSync } from 'node:fs';
import decode from 'audio-decode';
import { decodeWebmOpus } from './pipelines/audio/webm-opus.js';
const D = 'test/.cache/audio-89715ed76569';
const ours = (await decodeWebmOpus(new Uint8Array(readFileSync(D + '/sw.webm')), { maxSeconds: 60 }))!.channels[0]!;
const ref16 = (await decode(readFileSync("/tmp/wx/sw16.wav"))).channelData[0]!;
const ad = await decode(readFileSync(D + '/sw.webm'));
console.log('lengths', ours.length / 16000, ref16.length / 16000, ad.channelData[0]!.length / ad.sampleRate, ad.sampleRate);
function corr(a: Float32Array, b: Float32Array, lag: number) { let s=0, na=0, nb=0; for (let i = 200; i < Math.min(a.length, b.length) - 200; i++) { const x=a[i]!, y=b[i+lag]!; s+=x*y; na+=x*x; nb+=y*y; } return s/Math.sqrt(na*nb); }
let best = [-99, 0]; for (let lag = -200; lag <= 200; lag++) { const c = corr(ours, ref16, lag); if (c > best[0]!) best = [c, lag]; }
console.log('best corr/lag', best);
function env(x: Float32Array, n: number) { const out=[]; for (let i=0;i+n<=x.length;i+=n){let s=0;for(let j=0;j<n;j++)s+=x[i+j]!**2; out.push(10*Math.log10(s/n+1e-12));} return out; }
const e1 = env(ours, 320), e2 = env(ad.channelData[0]!, 960), e3 = env(ref16, 320);
const diffs=[], diffs3=[];
for (let i=0;i<Math.min(e1.length,e2.length);i++) if (e2[i]! > -45) diffs.push(Math.abs(e1[i]!-e2[i]!));
for (let i=0;i<Math.min(e1.length,e3.length);i++) if (e3[i]! > -45) diffs3.push(Math.abs(e1[i]!-e3[i]!));
diffs.sort((a,b)=>a-b); diffs3.sort((a,b)=>a-b);
console.log('vs audio-decode n', diffs.length, 'median', diffs[diffs.length>>1], 'p95', diffs[Math.floor(diffs.length*0.95)], 'max', diffs.at(-1));
console.log('vs wav n', diffs3.length, 'median', diffs3[diffs3.length>>1], 'p95', diffs3[Math.floor(diffs3.length*0.95)], 'max', diffs3.at(-1));
