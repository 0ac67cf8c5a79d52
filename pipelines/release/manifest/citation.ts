import type { ReleaseDescription } from './types.js';
import { datasetUrl } from './urls.js';

/** A BibTeX entry for the release (Croissant's citeAs, and the card's citation section). */
export function citation(release: ReleaseDescription): string {
  const clean = (value: string) => value.replace(/[{}\\]/g, '');
  return [
    `@misc{tributary-${release.datasetId}-${release.version},`,
    `  title = {${clean(release.name)}},`,
    // Double braces: a community is a corporate author, not "Lastname, Firstname".
    `  author = {{${clean(release.node.name)}}},`,
    `  year = {${release.published.slice(0, 4)}},`,
    `  version = {${release.version}},`,
    `  url = {${datasetUrl(release)}},`,
    `  note = {Published by ${release.node.did}}`,
    '}',
  ].join('\n');
}
