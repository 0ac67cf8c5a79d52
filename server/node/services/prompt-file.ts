import type { ImportItem, PromptInput } from './prompts.js';

type Column = keyof PromptInput;

/** Header words a TSV's first line may name its columns with, in any order and case. */
const HEADER_WORDS: Readonly<Record<string, Column>> = {
  sentence: 'text',
  sentences: 'text',
  text: 'text',
  source: 'source',
  license: 'license',
  licence: 'license',
};
const DEFAULT_COLUMNS: readonly Column[] = ['text', 'source', 'license'];

/** What a file of sentences holds: its items, each with its line number, and whether a header line was skipped. */
export interface PromptFile {
  items: ImportItem[];
  header: boolean;
}

/**
 * The columns a TSV's first line names, or undefined when it is a sentence: every cell must be a
 * header word, one of them the sentence's, none twice. A one-word "sentence" such as "Text"
 * would be refused by every language's rules anyway.
 */
function headerColumns(line: string): Column[] | undefined {
  const columns = line.split('\t').map((cell) => HEADER_WORDS[cell.trim().toLowerCase()]);
  if (columns.some((column) => column === undefined)) return undefined;
  const named = columns as Column[];
  if (!named.includes('text') || new Set(named).size !== named.length) return undefined;
  return named;
}

/** A .tsv file (by its name) has columns; anything else holds one sentence a line. */
export function isTsvName(name: string): boolean {
  return /\.tsv$/i.test(name);
}

/**
 * One sentence a line; a TSV may add source and license columns after the sentence, or name
 * its columns in a header line. Blank lines and lines starting with # are skipped. Each item
 * keeps its line number in the file, so refusals point at the right line. The CLI's
 * `prompts import` and the operator pages' upload (POST /admin/prompts/file) both read files here.
 */
export function parsePromptText(text: string, tsv: boolean): PromptFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const items: ImportItem[] = [];
  let columns: readonly Column[] | undefined;
  let header = false;
  lines.forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    if (!tsv) {
      items.push({ line: index + 1, text: line });
      return;
    }
    if (columns === undefined) {
      const named = headerColumns(line);
      columns = named ?? DEFAULT_COLUMNS;
      header = named !== undefined;
      if (header) return;
    }
    const item: ImportItem = { line: index + 1, text: '' };
    line.split('\t').forEach((cell, i) => {
      const column = columns![i];
      if (column === 'text') item.text = cell;
      else if (column && cell.trim() !== '') item[column] = cell.trim();
    });
    items.push(item);
  });
  return { items, header };
}
