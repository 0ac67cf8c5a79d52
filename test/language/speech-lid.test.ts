import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechLanguageModel } from '../../pipelines/language/speech-model.js';
import { trainSpeechLanguageModel, writeSpeechModel, type TrainedSpeechModel } from '../../pipelines/language/speech-train.js';
import { readMonoWav, SPOKEN_LANGUAGES, spokenLanguageClips, type SpokenClip } from '../fixtures/spoken-languages.js';
import { runCliAsync } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { validate } from '../helpers/release-data.js';
import { importPrompts, postRecording } from '../helpers/speech.js';

/**
 * Spoken-language ID end to end: a model trained here with speech-train.ts on espeak-ng speech
 * in Swahili, English and Spanish, judged on sentences it never heard, then used by a node
 * that names it in node.json.
 */
const clips = spokenLanguageClips();
const testClips = clips.filter((clip) => clip.split === 'test');
const wavBytes = (clip: SpokenClip) => new Uint8Array(readFileSync(clip.path));

describe('spoken-language ID', () => {
  let folder: string;
  let modelDir: string;
  let trained: TrainedSpeechModel;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'tributary-speech-lid-'));
    modelDir = join(folder, 'speech-model');
    const training = clips.filter((clip) => clip.split === 'train').map((clip) => ({ tag: clip.tag, code: clip.code, mono: readMonoWav(clip.path) }));
    trained = await trainSpeechLanguageModel(training, { epochs: 15 });
    await writeSpeechModel(modelDir, trained);
  }, 240_000);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('tells the languages apart on sentences it was not trained on', async () => {
    const model = await SpeechLanguageModel.load(modelDir);
    expect(model.meta.labels.map((label) => label.tag)).toEqual(['en', 'es', 'sw']);
    for (const { tag } of SPOKEN_LANGUAGES) {
      const own = testClips.filter((clip) => clip.tag === tag);
      const right = own.filter((clip) => {
        const scores = model.score(readMonoWav(clip.path), 16_000)!;
        const best = scores.probabilities.indexOf(Math.max(...scores.probabilities));
        return scores.labels[best]!.tag === tag;
      });
      expect(right.length / own.length, `${tag}: ${right.length} of ${own.length}`).toBeGreaterThanOrEqual(0.9);
    }
    model.dispose();
  });

  it('names the model by its content, and refuses a folder that holds none with the reason', async () => {
    const first = await SpeechLanguageModel.load(modelDir);
    const again = await SpeechLanguageModel.load(modelDir);
    expect(first.version).toMatch(/^speech-[0-9a-f]{12}$/);
    expect(again.version).toBe(first.version);
    first.dispose();
    again.dispose();
    await expect(SpeechLanguageModel.load(folder)).rejects.toThrow(/model\.json/);
    const notOurs = join(folder, 'not-ours');
    await writeSpeechModel(notOurs, { ...trained, files: new Map([['model.json', new TextEncoder().encode('{"modelTopology":{},"weightsManifest":[]}')]]) });
    await expect(SpeechLanguageModel.load(notOurs)).rejects.toThrow(/userDefinedMetadata\.tributary/);
  });

  it('refuses to train without enough clips in each language, naming them', async () => {
    const few = clips.slice(0, 40).map((clip) => ({ tag: clip.tag, code: clip.code, mono: readMonoWav(clip.path) }));
    const oneSpanish = [...few, { tag: 'es', code: 'spa', mono: readMonoWav(testClips.find((clip) => clip.tag === 'es')!.path) }];
    await expect(trainSpeechLanguageModel(oneSpanish, { epochs: 1 })).rejects.toThrow(/es \(1\)/);
  });

  it('tributary langid speech names a recording\'s language, and says whether the node would flag it', async () => {
    const english = testClips.find((clip) => clip.tag === 'en')!;
    const flagged = await runCliAsync(['langid', 'speech', english.path, '--model', modelDir, '--declared', 'sw', '--json']);
    expect(flagged.status, flagged.stderr).toBe(0);
    expect(JSON.parse(flagged.stdout)).toMatchObject({ code: 'eng', mismatch: 'language', reason: null });
    const table = await runCliAsync(['langid', 'speech', english.path, '--model', modelDir]);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/eng\s+│\s+en\s+│/);
    const missing = await runCliAsync(['langid', 'speech', english.path, '--model', join(folder, 'missing')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tributary: .*model\.json/);
  }, 60_000);

  describe('on a node', () => {
    let t: TestNode;
    let speaker: Volunteer;
    let validator: Volunteer;
    let prompt: string;

    beforeAll(async () => {
      t = await startTestNode({ languages: ['sw'], lid: { speechModel: modelDir } });
      speaker = await joinWithConsent(t.api);
      validator = await joinWithConsent(t.api);
      prompt = importPrompts(t, 'sw', [testClips.find((clip) => clip.tag === 'sw')!.sentence])[0]!;
    });
    afterAll(() => t.stop());

    it('hears a clip in the declared language, and records the model', async () => {
      const model = await SpeechLanguageModel.load(modelDir);
      const clip = testClips.find((c) => c.tag === 'sw')!;
      const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: wavBytes(clip), name: 'sw.wav' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.lid).toMatchObject({ code: 'swa', script: 'Zxxx', model: model.version, mismatch: null, reason: null });
      expect(res.body.lid.score).toBeGreaterThan(0.5);
      expect(res.body.flags).toEqual([]);
      model.dispose();
    });

    it('flags English read for a Swahili sentence for validators, and still takes the clip', async () => {
      const clip = testClips.find((c) => c.tag === 'en')!;
      const res = await postRecording(t.url, speaker.token, { promptId: prompt }, { bytes: wavBytes(clip), name: 'en.wav' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ language: 'sw', status: 'pending' });
      expect(res.body.lid).toMatchObject({ code: 'eng', mismatch: 'language', reason: null });
      const queue = await t.api.get('/samples/to-validate?lang=sw&modality=speech&limit=100', validator.token);
      const queued = queue.body.samples.find((sample: { id: string }) => sample.id === res.body.id);
      expect(queued.flags).toContain('lid-language-mismatch');
    });

    it('keeps the declared language when the model cannot be read, and says so', async () => {
      const broken = join(folder, 'broken-copy');
      await writeSpeechModel(broken, trained);
      const node = await startTestNode({ languages: ['sw'], lid: { speechModel: broken } });
      try {
        const volunteer = await joinWithConsent(node.api);
        const [id] = importPrompts(node, 'sw', ['Habari za asubuhi, leo tunakwenda sokoni.']);
        writeFileSync(join(broken, 'model.json'), '{"not": "a model"}');
        const res = await postRecording(node.url, volunteer.token, { promptId: id! }, { bytes: wavBytes(testClips[0]!), name: 'a.wav' });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        expect(res.body.lid).toMatchObject({ code: 'und', mismatch: null, reason: 'SpeechModelUnavailable' });
      } finally {
        await node.stop();
      }
    });
  });

  it('without a model the declared language stands, and the result says so', async () => {
    const t = await startTestNode({ languages: ['sw'] });
    try {
      const volunteer = await joinWithConsent(t.api);
      const [id] = importPrompts(t, 'sw', ['Habari za asubuhi, leo tunakwenda sokoni.']);
      const res = await postRecording(t.url, volunteer.token, { promptId: id! }, { bytes: wavBytes(testClips[0]!), name: 'a.wav' });
      expect(res.status).toBe(201);
      expect(res.body.language).toBe('sw');
      expect(res.body.lid).toEqual({ code: 'und', score: 0, script: 'Zxxx', model: 'none', mismatch: null, reason: 'NoSpeechModel' });
    } finally {
      await t.stop();
    }
  });

  it('a node whose speechModel names no model refuses to start, saying which setting is wrong', async () => {
    await expect(startTestNode({ languages: ['sw'], lid: { speechModel: join(folder, 'missing') } })).rejects.toThrow(/lid\.speechModel.*model\.json/);
  });

  it('a node learns its own spoken languages from its validated clips (langid train-speech), and uses the model from the next clip on', async () => {
    const t = await startTestNode({ languages: ['sw', 'en', 'es'] });
    try {
      const speaker = await joinWithConsent(t.api);
      const validators = [await joinWithConsent(t.api), await joinWithConsent(t.api)];
      const prompts = {
        sw: importPrompts(t, 'sw', ['Habari za asubuhi, leo tunakwenda sokoni.'])[0]!,
        en: importPrompts(t, 'en', ['The children walked to school together in the morning.'])[0]!,
        es: importPrompts(t, 'es', ['Los niños caminaron juntos a la escuela por la mañana.'])[0]!,
      };
      for (const { tag } of SPOKEN_LANGUAGES) {
        for (const clip of clips.filter((c) => c.tag === tag && c.split === 'train').slice(0, 20)) {
          const res = await postRecording(t.url, speaker.token, { promptId: prompts[tag] }, { bytes: wavBytes(clip), name: 'clip.wav' });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          expect(res.body.lid).toMatchObject({ code: 'und', reason: 'NoSpeechModel' });
          await validate(t, res.body.id, validators);
        }
      }
      const trained = await runCliAsync(['langid', 'train-speech', '--dir', t.dir, '--epochs', '30', '--json']);
      expect(trained.status, trained.stderr).toBe(0);
      const summary = JSON.parse(trained.stdout);
      expect(summary).toMatchObject({ version: expect.stringMatching(/^speech-[0-9a-f]{12}$/), inUse: true });
      expect(summary.labels.map((label: { tag: string }) => label.tag)).toEqual(['en', 'es', 'sw']);

      // English read for the Swahili sentence, by a node that has learned from its own clips.
      const english = testClips.find((clip) => clip.tag === 'en')!;
      const res = await postRecording(t.url, speaker.token, { promptId: prompts.sw }, { bytes: wavBytes(english), name: 'en.wav' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.lid, JSON.stringify(res.body.lid)).toMatchObject({ code: 'eng', mismatch: 'language', model: summary.version, reason: null });
    } finally {
      await t.stop();
    }
  }, 180_000);
});
