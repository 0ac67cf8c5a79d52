import { API_BASE } from '../../core/paths.js';
import type { Contributor } from '../stores/contributors.js';
import type { Prompt } from '../stores/prompts.js';
import type { Report } from '../stores/reports.js';
import type { Sample } from '../stores/samples.js';
import type { ConsentNotice } from '../services/consent-notices.js';

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
