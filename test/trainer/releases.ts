import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DownloadFile } from '../../server/trainer/download.js';
import type { PulledSource } from '../../server/trainer/folder.js';
import { joinWithConsent, startTestNode, type TestNode, type Volunteer } from '../helpers/node.js';
import { seedReleaseData, validate, type ReleaseData } from '../helpers/release-data.js';

/** Test nodes with real releases, and what a trainer fetches from them. */

export const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

export interface FileObject {
  name: string;
  contentUrl: string;
  contentSize: string;
  sha256: string;
  'tributary:split': string;
  'tributary:records': number;
}

export interface PublishedRelease {
  t: TestNode;
  datasetId: string;
  version: string;
  envelope: string;
  manifest: Record<string, any>;
  card: string;
  files: FileObject[];
}

export function adminToken(t: TestNode): string {
  return t.node.context.contributors.issueAdminToken().token;
}

/** Builds a release through the admin API and fetches its envelope and card as a trainer would. */
export async function buildRelease(
  t: TestNode,
  admin: string,
  body: { language: string; modality: 'text' | 'speech'; accessClass?: 'open' | 'gated' | 'on-request'; purposes?: string[]; seed?: number },
): Promise<PublishedRelease> {
  const built = await t.api.post('/admin/releases', { seed: 7, ...body }, admin);
  if (built.status !== 201) throw new Error(`release build failed: ${JSON.stringify(built.body)}`);
  const { datasetId, version } = built.body.release as { datasetId: string; version: string };
  return fetchRelease(t, datasetId, version);
}

export async function fetchRelease(t: TestNode, datasetId: string, version: string): Promise<PublishedRelease> {
  const envelope = await fetch(`${t.url}/api/v1/datasets/${datasetId}/manifest?version=${version}`).then((r) => r.text());
  const manifest = JSON.parse(Buffer.from(JSON.parse(envelope).payload, 'base64').toString('utf8')) as Record<string, any>;
  const card = await fetch(`${t.url}/api/v1/datasets/${datasetId}/card`).then((r) => r.text());
  const files = (manifest.distribution as Array<Record<string, any>>).filter((f) => f['@type'] === 'cr:FileObject') as FileObject[];
  return { t, datasetId, version, envelope, manifest, card, files };
}

/** The manifest's shards as a download list into `dir`. */
export function downloadList(release: PublishedRelease, dir: string, token?: string): DownloadFile[] {
  return release.files.map((file) => ({
    url: file.contentUrl,
    sha256: file.sha256,
    size: Number(file.contentSize.replace(/ B$/, '')),
    path: join(dir, release.datasetId, file.name),
    ...(token ? { token } : {}),
  }));
}

/** A token for a gated dataset, as a trainer asks for one. */
export async function accessToken(t: TestNode, datasetId: string): Promise<string> {
  const granted = await t.api.post(`/datasets/${datasetId}/access`, {
    name: 'Test trainer',
    contact: 'trainer@example.org',
    purpose: 'Testing that pulled folders load.',
    acceptTerms: true,
  });
  if (granted.status !== 201) throw new Error(`access refused: ${JSON.stringify(granted.body)}`);
  return granted.body.token as string;
}

export async function pulledSource(release: PublishedRelease, dir: string): Promise<PulledSource> {
  const wellKnown = (await fetch(`${release.t.url}/.well-known/tributary.json`).then((r) => r.json())) as { did: string; name: string };
  return {
    node: { did: wellKnown.did, name: wellKnown.name, url: release.t.url },
    envelope: release.envelope,
    manifest: release.manifest,
    card: release.card,
    shards: release.files.map((file) => ({ name: file.name, path: join(dir, release.datasetId, file.name) })),
  };
}

/** Every row of a Parquet file, audio bytes binary. */
export async function readRows(path: string): Promise<Array<Record<string, any>>> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path), utf8: false })) as Array<Record<string, any>>;
}

/** What a node released: key → sha256 of the audio (speech) or the text, read from its own release folder. */
export async function releasedRecords(release: PublishedRelease): Promise<Map<string, { split: string; audio: string | null; text: string | null }>> {
  const records = new Map<string, { split: string; audio: string | null; text: string | null }>();
  for (const file of release.files) {
    const rows = await readRows(join(release.t.dir, 'releases', release.datasetId, release.version, file.name));
    for (const row of rows) {
      records.set(row.key, { split: file['tributary:split'], audio: row.audio ? sha256(row.audio.bytes) : null, text: row.text ?? null });
    }
  }
  return records;
}

