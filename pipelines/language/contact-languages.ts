/**
 * Widespread languages that text sent to a community's node is most often in by mistake: the
 * languages of school, administration, trade and the phone's keyboard. Language ID always weighs
 * them against the node's own languages, because franc restricted to a single candidate would
 * answer that candidate whatever the text. A node can pass its own list (e.g. its region's
 * lingua francas) instead.
 */
export const defaultContactLanguages: readonly string[] = [
  'eng', 'fra', 'por', 'spa', 'arb', 'rus', 'cmn', 'hin', 'deu', 'swh',
];
