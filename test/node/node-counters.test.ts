import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';

// What /stats and the validation queue read is kept by triggers (migrations 012, 013) rather than
// counted from every sample on each request. Whatever volunteers do, it must equal a count from
// scratch.
describe('counts the database keeps for /stats and the validation queue', () => {
  let t: TestNode;
  const writers: Volunteer[] = [];
  const validators: Volunteer[] = [];

  beforeAll(async () => {
    t = await startTestNode({ languages: ['sw', 'yo'] });
    for (let w = 0; w < 3; w++) writers.push(await joinWithConsent(t.api));
    for (let v = 0; v < 3; v++) validators.push(await joinWithConsent(t.api));
  });
  afterAll(() => t?.stop());

  const fromScratch = () =>
    t.inspect((db) => ({
      counts: db.prepare('SELECT language, modality, status, count(*) AS count FROM samples GROUP BY 1, 2, 3 ORDER BY 1, 2, 3').all(),
      kept: db.prepare('SELECT language, modality, status, count FROM sample_counts WHERE count > 0 ORDER BY 1, 2, 3').all(),
      people: db.prepare("SELECT language, contributor_id FROM samples WHERE status <> 'withdrawn' GROUP BY 1, 2 ORDER BY 1, 2").all(),
      keptPeople: db.prepare('SELECT language, contributor_id FROM language_contributors ORDER BY 1, 2').all(),
      headcounts: db
        .prepare("SELECT language, count(DISTINCT contributor_id) AS contributors FROM samples WHERE status <> 'withdrawn' GROUP BY 1 ORDER BY 1")
        .all(),
      keptHeadcounts: db.prepare('SELECT language, contributors FROM language_contributor_counts WHERE contributors > 0 ORDER BY 1').all(),
      wrongVotes: db
        .prepare("SELECT count(*) FROM samples s WHERE s.votes <> (SELECT count(*) FROM votes v WHERE v.sample_id = s.id AND v.value <> 'skip')")
        .pluck()
        .get(),
    }));

  it('match a count from scratch through writing, voting (skips included), deciding and withdrawing', async () => {
    const sentences = ['Habari za asubuhi rafiki yangu mpendwa', 'Watoto wanacheza mpira uwanjani leo', 'Mvua kubwa imenyesha usiku kucha jana',
      'Bawo ni o se wa loni ore mi', 'Mama anapika chakula kitamu jikoni', 'Soko la mjini limejaa watu wengi sana'];
    const ids: string[] = [];
    for (const [i, text] of sentences.entries()) {
      const language = text.startsWith('Bawo') ? 'yo' : i === 4 ? 'sw-KE' : 'sw';
      const written = await t.api.post('/samples/text', { language, text }, writers[i % 3]!.token);
      expect(written.status, JSON.stringify(written.body)).toBe(201);
      ids.push(written.body.id);
    }
    let state = fromScratch();
    expect(state.kept).toEqual(state.counts);
    expect(state.keptPeople).toEqual(state.people);
    expect(state.keptHeadcounts).toEqual(state.headcounts);
    // /stats: sw counts the people who wrote under sw or sw-KE once each.
    const before = (await t.api.get('/stats')).body.languages.find((l: { language: string }) => l.language === 'sw');
    expect(before.contributors).toBe(3);

    // Votes: the first sample gets two up votes (validated), the newest a skip and a down vote.
    for (const v of validators.slice(0, 2)) expect((await t.api.post(`/samples/${ids[0]}/votes`, { value: 'up' }, v.token)).status).toBe(201);
    expect((await t.api.post(`/samples/${ids[5]}/votes`, { value: 'skip' }, validators[0]!.token)).status).toBe(201);
    expect((await t.api.post(`/samples/${ids[5]}/votes`, { value: 'down' }, validators[1]!.token)).status).toBe(201);
    state = fromScratch();
    expect(state.wrongVotes).toBe(0);
    expect(state.kept).toEqual(state.counts);

    // The queue serves the most voted first, then the oldest, across the tags of one language:
    // the newest sample, the one with a vote (a skip does not count), leads for a new validator.
    const queue = await t.api.get('/samples/to-validate?lang=sw&modality=text', validators[2]!.token);
    expect(queue.body.samples.map((s: { id: string }) => s.id)).toEqual([ids[5], ids[1], ids[2], ids[4]]);

    // A writer withdraws: their samples leave the counts of people, and move status in the counts.
    expect((await t.api.delete(`/consents/${writers[0]!.consentRecordId}`, writers[0]!.token)).status).toBe(200);
    state = fromScratch();
    expect(state.kept).toEqual(state.counts);
    expect(state.keptPeople).toEqual(state.people);
    expect(state.keptPeople.some((p) => (p as { contributor_id: string }).contributor_id === writers[0]!.id)).toBe(false);
    expect(state.keptHeadcounts).toEqual(state.headcounts);
    const languages = (await t.api.get('/stats')).body.languages as Array<{ language: string; contributors: number }>;
    expect(languages.map((l) => [l.language, l.contributors])).toEqual([['sw', 2], ['yo', 0]]);
  });
});
