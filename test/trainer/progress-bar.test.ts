import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { downloadProgressBar } from '../../server/trainer/progress-bar.js';

/** A stream that says it is a terminal (or not) and keeps what is written to it. */
function terminal(isTTY: boolean): { stream: NodeJS.WriteStream; written: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  Object.assign(stream, { isTTY, columns: 120 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, written: () => text };
}

describe('the download progress bar', () => {
  const steps = [
    { bytesDone: 0, bytesTotal: 4_000_000, filesDone: 0, filesTotal: 2 },
    { bytesDone: 2_000_000, bytesTotal: 4_000_000, filesDone: 1, filesTotal: 2 },
    { bytesDone: 4_000_000, bytesTotal: 4_000_000, filesDone: 2, filesTotal: 2 },
  ];

  it('draws on a terminal', async () => {
    const { stream, written } = terminal(true);
    const bar = downloadProgressBar({ json: false, stream });
    for (const step of steps) bar.update(step);
    bar.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toContain('100%');
    expect(written()).toContain('4.0/4.0 MB | 2/2 files');
  });

  it('writes nothing with --json or when the output is not a terminal', async () => {
    for (const [json, isTTY] of [[true, true], [false, false]] as const) {
      const { stream, written } = terminal(isTTY);
      const bar = downloadProgressBar({ json, stream });
      for (const step of steps) bar.update(step);
      bar.stop();
      await new Promise((resolve) => setImmediate(resolve));
      expect(written()).toBe('');
    }
  });
});
