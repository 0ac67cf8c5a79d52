/** Orderings shared by the manifest and the card, so both list things the same way. */

const SPLIT_ORDER = ['train', 'dev', 'validation', 'test'];

/** train, dev/validation, test first, then any other split by name. */
export function orderedSplits(splits: readonly string[]): string[] {
  const rank = (split: string) => {
    const index = SPLIT_ORDER.indexOf(split);
    return index === -1 ? SPLIT_ORDER.length : index;
  };
  return [...splits].sort((a, b) => rank(a) - rank(b) || compareCodeUnits(a, b));
}

/** Locale-independent string order (UTF-16 code units), for output that must not vary by host. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
