import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../../server/core/ids.js';
import { initNode } from '../../server/node/init.js';
import { openTestContext } from '../helpers/node.js';
import type { NodeContext } from '../../server/node/context.js';
import type { Contributor } from '../../server/node/stores/contributors.js';
import type { NewSample } from '../../server/node/stores/samples.js';

describe('sample writer', () => {
  let dir: string;
  let context: NodeContext;
  let contributor: Contributor;
  let consentRecordId: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sample-writer-'));
    initNode(dir, { name: 'Writer test', languages: ['sw'] });
    context = openTestContext(dir);
    contributor = context.contributors.register({}).contributor;
    const notice = context.consent.notice('en');
    consentRecordId = context.consent.give(contributor, {
      noticeId: notice.id,
      noticeSha256: notice.sha256,
      purposes: [...context.config.consent.required],
    }).recordId;
  });
  afterEach(async () => {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const textSample = (text: string, overrides: Partial<NewSample> = {}): NewSample => ({
    id: newId(),
    contributorId: contributor.id,
    consentRecordId,
    modality: 'text',
    language: 'sw',
    iso639_3: 'swa',
    text,
    textKey: text.toLowerCase(),
    promptId: null,
    lid: null,
    audio: null,
    uploadId: null,
    license: 'CC-BY-4.0',
    createdAt: nowIso(),
    ...overrides,
  });
  const storedTexts = () => {
    // A connection of its own: what it reads was committed, not merely written.
    const reader = new Database(join(dir, 'node.sqlite'), { readonly: true });
    try {
      return reader.prepare("SELECT text FROM samples WHERE status = 'pending' ORDER BY id").pluck().all();
    } finally {
      reader.close();
    }
  };

  it('answers every sample of a burst only once it is committed', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `Sentensi namba ${i} ya majaribio.`);
    const stored = await Promise.all(texts.map((text) => context.writer.insert(textSample(text))));
    expect(stored.map((s) => [s.text, s.status])).toEqual(texts.map((text) => [text, 'pending']));
    expect(storedTexts()).toEqual(texts);
  });

  it('reports a text already on the node as a duplicate and stores it once', async () => {
    const [first, second] = await Promise.allSettled([
      context.writer.insert(textSample('Habari ya leo.')),
      context.writer.insert(textSample('Habari ya leo.')),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'DuplicateText' } });
    await expect(context.writer.insert(textSample('Habari ya leo.'))).rejects.toMatchObject({ code: 'DuplicateText' });
    expect(storedTexts()).toEqual(['Habari ya leo.']);
  });

  it('refuses a sample whose consent was withdrawn after the request checked it', async () => {
    const sample = textSample('Nimechelewa leo.');
    await context.consent.withdraw(contributor, consentRecordId, null);
    await expect(context.writer.insert(sample)).rejects.toMatchObject({ code: 'ConsentRequired' });
    expect(storedTexts()).toEqual([]);
  });

  it('fails only the broken sample of a batch', async () => {
    const outcomes = await Promise.allSettled([
      context.writer.insert(textSample('Moja.')),
      context.writer.insert(textSample('Mbili.', { contributorId: 'no-such-contributor' })),
      context.writer.insert(textSample('Tatu.')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toMatch(/FOREIGN KEY/);
    expect(storedTexts()).toEqual(['Moja.', 'Tatu.']);
  });

  it('finishes what it was handed before closing, and takes nothing after', async () => {
    const pending = context.writer.insert(textSample('Kabla ya kufunga.'));
    await context.writer.close();
    expect((await pending).status).toBe('pending');
    await expect(context.writer.insert(textSample('Baada ya kufunga.'))).rejects.toThrow(/closed/);
    expect(storedTexts()).toEqual(['Kabla ya kufunga.']);
  });
});
