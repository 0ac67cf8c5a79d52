import { K_ANONYMITY_THRESHOLD } from './demographics.js';
import { languageName } from './language-name.js';
import type { DemographicCell, ReleaseDescription, UsageAction } from './types.js';
import { DEMOGRAPHIC_FIELDS, USAGE_ACTIONS } from './types.js';

/**
 * The Croissant RAI 1.0 properties of a release. Facts that Tributary guarantees (how consent,
 * withdrawal, suppression and splits work) are written here once; what varies per release (how
 * data was collected and validated) comes from the operator's text in `release.collection`.
 */
export function raiProperties(release: ReleaseDescription, published: readonly DemographicCell[]): Record<string, unknown> {
  const speech = release.modality === 'speech';
  const purposes = [...release.usage.purposes].sort().join(', ');
  const language = languageName(release.language);
  const properties: Record<string, unknown> = {
    'rai:dataCollection':
      `${release.collection.method.trim()} Consent: ${release.collection.consent.trim()} ` +
      `Only validated records whose contributors' consent covers ${purposes} are included; withdrawn records and records under an unresolved report are left out.`,
    // RAI's recommended values; demographics are self-declared, hence Self-reporting.
    'rai:dataCollectionType': ['User-generated content data', 'Self-reporting'],
    'rai:dataPreprocessingProtocol': preprocessing(release),
    'rai:dataAnnotationProtocol': release.collection.validation.trim(),
    'rai:dataAnnotationPlatform': [`Tributary node "${release.node.name}" (${release.node.did}), contributor web app`],
    'rai:personalSensitiveInformation': sensitiveInformation(speech),
    'rai:dataUseCases': useCases(release),
    'rai:dataBiases': biases(release, published),
    'rai:dataLimitations': limitations(speech),
    'rai:dataReleaseMaintenancePlan': maintenancePlan(release),
    'rai:dataSocialImpact':
      `Collected and governed by the ${language}-speaking community that runs this node (CARE principles: the community decides what is released, under which terms, and can revoke or restrict it). ` +
      `It is meant to bring language technology to ${language} speakers. ` +
      (speech
        ? 'Voice data can also be used to imitate or identify speakers; uses outside the stated terms and consent purposes are not permitted.'
        : 'Text written by community members reflects their views and usage; uses outside the stated terms and consent purposes are not permitted.'),
  };
  const { startDate, endDate } = release.collection;
  if (startDate && endDate) properties['rai:dataCollectionTimeframe'] = [`${startDate}/${endDate}`];
  else if (startDate) properties['rai:dataCollectionTimeframe'] = [`${startDate}/..`];
  return properties;
}

function preprocessing(release: ReleaseDescription): string[] {
  const steps =
    release.modality === 'speech'
      ? [
          'Recordings are decoded, resampled to mono 16 kHz and screened for length, silence and clipping; clips that fail are refused at upload.',
          'Each clip is paired with the prompt sentence that was read; the declared language is the prompt language.',
        ]
      : ['Text is Unicode-normalised and checked against the language’s sentence rules; automatic language identification flags mismatches for validators, it never rejects silently.'];
  steps.push(
    'Splits are assigned deterministically and are speaker-disjoint; duplicates are capped.',
    `Pipeline stage versions: ${pipelineList(release.pipeline)}.`,
  );
  return steps;
}

export function pipelineList(pipeline: Record<string, string>): string {
  const stages = Object.keys(pipeline).sort();
  return stages.length === 0 ? 'none recorded' : stages.map((stage) => `${stage} ${pipeline[stage]}`).join('; ');
}

function sensitiveInformation(speech: boolean): string[] {
  const facts = [
    'speaker_id is a salted pseudonym, stable within this release; contributor accounts, consent records and names are never published.',
    `Self-declared demographics (age band, gender, variant, accent) are optional. The manifest gives them only as aggregates of at least ${K_ANONYMITY_THRESHOLD} speakers; smaller cells, and cells from which a smaller one could be derived, are suppressed.`,
    'Language: every record is in the declared language (BCP-47 tag in inLanguage).',
  ];
  facts.unshift(
    speech
      ? 'Voice recordings: a voice is personal data and can identify a speaker.'
      : 'Free text written by volunteers and reviewed by validators; it may still mention people or places.',
  );
  return facts;
}

const ACTION_TEXT: Readonly<Record<UsageAction, string>> = {
  train: 'Training models',
  evaluate: 'Evaluating models',
  'commercial-model': 'Building models used in commercial products',
  redistribute: 'Redistributing the data under its license',
};

function useCases(release: ReleaseDescription): string[] {
  const purposes = [...release.usage.purposes].sort().join(', ');
  const permitted = USAGE_ACTIONS.filter((action) => release.usage.permitted.includes(action));
  const refused = USAGE_ACTIONS.filter((action) => !release.usage.permitted.includes(action));
  const uses = permitted.map((action) => `${ACTION_TEXT[action]} (permitted; consent purposes: ${purposes}).`);
  if (refused.length > 0) uses.push(`Not permitted: ${refused.map((action) => ACTION_TEXT[action].toLowerCase()).join('; ')}.`);
  return uses;
}

function biases(release: ReleaseDescription, published: readonly DemographicCell[]): string[] {
  const found = [
    'Contributors are volunteers who chose to take part: people with internet access, literacy in the written form and time to contribute are over-represented.',
  ];
  if (release.modality === 'speech') {
    found.push('Speakers read prompt sentences aloud: vocabulary and register follow the node’s prompt collection, not spontaneous speech.');
  }
  const total = release.counts.speakers;
  const coverage = DEMOGRAPHIC_FIELDS.map((field) => {
    const covered = published.filter((cell) => cell.field === field).reduce((sum, cell) => sum + cell.speakers, 0);
    return `${field} ${covered} of ${total}`;
  });
  found.push(
    `Demographic coverage (speakers in published cells, per field): ${coverage.join('; ')}. The rest did not declare, or fall in suppressed cells.`,
  );
  return found;
}

function limitations(speech: boolean): string[] {
  return [
    'Validation is by community vote, not by expert annotation: some mistakes remain.',
    speech
      ? 'Recordings vary in microphone, room and noise; transcripts are the prompt text, not a verbatim transcription of what was said.'
      : 'Automatic language identification is advisory; short texts may be ambiguous.',
    'Records can be withdrawn by their contributors after publication: results are reproducible only against this release minus its withdrawal notices.',
  ];
}

// One text: RAI 1.0 allows a list, but mlcroissant reads this property as a single value and warns.
function maintenancePlan(release: ReleaseDescription): string {
  const plan = [
    `Maintained by the community running node "${release.node.name}" (${release.node.did}).`,
    'When a contributor withdraws, the node signs a withdrawal notice (record keys and shard sha256s) and sends it to the global index; trainers must drop those records (`tributary verify`). The next release without them is a new MAJOR version, and superseded shards answer 410 Gone.',
    `This manifest is revision ${release.rev} of version ${release.version}; it expires ${release.expires} and must be renewed by the node to stay current in the index.`,
  ];
  if (release.previousManifest) {
    plan.push(
      `It supersedes the manifest with sha256 ${release.previousManifest}; ${release.withdrawnSincePrevious} records were withdrawn since then.`,
    );
  }
  return plan.join(' ');
}
