import { z } from 'zod';
import { peekPayload } from '../../../pipelines/federation/statements.js';
import { InvalidRequestError, TributaryError } from '../../core/errors.js';
import type { IndexConfig } from '../config.js';
import { envelopeBodySchema } from '../domain/envelope.js';
import { INDEX_STATUSES, NodeNotRegisteredError, NodeUnreachableError } from '../errors.js';
import { API_BASE } from '../paths.js';
import type { IndexStore } from '../store/index-store.js';
import type { Intake } from './intake.js';
import { fetchFromNode, fetchNodeJson } from './node-document.js';

/** What one node gave in one harvest. */
export interface HarvestReport {
  node: string;
  url: string | null;
  status: 'harvested' | 'unreachable' | 'suspended' | 'unknown';
  /** Envelopes read from the node (manifests and notices). */
  fetched: number;
  /** Taken as new: a manifest published, a notice accepted. */
  new: number;
  /** Already held: the same manifest or notice again. */
  unchanged: number;
  /** What the index refused, with the code a push of it would get (or the node's answer). */
  refused: Array<{ what: string; code: string; message: string }>;
  /** Where the node's notice feed was read up to. */
  cursor: number;
  /** Why the node could not be harvested (or was harvested only in part). */
  error: { code: string; message: string } | null;
}

// What the index reads of the node's answers (server/node/routes/datasets.schema.ts): only
// the fields it needs, so a node may add others.
const datasetList = z.object({
  datasets: z.array(z.object({ id: z.string().regex(/^[a-z0-9-]{1,80}$/) }).loose()),
});
const noticePage = z.object({
  notices: z.array(
    z
      .object({
        seq: z.number().int().min(0),
        id: z.string().max(100),
        kind: z.enum(['withdrawal', 'retraction', 'access-change']),
        dataset: z.string().max(100),
        envelope: z.unknown(),
      })
      .loose(),
  ),
  next: z.number().int().min(0),
});

interface PendingManifest {
  dataset: string;
  version: string | null;
  published: string;
  body: unknown;
}

/**
 * Pulls what registered nodes publish and feeds every envelope through the same intake as a
 * push, so both paths end in the same state and repeating either changes nothing. Per node: its
 * current manifests (`GET /datasets`, `/datasets/:id/manifest`) and its notices after the
 * remembered cursor (`GET /notices?since=`), taken in the order the node made them: a
 * retraction or access change after every manifest published before it, a withdrawal after the
 * release it names (fetched by version if the index lacks it). Every fetch is bounded; a node
 * that cannot be reached is reported, not fatal.
 */
export class Harvester {
  private readonly store: IndexStore;
  private readonly intake: Intake;
  private readonly settings: IndexConfig['harvest'];
  private readonly now: () => Date;

  constructor(deps: { store: IndexStore; intake: Intake; settings: IndexConfig['harvest']; now?: () => Date }) {
    this.store = deps.store;
    this.intake = deps.intake;
    this.settings = deps.settings;
    this.now = deps.now ?? (() => new Date());
  }

  /** Every registered node that is not suspended (or the one given), one after another. */
  async harvest(only?: string): Promise<HarvestReport[]> {
    const dids = only ? [only] : await this.store.activeNodes();
    const reports: HarvestReport[] = [];
    for (const did of dids) reports.push(await this.harvestNode(did));
    return reports;
  }

  async harvestNode(did: string): Promise<HarvestReport> {
    const node = await this.store.node(did);
    const report: HarvestReport = { node: did, url: node?.url ?? null, status: 'harvested', fetched: 0, new: 0, unchanged: 0, refused: [], cursor: 0, error: null };
    if (!node) {
      const error = new NodeNotRegisteredError(`This index has no node ${did}.`);
      return { ...report, status: 'unknown', error: { code: error.code, message: error.message } };
    }
    report.cursor = await this.store.harvestCursor(did);
    if (node.suspended) return { ...report, status: 'suspended' };
    const api = node.url.replace(/\/+$/, '') + API_BASE;
    try {
      const pending = await this.currentManifests(api, report);
      await this.notices(did, api, pending, report);
      // What is left was published after every notice read: oldest first, as the node made them.
      await this.takeManifests(pending, report, () => true);
    } catch (error) {
      if (!(error instanceof NodeUnreachableError)) throw error;
      report.status = 'unreachable';
      report.error = { code: error.code, message: error.message };
    }
    return report;
  }

