import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFiles, type DownloadFile } from '../../server/trainer/download.js';

/**
 * What the downloader does with answers a Tributary node never gives but a proxy, a CDN or a
 * broken node might: Range ignored or answered wrongly, 5xx, a connection cut mid-body, a
 * `.part` that is too long or holds other bytes. A small HTTP server plays each part; the real
 * node's behaviour is covered in download.test.ts.
 */
const body = randomBytes(300 * 1024);
const digest = createHash('sha256').update(body).digest('hex');

type Behaviour = (req: IncomingMessage, res: ServerResponse, request: number) => void;

/** Serves `body` as a node does: 200, or 206 for `Range: bytes=N-`. */
const honest: Behaviour = (req, res) => {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (match) {
    const start = Number(match[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length }).end(body);
};

describe('the downloader against misbehaving servers', () => {
  let server: Server;
  let base: string;
  let behaviour: Behaviour = honest;
  let requests: Array<{ range: string | undefined; authorization: string | undefined }> = [];
  let dir: string;
  let file: DownloadFile;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ range: req.headers.range, authorization: req.headers.authorization });
      behaviour(req, res, requests.length);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'tributary-protocol-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    behaviour = honest;
    requests = [];
    const path = join(dir, randomBytes(4).toString('hex'), 'data', 'train-00000-of-00001.parquet');
    file = { url: `${base}/shard`, sha256: digest, size: body.length, path };
  });

  const partWith = (bytes: Uint8Array) => {
    mkdirSync(join(file.path, '..'), { recursive: true });
    writeFileSync(`${file.path}.part`, bytes);
  };
  const downloaded = () => readFileSync(file.path).equals(body);

  it('sends the token, and resumes a .part with Range', async () => {
    partWith(body.subarray(0, 1000));
    const report = await downloadFiles([{ ...file, token: 'secret' }]);
    expect(report.files[0]).toMatchObject({ ok: true, status: 'downloaded', resumedFrom: 1000, attempts: 1 });
    expect(requests).toEqual([{ range: 'bytes=1000-', authorization: 'Bearer secret' }]);
    expect(downloaded()).toBe(true);
  });

  it('starts from byte 0 when the server ignores Range and sends the whole file', async () => {
    behaviour = (req, res) => res.writeHead(200, { 'content-length': body.length }).end(body);
    partWith(body.subarray(0, 5000));
    const report = await downloadFiles([file]);
    expect(report.files[0]).toMatchObject({ ok: true, attempts: 1 });
    expect(requests.map((r) => r.range)).toEqual(['bytes=5000-']);
    expect(downloaded()).toBe(true);
  });

  it('starts from byte 0 when the server answers another range than the one asked for', async () => {
    behaviour = (req, res, n) => {
      if (n === 1) {
        res.writeHead(206, { 'content-range': `bytes 0-${body.length - 1}/${body.length}` }).end(body);
        return;
      }
      honest(req, res, n);
    };
    partWith(body.subarray(0, 5000));
    const report = await downloadFiles([file], { backoffMs: 1 });
    expect(report.files[0]).toMatchObject({ ok: true, attempts: 2 });
    expect(requests.map((r) => r.range)).toEqual(['bytes=5000-', undefined]);
    expect(downloaded()).toBe(true);
  });

  it('retries 5xx with backoff, and continues after a connection cut mid-body with Range', async () => {
    behaviour = (req, res, n) => {
      if (n <= 2) {
        res.writeHead(503).end();
        return;
      }
      if (n === 3) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 100 * 1024), () => res.destroy());
        return;
      }
      honest(req, res, n);
    };
    const report = await downloadFiles([file], { backoffMs: 1 });
    expect(report.files[0]).toMatchObject({ ok: true, attempts: 4 });
    // The rest of what had arrived before the cut (all of it, unless the reset lost every byte).
    const resumedAt = requests[3]!.range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(requests[3]!.range)![1]);
    expect(resumedAt).toBeLessThanOrEqual(100 * 1024);
    expect(downloaded()).toBe(true);
  });

  it('gives up after the retries it was allowed, keeping the .part for a later run', async () => {
    behaviour = (req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 50 * 1024), () => res.destroy());
        return;
      }
      res.writeHead(502).end();
    };
    const report = await downloadFiles([file], { retries: 2, backoffMs: 1 });
    expect(report.files[0]).toMatchObject({ ok: false, code: 'DownloadFailed', attempts: 3 });
    expect(existsSync(file.path)).toBe(false);
    // What arrived before the cut (a reset connection may lose the last bytes sent) is kept.
    const part = readFileSync(`${file.path}.part`);
    expect(part.length).toBeLessThanOrEqual(50 * 1024);
    expect(part.equals(body.subarray(0, part.length))).toBe(true);

    behaviour = honest;
    const later = await downloadFiles([file]);
    expect(later.files[0]).toMatchObject({ ok: true, resumedFrom: part.length });
    expect(downloaded()).toBe(true);
  });

  it('restarts a .part longer than the file, and one whose bytes are not the file’s beginning', async () => {
    partWith(Buffer.concat([body, Buffer.from('extra')]));
    const long = await downloadFiles([file]);
    expect(long.files[0]).toMatchObject({ ok: true, resumedFrom: 0 });
    expect(requests.map((r) => r.range)).toEqual([undefined]);
    expect(downloaded()).toBe(true);

    rmSync(file.path);
    requests = [];
    partWith(randomBytes(2000));
    const foreign = await downloadFiles([file]);
    // Resumed, found wrong once whole, fetched again from byte 0.
    expect(foreign.files[0]).toMatchObject({ ok: true, resumedFrom: 2000, attempts: 2 });
    expect(requests.map((r) => r.range)).toEqual(['bytes=2000-', undefined]);
    expect(downloaded()).toBe(true);
  });

  it('replaces a wrong file in place, and refuses a server whose bytes never match', async () => {
    mkdirSync(join(file.path, '..'), { recursive: true });
    writeFileSync(file.path, 'not the shard');
    const replaced = await downloadFiles([file]);
    expect(replaced.files[0]).toMatchObject({ ok: true, status: 'downloaded' });
    expect(downloaded()).toBe(true);

    rmSync(file.path);
    const other = randomBytes(body.length);
    behaviour = (req, res) => res.writeHead(200, { 'content-length': other.length }).end(other);
    const refused = await downloadFiles([file]);
    expect(refused.files[0]).toMatchObject({ ok: false, code: 'DownloadHashMismatch', attempts: 1 });
    expect(existsSync(file.path)).toBe(false);
    expect(existsSync(`${file.path}.part`)).toBe(false);
  });

  it('stops reading a server that sends more than the manifest’s size', async () => {
    behaviour = (req, res) => res.end(Buffer.concat([body, body])); // chunked: no Content-Length to refuse early
    const report = await downloadFiles([file]);
    expect(report.files[0]).toMatchObject({ ok: false, code: 'DownloadSizeMismatch', attempts: 1 });
    expect(existsSync(`${file.path}.part`)).toBe(false);
  });

  it('reports a refusal with the server’s error code, or DownloadRefused when it gives none', async () => {
    behaviour = (req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NotFound', message: 'No such shard.' } }));
    const coded = await downloadFiles([file]);
    expect(coded.files[0]).toMatchObject({ ok: false, code: 'NotFound', httpStatus: 404, attempts: 1 });

    behaviour = (req, res) => res.writeHead(403).end('<html>Forbidden</html>');
    const plain = await downloadFiles([file]);
    expect(plain.files[0]).toMatchObject({ ok: false, code: 'DownloadRefused', httpStatus: 403, attempts: 1 });
  });

  it('refuses a list it cannot follow before downloading anything', async () => {
    await expect(downloadFiles([file, { ...file }])).rejects.toMatchObject({ code: 'InvalidDownloadList' });
    await expect(downloadFiles([{ ...file, sha256: 'ABC' }])).rejects.toMatchObject({ code: 'InvalidDownloadList' });
    await expect(downloadFiles([{ ...file, url: 'file:///etc/passwd' }])).rejects.toMatchObject({ code: 'InvalidDownloadList' });
    expect(requests).toEqual([]);
  });
});
