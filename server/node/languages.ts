import { parseLanguageTag, tagMatchesRange, type LanguageTag } from '../../pipelines/language/tags.js';
import { InvalidLanguageTagError, LanguageNotSupportedError } from './errors.js';

/**
 * The languages a node collects, as BCP-47 tags. A declared tag is accepted when it falls under
 * one of them (`sw-KE` under `sw`), never the other way round (`pa` is not `pa-Arab`).
 */
export class NodeLanguages {
  readonly tags: readonly LanguageTag[];
  /** ISO 639-3 codes for language identification, without repeats. */
  readonly candidates: readonly string[];

  constructor(tags: readonly string[]) {
    this.tags = tags.map((tag) => {
      const parsed = parseLanguageTag(tag);
      if (!parsed) throw new Error(`not a language tag: ${tag}`);
      return parsed;
    });
    this.candidates = [...new Set(this.tags.map((t) => t.iso639_3))];
  }

  // Accepted declarations seen so far: clients send the same few tags on every request.
  private readonly accepted = new Map<string, LanguageTag>();
  private static readonly ACCEPTED_LIMIT = 256;

  /** Parses a declared language and checks that this node collects it. */
  resolve(input: string): LanguageTag {
    const known = this.accepted.get(input);
    if (known) return known;
    const tag = parseLanguageTag(input);
    if (!tag) throw new InvalidLanguageTagError(`"${input}" is not a valid BCP-47 language tag.`);
    if (!this.tags.some((nodeTag) => tagMatchesRange(tag.tag, nodeTag.tag))) {
      throw new LanguageNotSupportedError(`This node collects ${this.tags.map((t) => t.tag).join(', ')}, not ${tag.tag}.`, {
        languages: this.tags.map((t) => t.tag),
      });
    }
    if (this.accepted.size >= NodeLanguages.ACCEPTED_LIMIT) this.accepted.clear();
    this.accepted.set(input, tag);
    return tag;
  }

  /** The node language a stored tag rolls up to, for statistics. */
  home(tag: string): string {
    const match = this.tags
      .filter((nodeTag) => tagMatchesRange(tag, nodeTag.tag))
      .sort((a, b) => b.tag.length - a.tag.length)[0];
    return match?.tag ?? tag;
  }
}
