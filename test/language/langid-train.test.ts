import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANGID_MODEL } from '../../pipelines/language/identify.js';
import { trainLanguageModel } from '../../pipelines/language/train.js';
import { LearnedModelFolder } from '../../server/node/services/node-language-id.js';
import { splitForTraining, udhrParagraphs } from '../fixtures/language/udhr.js';
import { runCli } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { validate } from '../helpers/release-data.js';

/** UDHR paragraphs cut at clause ends into sentences a node takes as prompts (≤ 125 characters, 14 words). */
function sentences(paragraphs: string[]): string[] {
  return paragraphs
    .flatMap((paragraph) => paragraph.split(/(?<=[.;:,])\s+/))
    .map((s) => s.replace(/[\d()]/g, '').replace(/\s+/g, ' ').trim())
    .filter((s) => s.length >= 25 && s.length <= 125 && s.split(' ').length <= 14);
}

describe('tributary langid train on a node', () => {
  // Kabyle: franc has no model of it. The node collects Kabyle and French.
  const kabyle = splitForTraining(udhrParagraphs('071'));
  const french = splitForTraining(udhrParagraphs('fra'));
  const english = sentences(udhrParagraphs('eng'));
  let t: TestNode;
  let admin: string;
  let author: Volunteer;
  let validators: Volunteer[];

  const lidOf = (id: string) =>
    t.inspect((db) => db.prepare('SELECT lid_code, lid_model, lid_mismatch FROM samples WHERE id = ?').get(id)) as {
      lid_code: string;
      lid_model: string;
      lid_mismatch: string | null;
    };
  const contribute = async (language: string, text: string) => {
    const res = await t.api.post('/samples/text', { language, text }, author.token);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    t = await startTestNode({ languages: ['kab', 'fr'], releases: { redactAfterSeconds: 86_400 } });
    admin = runCli(['admin', 'token', '--dir', t.dir]).stdout.trim();
    author = await joinWithConsent(t.api);
    validators = [await joinWithConsent(t.api), await joinWithConsent(t.api)];
  }, 60_000);
  afterAll(() => t.stop());

  it('learns from imported prompts and validated text, and the next contribution is identified and not flagged', async () => {
    for (const [language, paragraphs] of [['kab', kabyle.train], ['fr', french.train]] as const) {
      const imported = await t.api.post('/admin/prompts', { language, prompts: sentences(paragraphs).map((text) => ({ text })) }, admin);
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
      expect(imported.body.imported).toBeGreaterThan(40);
    }
    // Validated contributions count too.
    const validated: string[] = [];
    for (const text of sentences(kabyle.train).slice(0, 3)) {
      const id = await contribute('kab', `${text} ${text.split(' ')[0]}`);
      await validate(t, id, validators);
      validated.push(id);
    }

    // Before: the base cannot name Kabyle, nor question what is declared as Kabyle.
    const kabyleTest = sentences(kabyle.test);
    const before = await contribute('kab', kabyleTest[0]!);
    expect(lidOf(before)).toMatchObject({ lid_model: LANGID_MODEL, lid_mismatch: null });
    expect(lidOf(before).lid_code).not.toBe('kab');
    const englishBefore = await contribute('kab', english[5]!);
    expect(lidOf(englishBefore).lid_mismatch).toBeNull();

    const trained = runCli(['langid', 'train', '--dir', t.dir, '--json']);
    expect(trained.status, trained.stderr).toBe(0);
    const model = JSON.parse(trained.stdout);
    expect(model.version).toMatch(/^ngram-[0-9a-f]{12}$/);
    expect(model.labels.map((l: { tag: string }) => l.tag)).toEqual(['fr', 'kab']);
    expect(model.labels.find((l: { tag: string }) => l.tag === 'kab').examples).toBe(sentences(kabyle.train).length + validated.length);
    const recorded = `${LANGID_MODEL}+${model.version}`;

    // After, with the node still running: Kabyle is named, English declared as Kabyle is flagged.
    const after = await contribute('kab', kabyleTest[1]!);
    expect(lidOf(after)).toEqual({ lid_code: 'kab', lid_model: recorded, lid_mismatch: null });
    const englishAfter = await contribute('kab', english[6]!);
    expect(lidOf(englishAfter)).toMatchObject({ lid_code: 'eng', lid_model: recorded, lid_mismatch: 'language' });
    const frenchAfter = await contribute('fr', sentences(french.test)[0]!);
    expect(lidOf(frenchAfter)).toMatchObject({ lid_code: 'fra', lid_mismatch: null });

    // Rescoring brings the samples stored before up to the model.
    const rescored = runCli(['langid', 'rescore', '--dir', t.dir, '--json']);
    expect(rescored.status, rescored.stderr).toBe(0);
    expect(JSON.parse(rescored.stdout)).toMatchObject({ model: recorded, newlyFlagged: 1 });
    expect(lidOf(before)).toEqual({ lid_code: 'kab', lid_model: recorded, lid_mismatch: null });
    expect(lidOf(englishBefore).lid_mismatch).toBe('language');

    // The CLI's own answers use the node's model too.
    const asked = runCli(['langid', kabyleTest[2]!, '--dir', t.dir, '--json']);
    expect(JSON.parse(asked.stdout)).toMatchObject({ code: 'kab', model: recorded });

    // A text release names the model that identified its records.
    const built = await t.api.post('/admin/releases', { language: 'kab', modality: 'text' }, admin);
    expect(built.status, JSON.stringify(built.body)).toBe(201);
    const envelope = (await fetch(`${t.url}/api/v1/datasets/kab-text/manifest`).then((r) => r.json())) as { payload: string };
    const manifest = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    expect(manifest['tributary:pipeline']).toContainEqual({ '@type': 'tributary:PipelineStage', 'tributary:stage': 'langid', 'tributary:version': recorded });
  }, 120_000);

  it('says what is missing when there is too little text, and makes no model', async () => {
    const other = await startTestNode({ languages: ['kab'] });
    try {
      const refused = runCli(['langid', 'train', '--dir', other.dir]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('No language has the 20 texts training needs');
      expect(existsSync(join(other.dir, 'langid'))).toBe(false);
    } finally {
      await other.stop();
    }
  });
});

describe('a node folder’s learned models', () => {
  it('are picked up when the pointer changes, and a broken one is reported once and left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-models-'));
    try {
      const folder = new LearnedModelFolder(dir);
      const errors: Error[] = [];
      const onError = (error: Error) => errors.push(error);
      expect(folder.current(onError)).toBeUndefined();

      const kabyle = udhrParagraphs('071');
      const french = udhrParagraphs('fra');
      const model = await trainLanguageModel(
        [...kabyle.map((text) => ({ text, tag: 'kab' })), ...french.map((text) => ({ text, tag: 'fr' }))],
        { base: { candidates: ['kab', 'fr'] }, epochs: 1 },
      );
      const saved = folder.save(model);
      expect(saved).toBe(join(dir, 'langid', model.meta.version));
      expect(folder.current(onError)?.meta.version).toBe(model.meta.version);

      // Weights cut short: reported once, however often asked, and the base goes on alone.
      writeFileSync(join(saved, 'weights.bin'), readFileSync(join(saved, 'weights.bin')).subarray(8));
      writeFileSync(folder.pointerPath, JSON.stringify({ version: model.meta.version, since: 'again' }) + '\n');
      expect(folder.current(onError)).toBeUndefined();
      expect(folder.current(onError)).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/weights.bin has \d+ bytes/);

      // Saving again repairs it.
      folder.save(model);
      expect(folder.current(onError)?.meta.version).toBe(model.meta.version);
      expect(errors).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
