import type { LanguageAlternative, LanguageIdResult, UndeterminedReason } from './identify.js';

/** One answer of `tributary langid --batch`, written as a JSON line. */
export type BatchAnswer =
  | {
      id: unknown;
      code: string;
      bcp47: string;
      confidence: number;
      script: string;
      alternatives: LanguageAlternative[];
      model: string;
      reason?: UndeterminedReason;
    }
  | {
      id: unknown;
      /** 1-based line number in the input, so a line without a usable id can be found. */
      line: number;
      error: 'invalid-json' | 'invalid-line';
      detail: string;
    };

/**
 * Reads one input line (`{"id":…,"text":…}`) and identifies its text. A line that is not a JSON
 * object with a string `text` gets an error answer carrying whatever id it had: one bad line in
 * a backlog of millions must not stop the rest.
 */
export function answerLine(line: string, lineNumber: number, identify: (text: string) => LanguageIdResult): BatchAnswer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { id: null, line: lineNumber, error: 'invalid-json', detail: (error as Error).message };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { id: null, line: lineNumber, error: 'invalid-line', detail: 'expected an object {"id":…,"text":…}' };
  }
  const { id = null, text } = value as { id?: unknown; text?: unknown };
  if (typeof text !== 'string') {
    return { id, line: lineNumber, error: 'invalid-line', detail: '"text" must be a string' };
  }
  const result = identify(text);
  return {
    id,
    code: result.code,
    bcp47: result.bcp47,
    confidence: result.confidence,
    script: result.script,
    alternatives: result.alternatives,
    model: result.model,
    ...(result.reason ? { reason: result.reason } : {}),
  };
}

/**
 * The batch stage: JSON lines in, one JSON line out per non-blank input line, in order. Pulls
 * one line at a time, so memory stays bounded whatever the input size (the consumer's
 * backpressure reaches the reader).
 */
export async function* identifyLines(
  lines: AsyncIterable<string>,
  identify: (text: string) => LanguageIdResult,
): AsyncGenerator<BatchAnswer> {
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    yield answerLine(line, lineNumber, identify);
  }
}
