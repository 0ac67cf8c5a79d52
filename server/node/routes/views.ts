import { API_BASE } from '../paths.js';
import type { AccessGrant } from '../stores/access.js';
import type { Contributor } from '../stores/contributors.js';
import type { Prompt } from '../stores/prompts.js';
import type { Report } from '../stores/reports.js';
import type { Sample } from '../stores/samples.js';
import type { ConsentNotice } from '../services/consent-notices.js';
import type { LanguageStats } from '../services/stats.js';

/** Response shapes: what each kind of thing looks like on the wire, in one place. */
export const profile = (c: Contributor) => ({
  id: c.id,
  pseudonym: c.pseudonym,
  role: c.role,
  ageBand: c.ageBand,
  gender: c.gender,
  variant: c.variant,
  accent: c.accent,
  createdAt: c.createdAt,
});

export const sample = (s: Sample) => ({
  id: s.id,
  modality: s.modality,
  language: s.language,
  iso639_3: s.iso639_3,
  text: s.text,
  promptId: s.promptId,
  lid: s.lid,
  audio: s.audio && {
    url: `${API_BASE}/samples/${s.id}/audio`,
    type: 'audio/wav',
    facts: s.audio.facts,
  },
  // Why a validator might doubt this sample, from language ID and the audio pipeline.
  flags: [...(s.lid?.mismatch ? [`lid-${s.lid.mismatch}-mismatch`] : []), ...(s.audio?.flags ?? [])],
  status: s.status,
  createdAt: s.createdAt,
});

export const prompt = (p: Prompt) => ({
  id: p.id,
  language: p.language,
  text: p.text,
  source: p.source,
  license: p.license,
  status: p.status,
  createdAt: p.createdAt,
});

export const report = (r: Report) => ({
  id: r.id,
  sampleId: r.sampleId,
  promptId: r.promptId,
  reason: r.reason,
  detail: r.detail,
  status: r.status,
  createdAt: r.createdAt,
  resolvedAt: r.resolvedAt,
});

export const notice = (n: ConsentNotice) => ({ id: n.id, sha256: n.sha256, ...n.document });

/** A grant without its token hash, and only what the trainer gave (not, say, the terms flag they sent). */
export const grant = (g: AccessGrant) => ({
  id: g.id,
  datasetId: g.datasetId,
  name: g.name,
  contact: g.contact,
  purpose: g.purpose,
  status: g.status,
  createdAt: g.createdAt,
  decidedAt: g.decidedAt,
});

type Counts = Record<string, number>;
const sampleCounts = (c: Counts) => ({
  pending: c.pending ?? 0,
  validated: c.validated ?? 0,
  rejected: c.rejected ?? 0,
  withdrawn: c.withdrawn ?? 0,
});

export const languageStats = (s: LanguageStats) => ({
  language: s.language,
  samples: { text: sampleCounts(s.samples.text), speech: sampleCounts(s.samples.speech) },
  contributors: s.contributors,
  backlog: s.backlog,
  prompts: { pending: s.prompts.pending ?? 0, accepted: s.prompts.accepted ?? 0, rejected: s.prompts.rejected ?? 0 },
});
