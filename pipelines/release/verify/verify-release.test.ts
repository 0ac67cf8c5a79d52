import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { signedRelease, signManifest, shardReader } from '../../../test/fixtures/signed-release.js';
import { textRelease } from '../../../test/fixtures/sample-release.js';
import { KEY_ROTATION_PAYLOAD_TYPE } from '../../signing/key-rotation.js';
import { keyId } from '../../signing/keys.js';
import { buildManifest, manifestBytes } from '../manifest/croissant.js';
import { RELEASE_PROBLEMS } from './problems.js';
import { verifyRelease, VERIFY_RELEASE_VERSION, type ReleaseVerdict } from './verify-release.js';

// The sample release was published 2025-06-01 and expires 2026-06-01.
const DURING = new Date('2025-09-01T00:00:00Z');
const AFTER = new Date('2026-06-01T12:00:01Z');

const summary = (verdict: ReleaseVerdict) => verdict.checks.map((c) => [c.item, c.ok, c.problem]);
const jsonOf = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The release's envelope with its manifest changed after signing, re-signed by the same key. */
function resigned(change: (manifest: Record<string, any>) => void) {
  const release = signedRelease();
  const manifest = structuredClone(release.manifest) as Record<string, any>;
  change(manifest);
  return signManifest(manifestBytes(manifest), release, { key: release.signingKey });
}