export const YORUBA_TEXTS = [
  'Àwọn àgbẹ̀ ń kórè àgbàdo ní oko wọn lónìí.',
  'Òjò ńlá rọ̀ ní alẹ́ àná, omi sì kún ojú ọ̀nà.',
  'Olùkọ́ wa ń kọ́ wa ní ìtàn ilẹ̀ wa pẹ̀lú àwọn àlọ́.',
  'Ọjà ẹja máa ń ṣí ní kùtùkùtù òwúrọ̀ ọjọ́ Àbámẹ́ta.',
  'Ìyá àgbà mi mọ bí a ṣe ń se ọbẹ̀ ẹ̀fọ́ dáadáa.',
  'A wọ ọkọ̀ akérò láti Èkó lọ sí Ìbàdàn lánàá.',
  'Àwọn ọmọdé fẹ́ràn láti gbá bọ́ọ̀lù lẹ́yìn ilé ìwé.',
  'Dókítà sọ pé ká máa mu omi tó mọ́ lójoojúmọ́.',
  'Odò yìí ti orí òkè wá, ó sì ń ṣàn lọ sí òkun.',
  'Ní ọ̀la, a ó ṣe ayẹyẹ ìgbéyàwó ẹ̀gbọ́n mi ní abúlé.',
  'Fóònù mi ti bàjẹ́, nítorí náà màá ra òmíràn.',
  'Ọ̀pọ̀lọpọ̀ ẹyẹ máa ń wá síbí nígbà òtútù.',
];

/** Validated Yoruba texts from `speakers` contributors (three each), through the real API. */
export async function seedYorubaText(t: TestNode, speakers = 4): Promise<{ speakers: Volunteer[]; ids: string[] }> {
  const people: Volunteer[] = [];
  for (let i = 0; i < speakers; i++) people.push(await joinWithConsent(t.api));
  const validators = [await joinWithConsent(t.api), await joinWithConsent(t.api)];
  const ids: string[] = [];
  let next = 0;
  for (const person of people) {
    for (let i = 0; i < 3; i++) {
      const written = await t.api.post('/samples/text', { language: 'yo', text: YORUBA_TEXTS[next++]! }, person.token);
      if (written.status !== 201) throw new Error(`text failed: ${JSON.stringify(written.body)}`);
      await validate(t, written.body.id, validators);
      ids.push(written.body.id);
    }
  }
  return { speakers: people, ids };
}

/**
 * Two nodes, two languages, two licences: a Swahili speech release (CC-BY-4.0, gated, also
 * consented for commercial models) and a Yoruba text release (CC-BY-NC-4.0, open).
 */
export async function twoNodes(): Promise<{
  swahili: TestNode;
  yoruba: TestNode;
  speech: PublishedRelease;
  text: PublishedRelease;
  /** Who contributed on the Swahili node (their tokens and consent records). */
  swahiliData: ReleaseData;
  stop: () => Promise<void>;
}> {
  const swahili = await startTestNode({ name: 'Sauti ya Pwani', languages: ['sw'], license: 'CC-BY-4.0' });
  const yoruba = await startTestNode({ name: 'Ohùn Yorùbá', languages: ['yo'], license: 'CC-BY-NC-4.0' });
  const stop = async () => {
    await swahili.stop();
    await yoruba.stop();
  };
  try {
    const everyone = [['commercial-model'], ['commercial-model'], ['commercial-model'], ['commercial-model']];
    const swahiliData = await seedReleaseData(swahili, { purposes: everyone });
    await seedYorubaText(yoruba);
    const speech = await buildRelease(swahili, adminToken(swahili), {
      language: 'sw',
      modality: 'speech',
      accessClass: 'gated',
      purposes: ['train-asr', 'train-tts', 'evaluate', 'commercial-model'],
    });
    const text = await buildRelease(yoruba, adminToken(yoruba), { language: 'yo', modality: 'text' });
    return { swahili, yoruba, speech, text, swahiliData, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