  /** The node's current manifests, read but not yet taken. */
  private async currentManifests(api: string, report: HarvestReport): Promise<PendingManifest[]> {
    const listing = datasetList.safeParse(await fetchNodeJson(`${api}/datasets`, this.settings));
    if (!listing.success) throw new NodeUnreachableError(`${api}/datasets is not a list of datasets.`);
    const pending: PendingManifest[] = [];
    for (const { id } of listing.data.datasets.slice(0, this.settings.maxDatasets)) {
      const body = await this.fetchEnvelope(`${api}/datasets/${id}/manifest`, `manifest of ${id}`, report);
      if (body === undefined) continue;
      const payload = peekPayload(body) as { datePublished?: unknown; version?: unknown } | undefined;
      pending.push({
        dataset: id,
        version: typeof payload?.version === 'string' ? payload.version : null,
        published: typeof payload?.datePublished === 'string' ? payload.datePublished : '',
        body,
      });
    }
    return pending.sort((a, b) => (a.published < b.published ? -1 : a.published > b.published ? 1 : 0));
  }

  private async notices(did: string, api: string, pending: PendingManifest[], report: HarvestReport): Promise<void> {
    for (;;) {
      const page = noticePage.safeParse(await fetchNodeJson(`${api}/notices?since=${report.cursor}&limit=${this.settings.noticePage}`, this.settings));
      if (!page.success) throw new NodeUnreachableError(`${api}/notices is not a page of notices.`);
      const notices = page.data.notices.filter((n) => n.seq > report.cursor).sort((a, b) => a.seq - b.seq);
      if (notices.length === 0) return;
      for (const notice of notices) {
        report.fetched += 1;
        const statement = peekPayload(notice.envelope) as { issued?: unknown; release?: { version?: unknown } } | undefined;
        if (notice.kind === 'withdrawal') {
          await this.ensureRelease(did, api, notice.dataset, statement?.release?.version, pending, report);
        } else if (typeof statement?.issued === 'string') {
          const issued = statement.issued;
          await this.takeManifests(pending, report, (m) => m.published <= issued);
        }
        await this.take(`${notice.kind} notice ${notice.id}`, report, () => this.parsed(notice.envelope, (body) => this.intake.notice(body)));
        report.cursor = notice.seq;
      }
      const cursor = report.cursor;
      await this.store.transaction((tx) => tx.putHarvestCursor(did, cursor, this.now().toISOString()));
      if (notices.length < this.settings.noticePage) return;
    }
  }

  /** A withdrawal names a release: the index must hold its manifest first, as it would have from a push. */
  private async ensureRelease(did: string, api: string, dataset: string, version: unknown, pending: PendingManifest[], report: HarvestReport) {
    if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) return;
    if (await this.store.releaseShards(did, dataset, version)) return;
    const current = pending.find((m) => m.dataset === dataset && m.version === version);
    if (current) return this.takeManifests(pending, report, (m) => m === current);
    const body = await this.fetchEnvelope(`${api}/datasets/${dataset}/manifest?version=${version}`, `manifest of ${dataset} ${version}`, report);
    if (body !== undefined) await this.take(`manifest of ${dataset} ${version}`, report, () => this.parsed(body, (b) => this.intake.manifest(b)));
  }

  /** Takes (and forgets) the pending manifests `which` picks, in order. */
  private async takeManifests(pending: PendingManifest[], report: HarvestReport, which: (m: PendingManifest) => boolean): Promise<void> {
    for (const manifest of pending.filter(which)) {
      pending.splice(pending.indexOf(manifest), 1);
      await this.take(`manifest of ${manifest.dataset}${manifest.version ? ` ${manifest.version}` : ''}`, report, () =>
        this.parsed(manifest.body, (body) => this.intake.manifest(body)),
      );
    }
  }

  /** An envelope the node serves; a refusal by the node is reported with its code, and undefined returned. */
  private async fetchEnvelope(address: string, what: string, report: HarvestReport): Promise<unknown> {
    const answer = await fetchFromNode(address, this.settings);
    report.fetched += 1;
    if (answer.status !== 200) {
      report.refused.push({ what, code: answer.code ?? `HTTP${answer.status}`, message: answer.message ?? `the node answered ${answer.status}` });
      return undefined;
    }
    try {
      return JSON.parse(answer.text) as unknown;
    } catch {
      report.refused.push({ what, code: 'MalformedJson', message: `${address} did not answer JSON.` });
      return undefined;
    }
  }

  /** The body a push would have sent, checked as the push route checks it. */
  private async parsed<T>(json: unknown, intake: (body: z.output<typeof envelopeBodySchema>) => Promise<T>): Promise<T> {
    const body = envelopeBodySchema.safeParse(json);
    if (!body.success) throw new InvalidRequestError('The node served something that is not a DSSE envelope.');
    return intake(body.data);
  }

  /** Runs one intake; a refusal (a 4xx a push would get) is reported, anything else stops the harvest. */
  private async take(what: string, report: HarvestReport, run: () => Promise<{ status: string }>): Promise<void> {
    try {
      const { status } = await run();
      if (status === 'unchanged') report.unchanged += 1;
      else report.new += 1;
    } catch (error) {
      const status = error instanceof TributaryError ? INDEX_STATUSES[error.code] : undefined;
      if (!(error instanceof TributaryError) || status === undefined || status >= 500) throw error;
      report.refused.push({ what, code: error.code, message: error.message });
    }
  }
}
