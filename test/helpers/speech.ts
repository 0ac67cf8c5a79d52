import type { TestNode } from './node.js';

/** Imports sentences as accepted prompts and returns their ids, in order. */
export function importPrompts(t: TestNode, language: string, sentences: string[]): string[] {
  t.node.context.prompts.import(language, sentences.map((text) => ({ text })));
  const ids: string[] = [];
  for (const sentence of sentences) {
    const id = t.inspect((db) =>
      db.prepare('SELECT id FROM prompts WHERE language = ? AND text = ?').pluck().get(language, sentence),
    ) as string | undefined;
    if (!id) throw new Error(`prompt not imported: ${sentence}`);
    ids.push(id);
  }
  return ids;
}

/** Sends a recording the single-shot way, as a simple client would. */
export async function postRecording(
  base: string,
  token: string,
  fields: Record<string, string>,
  file: { bytes: Uint8Array; name: string; type?: string } | null,
) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  if (file) form.set('audio', new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }), file.name);
  const response = await fetch(`${base}/api/v1/samples/speech`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

