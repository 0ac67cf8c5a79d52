import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseLanguageModel } from '../../pipelines/language/base-model.js';
import { LANGID_MODEL } from '../../pipelines/language/identify.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';

/** A node that has trained nothing, for languages franc cannot tell apart: the shipped model decides. */
describe('a new node with the shipped language model', () => {
  let t: TestNode;
  let author: Volunteer;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['as', 'bn'] });
    author = await joinWithConsent(t.api);
  });
  afterAll(() => t.stop());

  it('names Assamese text Assamese, unflagged, and records the shipped model', async () => {
    const res = await t.api.post('/samples/text', { language: 'as', text: 'আমাৰ গাঁৱত এখন ডাঙৰ নদী আছে, আৰু তাত বহুত মাছ পোৱা যায়।' }, author.token);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.lid).toMatchObject({ code: 'asm', mismatch: null, model: `${LANGID_MODEL}+${baseLanguageModel().meta.version}` });
  });

  it('flags Bengali text declared as Assamese', async () => {
    const res = await t.api.post('/samples/text', { language: 'as', text: 'আমাদের গ্রামে একটি বড় নদী আছে, এবং সেখানে অনেক মাছ পাওয়া যায়।' }, author.token);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.lid).toMatchObject({ code: 'ben', mismatch: 'language' });
  });
});
