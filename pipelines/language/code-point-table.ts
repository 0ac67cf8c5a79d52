/**
 * A per-code-point lookup filled on first sight: `classify` (usually a few regular expression
 * tests) runs once per distinct character a process meets, and every later lookup is one array
 * read. Values are small non-negative integers.
 */
export function codePointTable(classify: (char: string) => number): (codePoint: number) => number {
  // 0 = not classified yet, otherwise value + 1. 2.2 MB covers every code point.
  const table = new Uint16Array(0x110000);
  return (codePoint) => {
    const known = table[codePoint]!;
    if (known !== 0) return known - 1;
    const value = classify(String.fromCodePoint(codePoint));
    table[codePoint] = value + 1;
    return value;
  };
}
