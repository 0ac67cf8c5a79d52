import { describe, expect, it } from 'vitest';
import { unionFeatures } from '../../server/trainer/card.js';
import { combineTerms } from '../../server/trainer/combined-terms.js';
import { usageTerms } from '../../server/trainer/manifest-facts.js';
import { purposeIri } from '../../pipelines/release/manifest/usage-policy.js';

/**
 * A manifest's ODRL policy as pipelines/release/manifest/usage-policy.ts writes it, with `duties`
 * on every permission and the purposes as an `odrl:purpose` constraint on each.
 */
function manifest(actions: string[], duties: string[], purposes: string[]): Record<string, unknown> {
  return {
    'tributary:consentPurposes': purposes,
    'odrl:hasPolicy': {
      '@type': ['odrl:Offer', 'sc:CreativeWork'],
      'odrl:permission': actions.map((action) => ({
        '@type': 'odrl:Permission',
        'odrl:action': { '@id': action },
        'odrl:duty': duties.map((duty) => ({ '@type': 'odrl:Duty', 'odrl:action': { '@id': duty } })),
        'odrl:constraint': [
          { 'odrl:leftOperand': { '@id': 'odrl:purpose' }, 'odrl:operator': { '@id': 'odrl:isAnyOf' }, 'odrl:rightOperand': purposes.map((p) => ({ '@id': purposeIri(p) })) },
        ],
      })),
    },
  };
}

describe('usage terms across sources', () => {
  it('reads permitted actions and duties from the ODRL policy, keeping a duty it does not know by its IRI', () => {
    const terms = usageTerms(
      manifest(['tributary:train', 'odrl:distribute', 'https://example.org/ns#dance'], ['tributary:notifyUse', 'odrl:attribute', 'https://example.org/ns#shareAlike'], ['train-asr']),
    );
    expect(terms).toEqual({ permitted: ['train', 'redistribute'], duties: ['attribute', 'notify-use', 'https://example.org/ns#shareAlike'], purposes: ['train-asr'] });
    expect(usageTerms({})).toEqual({ permitted: [], duties: [], purposes: [] });
  });

  it('takes purposes from the signed ODRL, as the index’s permits search does, not from the summary field', () => {
    const unsigned = { ...manifest(['tributary:train'], [], []), 'tributary:consentPurposes': ['train-asr'] };
    expect(usageTerms(unsigned).purposes).toEqual([]);
    expect(usageTerms(manifest(['tributary:train'], [], ['train-tts', 'train-asr'])).purposes).toEqual(['train-asr', 'train-tts']);
  });

  it('permits what every source permits and owes every source’s duties', () => {
    const combined = combineTerms([
      { id: 'a', terms: { permitted: ['train', 'evaluate', 'commercial-model'], duties: ['attribute'], purposes: [] } },
      { id: 'b', terms: { permitted: ['train', 'redistribute'], duties: ['notify-use', 'attribute'], purposes: [] } },
    ]);
    expect(combined.permitted).toEqual(['train']);
    expect(combined.notPermitted).toEqual([
      { action: 'evaluate', bySources: ['b'] },
      { action: 'commercial-model', bySources: ['b'] },
      { action: 'redistribute', bySources: ['a'] },
    ]);
    expect(combined.duties).toEqual([
      { duty: 'attribute', owedTo: ['a', 'b'] },
      { duty: 'notify-use', owedTo: ['b'] },
    ]);
  });

  it('refuses to put one column with two types in one config', () => {
    const text = { kind: 'value', dtype: 'string' } as const;
    expect(unionFeatures([
      { id: 'a', features: [{ name: 'key', feature: text }, { name: 'duration', feature: { kind: 'value', dtype: 'float64' } }] },
      { id: 'b', features: [{ name: 'key', feature: text }, { name: 'text', feature: text }] },
    ]).map((column) => column.name)).toEqual(['key', 'duration', 'text']);
    expect(() =>
      unionFeatures([
        { id: 'a', features: [{ name: 'duration', feature: { kind: 'value', dtype: 'float64' } }] },
        { id: 'b', features: [{ name: 'duration', feature: text }] },
      ]),
    ).toThrow(expect.objectContaining({ code: 'ShardFeaturesConflict' }));
  });
});
