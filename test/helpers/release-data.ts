import { readFileSync } from 'node:fs';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { joinWithConsent, type TestNode, type Volunteer } from './node.js';
import { importPrompts, postRecording } from './speech.js';

/** Swahili sentences, written by the seeded speakers in order (three each). */
export const SWAHILI_TEXTS = [
  'Wakulima wa kijiji chetu wamevuna mahindi mengi mwaka huu.',
  'Mvua kubwa ilinyesha usiku kucha na barabara zimejaa maji.',
  'Mwalimu wetu anafundisha historia ya nchi kwa hadithi nzuri.',
  'Soko la samaki hufunguliwa mapema asubuhi kila Jumamosi.',
  'Bibi yangu anajua kupika pilau tamu kuliko mtu yeyote.',
  'Tulisafiri kwa basi kutoka Mombasa mpaka Nairobi jana.',
  'Watoto wanapenda kucheza mpira baada ya masomo ya jioni.',
  'Daktari alisema tunapaswa kunywa maji safi kila siku.',
  'Mto huu unatoka milimani na kuelekea baharini mbali sana.',
  'Kesho tutasherehekea harusi ya binamu yangu kijijini.',
  'Simu yangu imeharibika kwa hiyo nitainunua nyingine.',
  'Ndege wengi huhamia hapa wakati wa baridi kila mwaka.',
];

export interface ReleaseData {
  speakers: Volunteer[];
  validators: Volunteer[];
  /** The three sentences every speaker read, by prompt id. */
  prompts: string[];
  speech: Array<{ id: string; speaker: string }>;
  text: Array<{ id: string; speaker: string }>;
}

const CLIPS = ['sw.webm', 'sw.ogg', 'sw.flac'] as const;

/** One validated recording of each prompt by `speaker` (real espeak-ng clips, the real upload path). */
export async function recordPrompts(t: TestNode, speaker: Volunteer, prompts: string[], validators: Volunteer[]): Promise<string[]> {
  const files = audioFixtures().files;
  const ids: string[] = [];
  for (const [c, promptId] of prompts.entries()) {
    const clip = CLIPS[c % CLIPS.length]!;
    const res = await postRecording(t.url, speaker.token, { promptId }, { bytes: new Uint8Array(readFileSync(files[clip])), name: clip });
    if (res.status !== 201) throw new Error(`upload failed: ${JSON.stringify(res.body)}`);
    await validate(t, res.body.id, validators);
    ids.push(res.body.id);
  }
  return ids;
}

/** Up votes from two validators: the default quorum. */
export async function validate(t: TestNode, sampleId: string, validators: Volunteer[]) {
  for (const v of validators.slice(0, 2)) {
    const res = await t.api.post(`/samples/${sampleId}/votes`, { value: 'up' }, v.token);
    if (res.status !== 201) throw new Error(`vote failed: ${JSON.stringify(res.body)}`);
  }
}

/**
 * Four speakers, each with three validated Swahili recordings (real espeak-ng clips through the
 * real upload path) and three validated texts, plus the validators who voted on them.
 */
export async function seedReleaseData(t: TestNode, options: { speakers?: number; purposes?: string[][] } = {}): Promise<ReleaseData> {
  const count = options.speakers ?? 4;
  if (count > SWAHILI_TEXTS.length / 3) throw new Error('add texts to seed more speakers');
  const speakers: Volunteer[] = [];
  for (let i = 0; i < count; i++) speakers.push(await joinWithConsent(t.api, 'en', options.purposes?.[i]));
  const validators = [await joinWithConsent(t.api), await joinWithConsent(t.api)];
  const prompts = importPrompts(t, 'sw', [sentences['sw.wav'], sentences['speech-5s.webm'], 'Karibu sana nyumbani kwetu leo.']);
  const data: ReleaseData = { speakers, validators, prompts, speech: [], text: [] };
  let text = 0;
  for (const [s, speaker] of speakers.entries()) {
    await t.api.patch('/me', { ageBand: s % 2 ? '25-34' : '35-44', gender: s % 2 ? 'female' : 'male' }, speaker.token);
    for (const id of await recordPrompts(t, speaker, prompts, validators)) data.speech.push({ id, speaker: speaker.id });
    for (let c = 0; c < prompts.length; c++) {
      const written = await t.api.post('/samples/text', { language: 'sw', text: SWAHILI_TEXTS[text++]! }, speaker.token);
      if (written.status !== 201) throw new Error(`text failed: ${JSON.stringify(written.body)}`);
      await validate(t, written.body.id, validators);
      data.text.push({ id: written.body.id, speaker: speaker.id });
    }
  }
  return data;
}
