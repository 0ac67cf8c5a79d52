import { TRIBUTARY_NS } from './context.js';
import type { ReleaseDescription, UsageAction, UsageDuty } from './types.js';
import { USAGE_ACTIONS, USAGE_DUTIES } from './types.js';

/**
 * Usage terms as an ODRL 2.2 policy.
 *
 * Actions. ODRL's common vocabulary has `use` (anything), `distribute` and a few media actions,
 * but nothing for training or evaluating a model. Mapping `train` to `odrl:use` would grant every
 * use; refining `odrl:use` with an `odrl:purpose` constraint would still need our own purpose
 * IRIs and makes the index's "permits ACTION" search a walk through refinements. So train,
 * evaluate and commercial-model are actions of the Tributary profile (each understood as
 * `odrl:includedIn odrl:use`), and the policy names that profile. `redistribute` is exactly
 * `odrl:distribute` ("supply the asset to third parties"), so that standard action is used.
 * One IRI per action lets anyone match a permission by IRI equality.
 *
 * Duties. `attribute` is `odrl:attribute`, owed to the node (`odrl:attributedParty`).
 * `notify-use` is the profile's `tributary:notifyUse` (a narrowing of `odrl:inform`: tell the
 * community that its data went into a model), owed to the node (`odrl:informedParty`).
 *
 * Every permission is limited to the consent purposes the release was built for
 * (`odrl:purpose odrl:isAnyOf …`), and actions that are not permitted are stated as prohibitions,
 * so a reader does not have to know that an ODRL Offer forbids by omission.
 */
export const ACTION_IRIS: Readonly<Record<UsageAction, string>> = {
  train: 'tributary:train',
  evaluate: 'tributary:evaluate',
  'commercial-model': 'tributary:commercialModel',
  redistribute: 'odrl:distribute',
};

export const DUTY_IRIS: Readonly<Record<UsageDuty, string>> = {
  attribute: 'odrl:attribute',
  'notify-use': 'tributary:notifyUse',
};

const DUTY_PARTY: Readonly<Record<UsageDuty, string>> = {
  attribute: 'odrl:attributedParty',
  'notify-use': 'odrl:informedParty',
};

/** IRI of a consent purpose id (train-asr, evaluate, …) in the Tributary vocabulary. */
export function purposeIri(purpose: string): string {
  return `tributary:purpose-${purpose}`;
}

/** The ODRL Offer for a release. `policyId` is its uid (a Croissant-style local id). */
export function usagePolicy(release: ReleaseDescription, policyId: string): Record<string, unknown> {
  const node = { '@id': release.node.did };
  const duties = USAGE_DUTIES.filter((duty) => release.usage.duties.includes(duty)).map((duty) => ({
    '@type': 'odrl:Duty',
    'odrl:action': { '@id': DUTY_IRIS[duty] },
    [DUTY_PARTY[duty]]: node,
  }));
  const purposeConstraint = {
    '@type': 'odrl:Constraint',
    'odrl:leftOperand': { '@id': 'odrl:purpose' },
    'odrl:operator': { '@id': 'odrl:isAnyOf' },
    'odrl:rightOperand': [...release.usage.purposes].sort().map((purpose) => ({ '@id': purposeIri(purpose) })),
  };

  const permitted = USAGE_ACTIONS.filter((action) => release.usage.permitted.includes(action));
  const prohibited = USAGE_ACTIONS.filter((action) => !release.usage.permitted.includes(action));
  const policy: Record<string, unknown> = {
    '@id': policyId,
    '@type': ['odrl:Offer', 'sc:CreativeWork'],
    name: `Usage terms of ${release.name} ${release.version}`,
    'odrl:profile': { '@id': TRIBUTARY_NS },
    'odrl:assigner': node,
    'odrl:permission': permitted.map((action) => ({
      '@type': 'odrl:Permission',
      'odrl:action': { '@id': ACTION_IRIS[action] },
      'odrl:constraint': [purposeConstraint],
      ...(duties.length > 0 ? { 'odrl:duty': duties } : {}),
    })),
  };
  if (prohibited.length > 0) {
    policy['odrl:prohibition'] = prohibited.map((action) => ({
      '@type': 'odrl:Prohibition',
      'odrl:action': { '@id': ACTION_IRIS[action] },
    }));
  }
  return policy;
}

const PURPOSE_PREFIX = purposeIri('');

/**
 * The purposes a manifest's ODRL `train` permission is limited to: the `odrl:purpose`
 * constraint's right operands that are Tributary purpose IRIs (tributary:purpose-train-asr →
 * train-asr). A permission without such a constraint names no purpose, so a search for one
 * (`permits=train-asr`) does not find it: a purpose is matched only where the terms state it.
 */
export function trainPurposes(doc: Record<string, unknown>): string[] {
  const policy = doc['odrl:hasPolicy'] as { 'odrl:permission'?: unknown } | undefined;
  const permissions = Array.isArray(policy?.['odrl:permission']) ? (policy['odrl:permission'] as unknown[]) : [];
  const purposes = new Set<string>();
  for (const permission of permissions) {
    const p = permission as { 'odrl:action'?: { '@id'?: unknown }; 'odrl:constraint'?: unknown } | null;
    if (p?.['odrl:action']?.['@id'] !== ACTION_IRIS.train) continue;
    const constraints = Array.isArray(p['odrl:constraint']) ? (p['odrl:constraint'] as unknown[]) : [];
    for (const constraint of constraints) {
      const c = constraint as { 'odrl:leftOperand'?: { '@id'?: unknown }; 'odrl:rightOperand'?: unknown } | null;
      if (c?.['odrl:leftOperand']?.['@id'] !== 'odrl:purpose') continue;
      const operands = Array.isArray(c['odrl:rightOperand']) ? c['odrl:rightOperand'] : [c['odrl:rightOperand']];
      for (const operand of operands) {
        const id = (operand as { '@id'?: unknown } | null)?.['@id'];
        if (typeof id === 'string' && id.startsWith(PURPOSE_PREFIX) && id.length <= PURPOSE_PREFIX.length + 60) {
          purposes.add(id.slice(PURPOSE_PREFIX.length));
        }
      }
    }
  }
  return [...purposes].sort();
}
