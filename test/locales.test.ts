import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIO_PROBLEMS } from '../pipelines/audio/screen.js';
import { TEXT_PROBLEMS } from '../pipelines/text/check.js';
import * as signingErrors from '../pipelines/signing/errors.js';
import * as shardErrors from '../pipelines/release/shards/errors.js';
import * as transparencyErrors from '../pipelines/transparency/errors.js';
import { InvalidReleaseError } from '../pipelines/release/manifest/release-schema.js';
import { RELEASE_PROBLEMS } from '../pipelines/release/verify/problems.js';
import { BlobNotFoundError } from '../server/core/blob-store.js';
import * as coreErrors from '../server/core/errors.js';
import { RangeNotSatisfiableError } from '../server/core/send-blob.js';
import { PeerUnreachableError } from '../server/core/http-client.js';
import * as indexErrors from '../server/index/errors.js';
import { INDEX_STATUSES } from '../server/index/errors.js';
import * as nodeErrors from '../server/node/errors.js';
import * as trainerErrors from '../server/trainer/errors.js';
import { NODE_STATUSES } from '../server/node/errors.js';
import { localesDir } from '../server/node/paths.js';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const variables = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]).sort();
const locales = readdirSync(localesDir).filter((name) => !name.includes('.'));
const namespaces = readdirSync(join(localesDir, 'en')).filter((f) => f.endsWith('.json') && f !== 'consent.json');

describe('locales', () => {
  it('has English and at least two other locales', () => {
    expect(locales).toContain('en');
    expect(locales.length).toBeGreaterThanOrEqual(3);
  });

  for (const locale of locales.filter((l) => l !== 'en')) {
    for (const namespace of namespaces) {
      it(`${locale}/${namespace} has every English key with the same {{variables}}`, () => {
        const file = join(localesDir, locale, namespace);
        expect(existsSync(file), `${file} is missing`).toBe(true);
        const english = flatten(JSON.parse(readFileSync(join(localesDir, 'en', namespace), 'utf8')));
        const translated = flatten(JSON.parse(readFileSync(file, 'utf8')));
        expect([...translated.keys()].sort()).toEqual([...english.keys()].sort());
        for (const [key, text] of english) {
          expect(variables(translated.get(key) ?? ''), `${locale}/${namespace}:${key}`).toEqual(variables(text));
        }
      });
    }
  }

  it('explains every error code, of every service and pipeline, and the node answers each with a status', () => {
    const english = flatten(JSON.parse(readFileSync(join(localesDir, 'en', 'errors.json'), 'utf8')));
    const classes = [coreErrors, nodeErrors, trainerErrors, indexErrors, signingErrors, shardErrors, transparencyErrors, { InvalidReleaseError, RangeNotSatisfiableError, BlobNotFoundError, PeerUnreachableError }]
      .flatMap((module) => Object.values(module));
    const codes = classes
      .map((value) => (value as { code?: unknown }).code)
      .filter((code): code is string => typeof code === 'string');
    expect(codes.length).toBeGreaterThan(40);
    codes.push(...TEXT_PROBLEMS, ...AUDIO_PROBLEMS, ...RELEASE_PROBLEMS, ...Object.keys(NODE_STATUSES), ...Object.keys(INDEX_STATUSES), 'Internal');
    for (const code of codes) expect(english.has(code), `errors:${code}`).toBe(true);
    // Every code a node's own services throw has a status; pipeline codes reaching HTTP are bugs (500).
    for (const code of [...Object.values(nodeErrors), ...Object.values(coreErrors)].map((v) => (v as { code?: unknown }).code)) {
      if (typeof code === 'string' && code !== 'InvalidConfig') expect(NODE_STATUSES[code], code).toBeGreaterThanOrEqual(400);
    }
    // And every code the index's services throw.
    for (const code of [...Object.values(indexErrors), ...Object.values(coreErrors)].map((v) => (v as { code?: unknown }).code)) {
      if (typeof code === 'string' && code !== 'InvalidConfig') expect(INDEX_STATUSES[code], code).toBeGreaterThanOrEqual(400);
    }
  });
});
