import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCREENING } from '../../pipelines/audio/screen.js';
import { AnalysisPool } from '../../server/node/audio/analysis-pool.js';
import { audioFixtures } from '../fixtures/audio-fixtures.js';

describe('the analysis pool', () => {
  let pool: AnalysisPool;
  afterEach(() => pool.close());

  it('finishes every queued clip while the threads that ran the earlier ones are ended and replaced', async () => {
    // Every clip retires its thread: the harshest case of recycling after a large decode.
    pool = new AnalysisPool(1, 0);
    const bytes = new Uint8Array(readFileSync(audioFixtures().files['sw.ogg']));
    const results = await Promise.all(Array.from({ length: 5 }, () => pool.analyse({ bytes }, DEFAULT_SCREENING)));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    // And after the pool has gone quiet, the next clip still finds a thread.
    expect((await pool.analyse({ bytes }, DEFAULT_SCREENING)).ok).toBe(true);
  }, 120_000);
});
