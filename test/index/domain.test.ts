import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../pipelines/release/manifest/canonical-json.js';
import { storedEnvelope } from '../../server/index/domain/envelope.js';
import { feedEventSchema, leafOf } from '../../server/index/domain/feed-events.js';
import { isUnder } from '../../server/index/domain/urls.js';
import { defaultOrigin } from '../../server/index/config.js';

describe('the index’s plain rules', () => {
  it('takes a link as under a node’s URL only on the same origin and at or below its path', () => {
    const base = 'https://sauti.example.org/tributary';
    expect(isUnder('https://sauti.example.org/tributary/api/v1/datasets/sw-text/shards/data/train.parquet?version=1.0.0', base)).toBe(true);
    expect(isUnder('https://sauti.example.org/tributary', base)).toBe(true);
    expect(isUnder('https://sauti.example.org/tributary-evil/x', base)).toBe(false);
    expect(isUnder('https://sauti.example.org/other', base)).toBe(false);
    expect(isUnder('http://sauti.example.org/tributary/x', base)).toBe(false);
    expect(isUnder('https://sauti.example.org:8443/tributary/x', base)).toBe(false);
    expect(isUnder('https://evil.example/tributary/x', base)).toBe(false);
    expect(isUnder('https://user:pw@sauti.example.org/tributary/x', base)).toBe(false);
    expect(isUnder('https://sauti.example.org.evil.example/tributary/x', base)).toBe(false);
    expect(isUnder('not a url', base)).toBe(false);
    expect(isUnder('https://sauti.example.org/x', 'https://sauti.example.org')).toBe(true);
  });

  it('stores an envelope as its canonical JSON, so its sha256 does not depend on how the node spelt it', () => {
    const envelope = { payloadType: 'application/x', payload: 'e30=', signatures: [{ keyid: 'k', sig: 'c2ln' }] };
    const reordered = JSON.parse('{"signatures":[{"sig":"c2ln","keyid":"k"}],"payload":"e30=","payloadType":"application/x"}');
    expect(storedEnvelope(reordered)).toEqual(storedEnvelope(envelope));
    expect(storedEnvelope(envelope).body).toBe('{"payload":"e30=","payloadType":"application/x","signatures":[{"keyid":"k","sig":"c2ln"}]}');
  });

  it('logs each event as the canonical JSON of its declared fields', () => {
    const event = feedEventSchema.parse({ type: 'node.suspended', v: 1, at: '2027-01-01T00:00:00.000Z', node: 'did:web:a.example', reason: 'spam' });
    expect(leafOf(event)).toBe('{"at":"2027-01-01T00:00:00.000Z","node":"did:web:a.example","reason":"spam","type":"node.suspended","v":1}');
    expect(leafOf(event)).toBe(canonicalJson(JSON.parse(JSON.stringify(event))));
  });

  it('names a new index’s log after its URL', () => {
    expect(defaultOrigin('https://index.tributary.example/')).toBe('index.tributary.example/feed');
    expect(defaultOrigin('http://127.0.0.1:8090/tributary')).toBe('127.0.0.1:8090/tributary/feed');
  });
});