describe('verifyRelease', () => {
  it('passes a release signed by a trusted key whose shards are intact, checking each in order', async () => {
    const release = signedRelease();
    const reader = shardReader(release.shards);
    const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys: release.trusted, openShard: reader.open, now: DURING });
    expect(verdict.ok).toBe(true);
    expect(verdict.problems).toEqual([]);
    expect(verdict.keyid).toBe(release.keyid);
    expect(verdict.verifier).toBe(VERIFY_RELEASE_VERSION);
    const names = [...release.shards.keys()].sort();
    expect(summary(verdict)).toEqual([
      ['envelope', true, null],
      ['signature', true, null],
      ['manifest', true, null],
      ['expiry', true, null],
      ...names.map((name) => [name, true, null]),
    ]);
    expect(reader.opened).toEqual(names);
    expect(verdict.manifest).toMatchObject({ nodeDid: 'did:web:sauti.example.org', datasetId: 'sw-speech', version: '2.0.0', rev: 3 });
    expect(verdict.manifest!.shards.map((s) => s.name)).toEqual(names);
    expect(Buffer.from(verdict.payload!)).toEqual(Buffer.from(release.envelope.payload, 'base64'));
  });

  it('reads what buildManifest writes: text, WebDataset, a did:key node, a first release', async () => {
    const variants = [
      signedRelease((r) => Object.assign(r, { ...textRelease(), shards: textRelease().shards })),
      signedRelease((r) => {
        r.shards = r.shards.map((s) => ({ ...s, name: s.name.replace('.parquet', '.tar'), encodingFormat: 'application/x-tar' }));
      }),
    ];
    for (const release of variants) {
      const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys: release.trusted, openShard: shardReader(release.shards).open, now: DURING });
      expect(verdict.checks.filter((c) => !c.ok)).toEqual([]);
      expect(verdict.ok).toBe(true);
    }
  });

  it('takes shards as Node streams', async () => {
    const release = signedRelease();
    const verdict = await verifyRelease(release.envelopeBytes, {
      trustedKeys: release.trusted,
      openShard: (name) => Readable.from([Buffer.from(release.shards.get(name)!)]),
      now: DURING,
    });
    expect(verdict.ok).toBe(true);
  });

  describe('the envelope', () => {
    const release = signedRelease();
    const run = (bytes: Uint8Array | string) => verifyRelease(bytes, { trustedKeys: release.trusted, openShard: () => null, now: DURING });

    it.each([
      ['not JSON', '{"payloadType":'],
      ['not UTF-8', Uint8Array.of(0x7b, 0xff, 0x7d)],
      ['a JSON array', '[]'],
      ['without signatures', JSON.stringify({ ...release.envelope, signatures: [] })],
      ['without a payload', JSON.stringify({ payloadType: release.envelope.payloadType, signatures: release.envelope.signatures })],
      ['with a signature lacking its keyid', JSON.stringify({ ...release.envelope, signatures: [{ sig: release.envelope.signatures[0]!.sig }] })],
    ])('refuses %s as EnvelopeMalformed, and checks nothing else', async (_, bytes) => {
      const verdict = await run(bytes);
      expect(verdict.ok).toBe(false);
      expect(summary(verdict)).toEqual([['envelope', false, 'EnvelopeMalformed']]);
      expect(verdict.manifest).toBeNull();
    });

    it('refuses an envelope of something else, even validly signed (ManifestPayloadType)', async () => {
      const other = signManifest(Buffer.from(release.envelope.payload, 'base64'), release, { key: release.signingKey, payloadType: KEY_ROTATION_PAYLOAD_TYPE });
      const verdict = await run(other.envelopeBytes);
      expect(summary(verdict)).toEqual([['envelope', false, 'ManifestPayloadType']]);
    });
  });

  describe('the signature', () => {
    it('trusts only the caller’s keys: another key is ManifestSignerUnknown, and no shard is read', async () => {
      const release = signedRelease();
      const stranger = createPublicKey(generateKeyPairSync('ed25519').privateKey);
      const reader = shardReader(release.shards);
      for (const trustedKeys of [new Map([[keyId(stranger), stranger]]), new Map()]) {
        const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys, openShard: reader.open, now: DURING });
        expect(summary(verdict)).toEqual([
          ['envelope', true, null],
          ['signature', false, 'ManifestSignerUnknown'],
        ]);
        expect(verdict.checks[1]!.detail).toContain(release.keyid);
      }
      expect(reader.opened).toEqual([]);
    });

    it('is not fooled by a keyid: a stranger signing under a trusted key’s id is ManifestSignatureInvalid', async () => {
      const release = signedRelease();
      const forged = signManifest(Buffer.from(release.envelope.payload, 'base64'), release, { keyid: release.keyid });
      const verdict = await verifyRelease(forged.envelopeBytes, { trustedKeys: release.trusted, openShard: () => null, now: DURING });
      expect(summary(verdict)).toEqual([
        ['envelope', true, null],
        ['signature', false, 'ManifestSignatureInvalid'],
      ]);
      expect(verdict.keyid).toBeNull();
    });

    it('catches one changed byte of the manifest (ManifestSignatureInvalid), and parses nothing unsigned', async () => {
      const release = signedRelease();
      const payload = Buffer.from(release.envelope.payload, 'base64');
      payload.writeUInt8(payload[200]! ^ 1, 200);
      const tampered = encode({ ...release.envelope, payload: payload.toString('base64') });
      const verdict = await verifyRelease(tampered, { trustedKeys: release.trusted, openShard: shardReader(release.shards).open, now: DURING });
      expect(verdict.problems).toEqual(['ManifestSignatureInvalid']);
      expect(verdict.manifest).toBeNull();
      expect(verdict.payload).toBeNull();
    });

    it('accepts a release signed before a key rotation when the caller trusts the old key too', async () => {
      const release = signedRelease();
      const current = createPublicKey(generateKeyPairSync('ed25519').privateKey);
      const trustedKeys = new Map([[keyId(current), current], ...release.trusted]);
      const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys, openShard: shardReader(release.shards).open, now: DURING });
      expect(verdict.ok).toBe(true);
      expect(verdict.keyid).toBe(release.keyid);
    });
  });

  describe('the manifest', () => {
    const broken: Array<[string, (manifest: Record<string, any>) => void, RegExp]> = [
      ['a shard without its sha256', (m) => void delete m.distribution[0].sha256, /distribution\.0\.sha256/],
      ['a shard without its size', (m) => void delete m.distribution[1].contentSize, /distribution\.1\.contentSize/],
      ['a size that is not "<n> B"', (m) => void (m.distribution[0].contentSize = '12 kB'), /contentSize/],
      ['a relative contentUrl (a node without a public URL)', (m) => void (m.distribution[0].contentUrl = '/api/v1/datasets/sw-speech/shards/x'), /contentUrl/],
      ['a shard path climbing out of the folder', (m) => void (m.distribution[0].name = '../../.ssh/authorized_keys'), /distribution\.0\.name/],
      ['an absolute shard path', (m) => void (m.distribution[0].name = '/etc/passwd'), /distribution\.0\.name/],
      ['no shard at all', (m) => void (m.distribution = m.distribution.filter((r: any) => r['@type'] !== 'cr:FileObject')), /no shard/],
      ['a shard listed twice', (m) => void m.distribution.push(m.distribution[0]), /twice/],
      ['no node DID', (m) => void delete m['tributary:nodeDid'], /tributary:nodeDid/],
      ['no expiry', (m) => void delete m['tributary:expires'], /tributary:expires/],
      ['a release version that is not the version', (m) => void (m['tributary:releaseVersion'] = '9.9.9'), /releaseVersion/],
      ['a record count that is not the shards’', (m) => void (m['tributary:records'] += 1), /tributary:records/],
      ['another type', (m) => void (m['@type'] = 'sc:CreativeWork'), /@type/],
    ];

    it.each(broken)('refuses a signed manifest with %s (ManifestMalformed), reading no shard', async (_, change, detail) => {
      const release = resigned(change);
      const reader = shardReader(release.shards);
      const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys: release.trusted, openShard: reader.open, now: DURING });
      expect(summary(verdict)).toEqual([
        ['envelope', true, null],
        ['signature', true, null],
        ['manifest', false, 'ManifestMalformed'],
      ]);
      expect(verdict.checks[2]!.detail).toMatch(detail);
      expect(reader.opened).toEqual([]);
    });

    it('refuses a signed payload that is not JSON', async () => {
      const release = signedRelease();
      const notJson = signManifest(new TextEncoder().encode('not json'), release, { key: release.signingKey });
      const verdict = await verifyRelease(notJson.envelopeBytes, { trustedKeys: release.trusted, openShard: () => null, now: DURING });
      expect(verdict.problems).toEqual(['ManifestMalformed']);
    });

    it('refuses a manifest naming another node than the one the caller asked about (ManifestWrongNode)', async () => {
      const release = signedRelease();
      const verdict = await verifyRelease(release.envelopeBytes, {
        trustedKeys: release.trusted,
        openShard: shardReader(release.shards).open,
        expectedDid: 'did:web:other.example.org',
        now: DURING,
      });
      expect(verdict.problems).toEqual(['ManifestWrongNode']);
      expect(verdict.ok).toBe(false);
      const right = await verifyRelease(release.envelopeBytes, {
        trustedKeys: release.trusted,
        openShard: shardReader(release.shards).open,
        expectedDid: 'did:web:sauti.example.org',
        now: DURING,
      });
      expect(right.ok).toBe(true);
    });

    it('refuses an expired manifest (ManifestExpired) and still checks every shard', async () => {
      const release = signedRelease();
      const reader = shardReader(release.shards);
      const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys: release.trusted, openShard: reader.open, now: AFTER });
      expect(verdict.ok).toBe(false);
      expect(verdict.problems).toEqual(['ManifestExpired']);
      expect(verdict.checks.find((c) => c.kind === 'expiry')).toMatchObject({ ok: false, detail: 'expired 2026-06-01T12:00:00.000Z' });
      expect(reader.opened).toHaveLength(release.shards.size);
      expect(verdict.manifest).not.toBeNull();
    });
  });

  it('checks an unsigned copy of the manifest against the signed bytes (ManifestCopyDiffers); an absent copy is fine', async () => {
    const release = signedRelease();
    const signedBytes = Buffer.from(release.envelope.payload, 'base64');
    const run = (bytes: Uint8Array | null) =>
      verifyRelease(release.envelopeBytes, {
        trustedKeys: release.trusted,
        openShard: shardReader(release.shards).open,
        publishedCopy: { name: 'croissant.json', bytes },
        now: DURING,
      });
    const same = await run(signedBytes);
    expect(same.ok).toBe(true);
    expect(same.checks.find((c) => c.kind === 'copy')).toMatchObject({ item: 'croissant.json', ok: true });
    const edited = Buffer.from(signedBytes.toString('utf8').replace('Sauti ya Kiswahili', 'Sauti ya Kiswahili!'));
    const differs = await run(edited);
    expect(differs.ok).toBe(false);
    expect(differs.problems).toEqual(['ManifestCopyDiffers']);
    const absent = await run(null);
    expect(absent.ok).toBe(true);
    expect(absent.checks.some((c) => c.kind === 'copy')).toBe(false);
  });

  describe('the shards', () => {
    it('reports each shard that is missing, changed, short, long or unreadable, all in one verdict', async () => {
      const release = signedRelease();
      const [missing, changed, short, long] = [...release.shards.keys()].sort();
      const shards = new Map(release.shards);
      shards.delete(missing!);
      const flipped = new Uint8Array(shards.get(changed!)!);
      flipped[500] = flipped[500]! ^ 1;
      shards.set(changed!, flipped);
      shards.set(short!, shards.get(short!)!.subarray(1));
      const longer = new Uint8Array([...shards.get(long!)!, 0]);
      shards.set(long!, longer);
      const verdict = await verifyRelease(release.envelopeBytes, { trustedKeys: release.trusted, openShard: shardReader(shards).open, now: DURING });
      expect(verdict.ok).toBe(false);
      expect(summary(verdict).slice(4)).toEqual([
        [missing, false, 'ShardMissing'],
        [changed, false, 'ShardHashMismatch'],
        [short, false, 'ShardSizeMismatch'],
        [long, false, 'ShardSizeMismatch'],
      ]);
      expect(verdict.problems).toEqual(['ShardMissing', 'ShardHashMismatch', 'ShardSizeMismatch']);
      expect(verdict.checks.find((c) => c.item === short)!.detail).toMatch(/^\d+ bytes, the manifest says \d+$/);
    });

    it('stops reading a shard once it is longer than the manifest says', async () => {
      const release = signedRelease();
      const [first] = [...release.shards.keys()].sort();
      const declared = release.shards.get(first!)!.length;
      let served = 0;
      let closed = false;
      const endless = async function* () {
        try {
          for (;;) {
            served += 100;
            yield new Uint8Array(100);
          }
        } finally {
          closed = true;
        }
      };
      const reader = shardReader(release.shards);
      const verdict = await verifyRelease(release.envelopeBytes, {
        trustedKeys: release.trusted,
        openShard: (name) => (name === first ? endless() : reader.open(name)),
        now: DURING,
      });
      expect(verdict.checks.find((c) => c.item === first)).toMatchObject({ problem: 'ShardSizeMismatch', detail: `larger than the manifest's ${declared} bytes` });
      expect(served).toBeLessThanOrEqual(declared + 100);
      expect(closed).toBe(true);
    });

    it('reports a shard that fails while it is read (ShardUnreadable) and goes on with the others', async () => {
      const release = signedRelease();
      const [first] = [...release.shards.keys()].sort();
      const reader = shardReader(release.shards);
      const failing = async function* () {
        yield new Uint8Array(10);
        throw new Error('connection reset');
      };
      const verdict = await verifyRelease(release.envelopeBytes, {
        trustedKeys: release.trusted,
        openShard: (name) => (name === first ? failing() : reader.open(name)),
        now: DURING,
      });
      expect(verdict.checks.find((c) => c.item === first)).toMatchObject({ ok: false, problem: 'ShardUnreadable', detail: 'could not be read: connection reset' });
      expect(verdict.checks.filter((c) => c.kind === 'shard' && c.ok)).toHaveLength(release.shards.size - 1);
    });

    it('reports an openShard that throws as ShardUnreadable', async () => {
      const release = signedRelease();
      const verdict = await verifyRelease(release.envelopeBytes, {
        trustedKeys: release.trusted,
        openShard: async () => {
          throw new Error('EACCES');
        },
        now: DURING,
      });
      expect(verdict.problems).toEqual(['ShardUnreadable']);
    });
  });

  it('gives a verdict, never an exception, for whatever bytes it is handed', async () => {
    const release = signedRelease();
    const inputs = [
      '',
      'null',
      '"text"',
      '{"payloadType":1,"payload":2,"signatures":3}',
      JSON.stringify({ ...release.envelope, payload: '!!!not base64!!!' }),
      JSON.stringify({ ...release.envelope, signatures: [{ keyid: release.keyid, sig: 'AAAA' }] }),
      new Uint8Array(1000).fill(0x5b),
    ];
    for (const input of inputs) {
      const verdict = await verifyRelease(input, { trustedKeys: release.trusted, openShard: () => null, now: DURING });
      expect(verdict.ok).toBe(false);
      expect(verdict.problems.length).toBeGreaterThan(0);
      for (const problem of verdict.problems) expect(RELEASE_PROBLEMS).toContain(problem);
    }
  });

  it('reads the bytes a node writes as croissant.dsse.json', async () => {
    const release = signedRelease();
    expect(jsonOf(release.envelopeBytes)).toEqual(release.envelope);
    expect(Buffer.from(release.envelope.payload, 'base64')).toEqual(Buffer.from(manifestBytes(buildManifest(release.description))));
  });
});
