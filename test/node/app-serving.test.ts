import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAppBuilt } from '../helpers/browser.js';
import { startTestNode, type TestNode } from '../helpers/node.js';

/** A GET that says it takes gzip (fetch would undo the encoding before the test could see it). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': 'gzip', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the node serves the contributor app compressed, and nothing else', () => {
  let t: TestNode;

  beforeAll(async () => {
    ensureAppBuilt();
    t = await startTestNode();
  }, 120_000);
  afterAll(() => t?.stop());

  it('gzips the app’s script and its translations for a client that takes gzip, bytes unchanged once inflated', async () => {
    for (const path of ['/app.js', '/locales/en/contribute.json']) {
      const plain = await get(t.url + path, { 'accept-encoding': 'identity' });
      const zipped = await get(t.url + path);
      expect(zipped.status, path).toBe(200);
      expect(zipped.headers['content-encoding'], path).toBe('gzip');
      expect(zipped.body.length, path).toBeLessThan(plain.body.length / 2);
      expect(gunzipSync(zipped.body).equals(plain.body), path).toBe(true);
    }
  });

  it('leaves API answers and the well-known document as they are', async () => {
    for (const path of ['/api/v1/prompts?lang=sw', '/.well-known/tributary.json', '/openapi.json']) {
      const answer = await get(t.url + path);
      expect(answer.headers['content-encoding'], path).toBeUndefined();
    }
  });
});
