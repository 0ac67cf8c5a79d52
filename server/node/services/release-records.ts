import type { SpeechRecord, TextRecord } from '../../../pipelines/release/shards/types.js';
import { speakerPseudonym } from '../../../pipelines/release/splits.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { SelectedRecord } from '../stores/release-selection.js';

/** A record the build leaves out after reading it (its sample was withdrawn meanwhile). */
const LEFT_OUT = Symbol('left out');

/** How a demographic cell is named in a set of shown cells. */
export const cellKey = (field: string, value: string) => `${field}\u0000${value}`;

export interface RecordSource {
  /** Where the clips are. */
  blobs: BlobStore;
  /** Whether a sample has been withdrawn since it was selected (its content is erased). */
  withdrawn: (sampleId: string) => boolean;
}

/**
 * The records of a shard as the shard writer takes them, from selected rows: speakers as
 * pseudonyms salted per release, and each self-declared value only where its cell is in `shown`
 * (a value shared by fewer than five speakers would point at people). A build and a redaction
 * both write through here, so a shard a redaction rewrites is what a build of the same records
 * would write.
 */
export async function* shardRecords(
  rows: AsyncIterable<SelectedRecord>,
  source: RecordSource,
  salt: string,
  shown: ReadonlySet<string>,
  count: (r: SelectedRecord) => void = () => {},
): AsyncGenerator<SpeechRecord | TextRecord> {
  const cell = (field: string, value: string | null) => (value !== null && shown.has(cellKey(field, value)) ? value : null);
  const clip = async (r: SelectedRecord & { audioKey: string }): Promise<Uint8Array | typeof LEFT_OUT> => {
    try {
      return await source.blobs.get(r.audioKey);
    } catch (error) {
      // Withdrawn after its page was read: the withdrawal erased the clip, and the record is
      // left out like one withdrawn before it was read.
      if (source.withdrawn(r.id)) return LEFT_OUT;
      throw error;
    }
  };
  // Clips are read a few ahead, so the disk works while the shard writer encodes.
  const loaded = readAhead(rows, (r) => (r.audioKey ? clip({ ...r, audioKey: r.audioKey }) : null), 8);
  for await (const [r, audio] of loaded) {
    if (audio === LEFT_OUT) continue;
    count(r);
    const common = {
      key: r.id,
      language: r.language,
      speakerId: speakerPseudonym(salt, r.contributorId),
      ageBand: cell('age_band', r.ageBand),
      gender: cell('gender', r.gender),
      variant: cell('variant', r.variant),
      accent: cell('accent', r.accent),
    };
    yield r.audioKey
      ? {
          ...common,
          audio: audio!,
          sentence: r.text,
          durationSeconds: r.durationSeconds ?? 0,
        }
      : { ...common, text: r.text };
  }
}

/** Yields the items of `source` with `load(item)` resolved, keeping up to `depth` loads in flight. */
async function* readAhead<T, L>(
  source: AsyncIterable<T>,
  load: (item: T) => Promise<L> | null,
  depth: number,
): AsyncGenerator<[T, L | null]> {
  const window: Array<[T, Promise<L> | null]> = [];
  for await (const item of source) {
    const pending = load(item);
    // Awaited in order below; until then a failure must not count as unhandled.
    pending?.catch(() => {});
    window.push([item, pending]);
    if (window.length >= depth) {
      const [head, pending] = window.shift()!;
      yield [head, await pending];
    }
  }
  for (const [item, pending] of window) yield [item, await pending];
}
