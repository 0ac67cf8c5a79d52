import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DsseEnvelope } from '../../pipelines/signing/dsse.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { seedReleaseData, type ReleaseData } from '../helpers/release-data.js';

const payload = (envelope: DsseEnvelope) => JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));

describe('withdrawal notices reveal what a trainer needs and nothing that links one person across datasets', () => {
  let t: TestNode;
  let data: ReleaseData;

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw'] });
    const admin = t.node.context.contributors.issueAdminToken().token;
    data = await seedReleaseData(t);
    for (const modality of ['text', 'speech']) {
      const built = await t.api.post('/admin/releases', { language: 'sw', modality }, admin);
      if (built.status !== 201) throw new Error(JSON.stringify(built.body));
    }
  }, 120_000);
  afterAll(() => t.stop());

  it('one notice per dataset, each with a random id, the day only, and one reason for erasure and withdrawal', async () => {
    const [erasing, withdrawing] = [data.speakers[0]!, data.speakers[1]!];
    expect((await t.api.delete('/me', erasing.token)).status).toBe(200);
    expect((await t.api.delete(`/consents/${withdrawing.consentRecordId}`, withdrawing.token)).status).toBe(200);

    const notices = (await t.api.get('/withdrawals?since=0')).body.notices.map((n: { envelope: DsseEnvelope }) => payload(n.envelope));
    expect(notices).toHaveLength(4);
    const today = new Date().toISOString().slice(0, 10);
    for (const notice of notices) {
      expect(Object.keys(notice).sort()).toEqual(['dataset', 'id', 'issued', 'node', 'reason', 'records', 'release', 'shards', 'type']);
      // A ULID would carry the millisecond of issue in its first ten characters.
      expect(notice.id).toMatch(/^[0-9a-f]{32}$/);
      expect([today, new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)]).toContain(notice.issued);
      expect(notice.reason).toBe('consent-withdrawn');
    }
    expect(new Set(notices.map((n: { id: string }) => n.id)).size).toBe(4);
    const erasedRecords = [...data.speech, ...data.text].filter((s) => s.speaker === erasing.id).map((s) => s.id);
    const ofErasure = notices.filter((n: { records: string[] }) => n.records.every((r) => erasedRecords.includes(r)));
    expect(ofErasure.map((n: { dataset: string }) => n.dataset).sort()).toEqual(['sw-speech', 'sw-text']);
  });
});
