import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everydaySentences } from '../fixtures/language/everyday-sentences.js';
import { cliArgv, runCli } from '../helpers/cli.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';
import { LANGID_MODEL } from '../../pipelines/language/identify.js';

describe('tributary langid --batch', () => {
  it('answers 1,000 JSON lines through a real process, streaming, in order, bad lines included', async () => {
    const texts = Object.entries(everydaySentences).flatMap(([code, list]) => list.map((text) => ({ code, text })));
    const inputs: string[] = [];
    for (let i = 0; inputs.length < 1000; i++) {
      if (i % 100 === 50) inputs.push(`{"id": ${i}, "text": `); // cut short: not JSON
      else if (i % 100 === 70) inputs.push(JSON.stringify({ id: `bad-${i}`, text: 42 }));
      else inputs.push(JSON.stringify({ id: i, text: texts[i % texts.length]!.text }));
    }
    const child = spawn(process.execPath, cliArgv(['langid', '--batch', '--candidates', 'sw,yo,ha,ig,zu,am', '--json']), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const out = createInterface({ input: child.stdout });
    const answers: any[] = [];
    const firstAnswer = new Promise<void>((resolve) => out.once('line', () => resolve()));
    out.on('line', (line) => answers.push(JSON.parse(line)));

    // Streaming: the first answer arrives while stdin is still open.
    child.stdin.write(inputs[0] + '\n');
    await firstAnswer;
    expect(answers).toHaveLength(1);
    child.stdin.end(inputs.slice(1).join('\n') + '\n');
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, stderr).toBe(0);

    expect(answers).toHaveLength(1000);
    const errors = answers.filter((a) => a.error);
    expect(errors).toHaveLength(20);
    expect(errors.find((e) => e.id === 'bad-70')).toMatchObject({ error: 'invalid-line', line: 71 });
    expect(errors.find((e) => e.line === 51)).toMatchObject({ id: null, error: 'invalid-json' });
    const good = answers.filter((a) => !a.error);
    expect(good.map((a) => a.id)).toEqual(inputs.map((line) => { try { return JSON.parse(line); } catch { return null; } }).filter((v) => v && typeof v.text === 'string').map((v) => v.id));
    for (const answer of good) {
      expect(Object.keys(answer)).toEqual(expect.arrayContaining(['id', 'code', 'bcp47', 'confidence', 'script', 'alternatives']));
      expect(answer.model).toBe(LANGID_MODEL);
    }
    const right = good.filter((a) => a.code === texts[a.id % texts.length]!.code);
    expect(right.length / good.length).toBeGreaterThan(0.6);
  }, 60_000);

  it('refuses a bad candidate tag', () => {
    const bad = runCli(['langid', 'Habari za asubuhi rafiki yangu', '--candidates', 'not a tag!']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('not a language tag');
  });
});

describe('tributary langid rescore', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.stop());

  it('re-runs LID on stored text samples, fixes stale flags and records the model', async () => {
    const author = await joinWithConsent(t.api);
    const swahili = 'Watoto wanacheza mpira nje ya nyumba yetu kila jioni.';
    const english = 'The children play football outside our house every evening.';
    const ids: string[] = [];
    for (const text of [swahili, english]) {
      const res = await t.api.post('/samples/text', { language: 'sw', text }, author.token);
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // As an older model might have left them: the Swahili one flagged, the English one not.
    ((db) => {
      db.prepare("UPDATE samples SET lid_model = 'franc-all@7.1.0+old', lid_mismatch = 'language', lid_code = 'eng' WHERE id = ?").run(ids[0]);
      db.prepare("UPDATE samples SET lid_model = 'franc-all@7.1.0+old', lid_mismatch = NULL, lid_code = 'swa' WHERE id = ?").run(ids[1]);
    })(t.node.context.db);

    const res = runCli(['langid', 'rescore', '--dir', t.dir, '--json']);
    expect(res.status, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({ model: LANGID_MODEL, scanned: 2, relabelled: 2, newlyFlagged: 1, unflagged: 1, unchanged: 0 });
    expect(summary.byLanguage).toEqual([{ language: 'sw', scanned: 2, flaggedBefore: 1, flaggedAfter: 1 }]);

    const rows = t.inspect((db) => db.prepare('SELECT id, lid_code, lid_model, lid_mismatch FROM samples ORDER BY id').all()) as any[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0])).toMatchObject({ lid_code: 'swa', lid_model: LANGID_MODEL, lid_mismatch: null });
    expect(byId.get(ids[1])).toMatchObject({ lid_code: 'eng', lid_model: LANGID_MODEL, lid_mismatch: 'language' });

    // Idempotent: a second run changes nothing, and the table form prints a summary.
    const again = runCli(['langid', 'rescore', '--dir', t.dir]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/scanned[\s\S]*2/);
    const second = JSON.parse(runCli(['langid', 'rescore', '--dir', t.dir, '--json']).stdout);
    expect(second).toMatchObject({ scanned: 2, relabelled: 0, newlyFlagged: 0, unflagged: 0, unchanged: 2 });
  }, 60_000);

  it('identifies among the node’s languages with --dir', () => {
    const res = runCli(['langid', 'Ọmọ náà lọ sí ilé ìwé ní àárọ̀ yìí pẹ̀lú àwọn ọ̀rẹ́ rẹ̀.', '--dir', t.dir, '--json']);
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ code: 'yor', bcp47: 'yo' });
  });
});
