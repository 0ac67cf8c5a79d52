import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../../server/core/ids.js';
import { initNode } from '../../server/node/init.js';
import { openTestContext } from '../helpers/node.js';
import type { NodeContext } from '../../server/node/context.js';
import { ReleaseSelection } from '../../server/node/stores/release-selection.js';

// Which samples a release may take (issue 4): validated ones only, none held by an open report,
// none whose consent was withdrawn or does not cover the purposes, at most N recordings of a
// sentence, the language and its regional variants.
describe('release selection', () => {
  let dir: string;
  let context: NodeContext;
  let volunteer: { id: string; consent: string };
  let reporter: string;
  const purposes = ['train-asr'];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-selection-'));
    initNode(dir, { name: 'Selection test', languages: ['sw'], url: 'http://127.0.0.1:9' });
    context = openTestContext(dir);
    const volunteerWithConsent = () => {
      const { contributor } = context.contributors.register({});
      const notice = context.consent.notice('en');
      const record = context.consent.give(contributor, { noticeId: notice.id, noticeSha256: notice.sha256, purposes: [...context.config.consent.required] });
      return { id: contributor.id, consent: record.recordId };
    };
    volunteer = volunteerWithConsent();
    reporter = volunteerWithConsent().id;
  });
  afterEach(async () => {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const prompt = () => {
    const id = newId();
    context.db
      .prepare("INSERT INTO prompts (id, language, text, text_key, license, status, created_at) VALUES (?, 'sw', ?, ?, 'CC0-1.0', 'accepted', ?)")
      .run(id, `Sentensi ${id}`, id, nowIso());
    return id;
  };
  const sample = (status: string, options: { promptId?: string; language?: string; consent?: string } = {}) => {
    const id = newId();
    context.db
      .prepare(
        `INSERT INTO samples (id, contributor_id, consent_record_id, modality, language, iso639_3, prompt_id, license, status, created_at)
         VALUES (?, ?, ?, 'speech', ?, 'swa', ?, ?, ?, ?)`,
      )
      .run(id, volunteer.id, options.consent ?? volunteer.consent, options.language ?? 'sw', options.promptId ?? prompt(), context.config.license, status, nowIso());
    return id;
  };
  const report = (sampleId: string, status: 'open' | 'dismissed' | 'upheld') =>
    context.db
      .prepare("INSERT INTO reports (id, sample_id, reporter_id, reason, status, created_at) VALUES (?, ?, ?, 'other', ?, ?)")
      .run(newId(), sampleId, reporter, status, nowIso());
  const selected = async (criteria: Partial<ConstructorParameters<typeof ReleaseSelection>[1]> = {}) => {
    const selection = new ReleaseSelection(context.db, {
      language: 'sw', modality: 'speech', license: context.config.license, purposes, maxPerSentence: 10, ...criteria,
    });
    try {
      selection.assign(new Map(selection.speakers().map((s) => [s.speaker, 'train'])));
      const ids: string[] = [];
      for await (const record of selection.records('train')) ids.push(record.id);
      return ids.sort();
    } finally {
      selection.dispose();
    }
  };

  it('takes validated samples only, and none an open report holds', async () => {
    const validated = sample('validated');
    const regional = sample('validated', { language: 'sw-KE' });
    sample('pending');
    sample('rejected');
    const heldByReport = sample('validated');
    report(heldByReport, 'open');
    const reportDismissed = sample('validated');
    report(reportDismissed, 'dismissed');
    sample('validated', { language: 'yo' });
    expect(await selected()).toEqual([validated, regional, reportDismissed].sort());
  });

  it('takes at most the cap of recordings of one sentence, the earliest first', async () => {
    const sentence = prompt();
    const recordings = Array.from({ length: 12 }, () => sample('validated', { promptId: sentence }));
    const other = sample('validated');
    expect(await selected()).toEqual([...recordings.slice(0, 10), other].sort());
    expect(await selected({ maxPerSentence: 3 })).toEqual([...recordings.slice(0, 3), other].sort());
  });

  it('leaves out samples whose consent is withdrawn or does not cover the release', async () => {
    const kept = sample('validated');
    expect(await selected()).toEqual([kept]);
    expect(await selected({ purposes: [...purposes, 'commercial-model'] })).toEqual([]);
    context.db.prepare('UPDATE consent_records SET withdrawn_at = ? WHERE id = ?').run(nowIso(), volunteer.consent);
    expect(await selected()).toEqual([]);
  });
});
