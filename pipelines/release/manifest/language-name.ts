/**
 * The English name people use for a release's language: CLDR's, as `Intl.DisplayNames` gives it
 * ("Swahili", "Swahili (Kenya)", "Punjabi (Arabic)"), where the ISO 639-3 registry's reference
 * name is a catalogue entry ("Swahili (macrolanguage)", "Swahili (individual language)"). For a
 * language CLDR does not know, the registry's name without its catalogue qualifier. The codes
 * are always written beside it, so nothing is lost.
 */
const cldr = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

export function languageName(language: { tag: string; name: string }): string {
  let spoken: string | undefined;
  try {
    spoken = cldr.of(language.tag);
  } catch {
    spoken = undefined; // not a tag Intl accepts (private use): fall back to the registry's name
  }
  return spoken ?? language.name.replace(/ \((?:macrolanguage|individual language)\)$/, '');
}
