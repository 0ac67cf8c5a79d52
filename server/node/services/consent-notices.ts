import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import type { NodeConfig } from '../config.js';
import { PURPOSES, type Purpose } from '../domain/purposes.js';

const localeNoticeSchema = z.object({
  version: z.string().min(1),
  title: z.string().min(1),
  text: z.string().min(1),
  purposes: z.record(z.string(), z.string()).default({}),
});

/** What a volunteer is shown and agrees to; its sha256 is taken over exactly this JSON. */
export interface ConsentNoticeDocument {
  language: string;
  version: string;
  title: string;
  text: string;
  purposes: Array<{ id: Purpose; label: string; dpv: string; required: boolean }>;
  license: string;
  controller: { name: string; jurisdiction: string; url: string | null };
}

export interface ConsentNotice {
  id: string;
  sha256: string;
  document: ConsentNoticeDocument;
  /** The exact bytes hashed, kept so the stored copy can be re-verified. */
  json: string;
}

export function buildNotice(
  language: string,
  source: z.infer<typeof localeNoticeSchema>,
  config: NodeConfig,
): ConsentNotice {
  const document: ConsentNoticeDocument = {
    language,
    version: source.version,
    title: source.title,
    text: source.text,
    purposes: config.consent.purposes.map((id) => ({
      id,
      label: source.purposes[id] ?? PURPOSES[id].label,
      dpv: PURPOSES[id].dpv,
      required: config.consent.required.includes(id),
    })),
    license: config.license,
    controller: { name: config.name, jurisdiction: config.jurisdiction, url: config.url ?? null },
  };
  const json = JSON.stringify(document);
  const sha256 = createHash('sha256').update(json).digest('hex');
  return { id: `${language}-${source.version}-${sha256.slice(0, 12)}`, sha256, document, json };
}

/**
 * The notices this node shows now: one per locale that ships a consent text, with node config
 * overrides taking precedence. A change to the node's terms (purposes, license) yields a new
 * notice id, so old consent records keep pointing at what their volunteer actually saw.
 */
export function loadNotices(config: NodeConfig, localesDir: string): Map<string, ConsentNotice> {
  const notices = new Map<string, ConsentNotice>();
  const locales = existsSync(localesDir) ? readdirSync(localesDir) : [];
  for (const locale of locales) {
    const file = join(localesDir, locale, 'consent.json');
    if (!existsSync(file)) continue;
    const parsed = localeNoticeSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new ConfigError(`${file} is not a valid consent notice: ${parsed.error.message}`);
    notices.set(locale, buildNotice(locale, parsed.data, config));
  }
  for (const [locale, override] of Object.entries(config.consent.notices)) {
    notices.set(locale, buildNotice(locale, { ...override, purposes: {} }, config));
  }
  if (!notices.has('en')) throw new ConfigError(`no English consent notice found in ${localesDir}`);
  return notices;
}

/** The notice for a locale: exact match, then its primary language, then English. */
export function pickNotice(notices: Map<string, ConsentNotice>, locale: string | undefined): ConsentNotice {
  const wanted = (locale ?? 'en').toLowerCase();
  for (const [key, notice] of notices) if (key.toLowerCase() === wanted) return notice;
  const primary = wanted.split('-')[0];
  for (const [key, notice] of notices) if (key.toLowerCase() === primary) return notice;
  return notices.get('en')!;
}
