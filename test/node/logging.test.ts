import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../server/core/log.js';
import { joinWithConsent, startTestNode, type TestNode } from '../helpers/node.js';

/** A node whose log lines land in memory, parsed. */
async function nodeLoggingTo(level: LogLevel) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const t = await startTestNode({}, { logger: createLogger({ service: 'node', level, destination: sink }) });
  return { t, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}

describe('logs', () => {
  let t: TestNode;
  afterEach(() => t?.stop());

  it('write a failure as one JSON line with its stack and request id, whatever the URL holds', async () => {
    const logged = await nodeLoggingTo('info');
    t = logged.t;
    const v = await joinWithConsent(t.api);
    t.node.context.validation.vote = () => {
      throw new Error('the disk caught fire');
    };
    // `%f` and `%s` were printf directives when the URL was the log's format string.
    const res = await fetch(`${t.url}/api/v1/samples/%25f%25s%25o/votes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'up' }),
    });
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(res.status).toBe(500);
    expect(body.error.code).toBe('Internal');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(JSON.stringify(body)).not.toContain('fire');

    const errors = logged.entries().filter((entry) => entry.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      service: 'node',
      msg: 'request failed',
      requestId: body.error.requestId,
      method: 'POST',
      path: '/api/v1/samples/%25f%25s%25o/votes',
      err: { message: 'the disk caught fire' },
    });
    expect(errors[0]!.err.stack).toContain('the disk caught fire');
    expect(logged.lines.join('\n')).not.toContain(v.token);
  });

  it('at debug level, write a line per request without its token, body or query', async () => {
    const logged = await nodeLoggingTo('debug');
    t = logged.t;
    const v = await joinWithConsent(t.api);
    const res = await fetch(`${t.url}/api/v1/samples/text?secret=query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json', 'x-request-id': 'proxy-given-id-42' },
      body: JSON.stringify({ language: 'sw', text: 'Siri yangu ya pekee iko hapa.' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('proxy-given-id-42');
    const line = logged.entries().find((entry) => entry.requestId === 'proxy-given-id-42');
    expect(line).toMatchObject({ level: 20, msg: 'request', method: 'POST', path: '/api/v1/samples/text', status: 201 });
    expect(typeof line!.ms).toBe('number');
    const all = logged.lines.join('\n');
    expect(all).not.toContain(v.token);
    expect(all).not.toContain('Siri yangu');
    expect(all).not.toContain('secret=query');
  });

  it('puts the request id in every error answer, and makes one up for a header that is not a plain token', async () => {
    const logged = await nodeLoggingTo('silent');
    t = logged.t;
    const res = await fetch(`${t.url}/api/v1/me`, { headers: { 'x-request-id': 'a b "{}" <script>' } });
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(res.status).toBe(401);
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(body.error.requestId);
  });
});
