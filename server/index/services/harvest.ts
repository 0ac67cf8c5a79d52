import { z } from 'zod';
import { peekPayload } from '../../../pipelines/federation/statements.js';
import { InvalidRequestError, TributaryError } from '../../core/errors.js';
import type { IndexConfig } from '../config.js';
import { envelopeBodySchema } from '../domain/envelope.js';
import { INDEX_STATUSES, NodeNotRegisteredError, NodeUnreachableError } from '../errors.js';
import { API_BASE } from '../paths.js';
import type { IndexStore, NodeRecord } from '../store/index-store.js';
import type { Intake } from './intake.js';
import { fetchFromNode, fetchNodeJson, stoppedBy, type NodeFetchLimits } from './node-document.js';
import type { NodeRegistry } from './registry.js';

/** What one node gave in one harvest. */
export interface HarvestReport {
  node: string;
  url: string | null;
  /** `failed`: something other than the node went wrong (the index was busy, say); the others were harvested. */
  status: 'harvested' | 'unreachable' | 'suspended' | 'unknown' | 'failed';
  /** Envelopes read from the node (manifests and notices). */
  fetched: number;
  /** Taken as new: a manifest published, a notice accepted. */
  new: number;
  /** Already held: the same manifest or notice again. */
  unchanged: number;
  /** What the index refused, with the code a push of it would get (or the node's answer); the first `harvest.maxRefusals`. */
  refused: Array<{ what: string; code: string; message: string }>;
  /** How many refusals there were in all. */
  refusedTotal: number;
  /** Where the node's notice feed was read up to. */
  cursor: number;
  /** Why the node could not be harvested (or was harvested only in part). */
  error: { code: string; message: string } | null;
}

// What the index reads of the node's answers (server/node/routes/datasets.schema.ts): only
// the fields it needs, so a node may add others.
const DATASET_ID = /^[a-z0-9-]{1,80}$/;
const datasetList = z.object({
  datasets: z.array(z.object({ id: z.string().regex(DATASET_ID) }).loose()),
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

/**
 * Refusals that say something about what the index holds now rather than about the envelope: the
 * same notice may be taken later (once the index has the release it names, the node's new key,
 * or a moment to write), so the notice cursor stops before it. The rest (a malformed or
 * conflicting envelope, one of another kind, expired) are permanent, and skipped.
 */
const HELD = new Set(['NodeSuspended', 'NodeNotRegistered', 'StatementSignatureInvalid', 'ManifestSignerUnknown', 'ManifestSignatureInvalid', 'IndexBusy']);
/** Held only when this harvest could not settle the dataset's manifests (a failed fetch, a held refusal). */
const HELD_IF_UNSETTLED = new Set(['UnknownDataset', 'UnknownRelease', 'UnknownShard']);

/** A manifest read but not yet taken: its envelope kept only while `harvest.heldBytes` allows. */
interface PendingManifest {
  dataset: string;
  version: string | null;
  /** datePublished as an instant (ms); -Infinity when unreadable (intake refuses it anyway). */
  published: number;
  text: string | null;
}

/** How one intake went: taken (new or unchanged), refused for good, or refused for now. */
type Taken = 'taken' | 'refused' | 'held';

interface NodeRound {
  did: string;
  api: string;
  report: HarvestReport;
  signal: AbortSignal;
  pending: PendingManifest[];
  heldBytes: number;
  /** Datasets whose manifests this round could not settle: a notice about them may be taken later. */
  unsettled: Set<string>;
}

export interface HarvesterDeps {
  store: IndexStore;
  intake: Intake;
  registry: NodeRegistry;
  settings: IndexConfig['harvest'];
  /** The largest envelope a push may send (`limits.bodyBytes`): harvest reads no larger, so both paths agree. */
  envelopeBytes: number;
  /** Bounds of the node's well-known document, as registration reads it. */
  wellKnown: { timeoutMs: number; maxBytes: number };
  now?: () => Date;
}

/**
 * Pulls what registered nodes publish and feeds every envelope through the same intake as a
 * push, so both paths end in the same state and repeating either changes nothing. Per node: the
 * signing keys its well-known document names (taken through the rotation chain, as a
 * registration's), its current manifests (`GET /datasets`, `/datasets/:id/manifest`) and its
 * notices after the remembered cursor (`GET /notices?since=`), taken in the order the node made
 * them: a retraction or access change after every manifest published before it, a withdrawal
 * after the release it names (fetched by version if the index lacks it).
 *
 * Bounded per node: each fetch (time, bytes: an envelope no larger than a push may be), the
 * notices read per harvest, the refusals listed, the manifest bytes held, and the whole node's
 * time; several nodes are harvested at once, and the signal given stops every one of them.
 */
export class Harvester {
  private readonly store: IndexStore;
  private readonly intake: Intake;
  private readonly registry: NodeRegistry;
  private readonly settings: IndexConfig['harvest'];
  private readonly envelopeBytes: number;
  private readonly wellKnown: HarvesterDeps['wellKnown'];
  private readonly now: () => Date;

  constructor(deps: HarvesterDeps) {
    this.store = deps.store;
    this.intake = deps.intake;
    this.registry = deps.registry;
    this.settings = deps.settings;
    this.envelopeBytes = deps.envelopeBytes;
    this.wellKnown = deps.wellKnown;
    this.now = deps.now ?? (() => new Date());
  }

  /** Every registered node that is not suspended (or the one given), `harvest.concurrency` at a time. */
  async harvest(only?: string, signal?: AbortSignal): Promise<HarvestReport[]> {
    const dids = only ? [only] : await this.store.activeNodes();
    const reports: HarvestReport[] = new Array(dids.length);
    let next = 0;
    const worker = async () => {
      while (next < dids.length) {
        const i = next++;
        reports[i] = await this.harvestNode(dids[i]!, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, dids.length) }, worker));
    return reports;
  }

  /** One node; whatever goes wrong is in its report, never thrown. */
  async harvestNode(did: string, stop?: AbortSignal): Promise<HarvestReport> {
    const node = await this.store.node(did);
    const report: HarvestReport = {
      node: did,
      url: node?.url ?? null,
      status: 'harvested',
      fetched: 0,
      new: 0,
      unchanged: 0,
      refused: [],
      refusedTotal: 0,
      cursor: 0,
      error: null,
    };
    if (!node) {
      const error = new NodeNotRegisteredError(`This index has no node ${did}.`);
      return { ...report, status: 'unknown', error: { code: error.code, message: error.message } };
    }
    report.cursor = await this.store.harvestCursor(did);
    if (node.suspended) return { ...report, status: 'suspended' };
    const deadline = AbortSignal.timeout(this.settings.nodeDeadlineMs);
    const round: NodeRound = {
      did,
      api: node.url.replace(/\/+$/, '') + API_BASE,
      report,
      signal: stop ? AbortSignal.any([stop, deadline]) : deadline,
      pending: [],
      heldBytes: 0,
      unsettled: new Set(),
    };
    try {
      await this.followKeys(node, round);
      await this.currentManifests(round);
      const horizon = await this.notices(round);
      // What is left was published after every notice read: oldest first, as the node made them.
      // A round that stopped before the end of the notice feed keeps later manifests for the
      // next one, so that none is taken before a notice the node made earlier.
      await this.takeManifests(round, (m) => m.published <= horizon);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      report.status = failure instanceof NodeUnreachableError ? 'unreachable' : 'failed';
      report.error = { code: failure instanceof TributaryError ? failure.code : 'InternalError', message: failure.message };
    }
    return report;
  }

  /** Signing keys the node took since it registered: a push's envelopes signed by them would pass too. */
  private async followKeys(node: NodeRecord, round: NodeRound): Promise<void> {
    try {
      await this.registry.followPublishedKeys(node.did, { ...this.wellKnown, signal: round.signal });
    } catch (error) {
      // A node that cannot be reached is reported as such; a document the index cannot follow
      // (another rotation key, a forked chain) leaves the pinned keys, and is reported.
      const code = error instanceof TributaryError ? error.code : undefined;
      const status = code === undefined ? undefined : INDEX_STATUSES[code];
      if (code === undefined || code === 'NodeUnreachable' || status === undefined || status >= 500) throw error;
      this.refuse(round.report, { what: 'keys in .well-known/tributary.json', code, message: (error as Error).message });
    }
  }

  /** The node's current manifests, read but not yet taken. */
  private async currentManifests(round: NodeRound): Promise<void> {
    const { api } = round;
    const listing = datasetList.safeParse(await fetchNodeJson(`${api}/datasets`, this.limits(round)));
    if (!listing.success) throw new NodeUnreachableError(`${api}/datasets is not a list of datasets.`);
    for (const { id } of listing.data.datasets.slice(0, this.settings.maxDatasets)) {
      const text = await this.fetchEnvelope(round, `${api}/datasets/${id}/manifest`, `manifest of ${id}`, id);
      if (text === undefined) continue;
      const payload = peekPayload(parseJson(text)) as { datePublished?: unknown; version?: unknown; 'tributary:nodeDid'?: unknown } | undefined;
      if (payload && payload['tributary:nodeDid'] !== round.did) {
        this.refuse(round.report, {
          what: `manifest of ${id}`,
          code: 'ManifestWrongNode',
          message: `The node serves a manifest of ${JSON.stringify(payload['tributary:nodeDid'])}; harvest takes only the node's own.`,
        });
        continue;
      }
      const keep = round.heldBytes + text.length <= this.settings.heldBytes;
      if (keep) round.heldBytes += text.length;
      round.pending.push({
        dataset: id,
        version: typeof payload?.version === 'string' ? payload.version : null,
        published: instant(payload?.datePublished),
        text: keep ? text : null,
      });
    }
    round.pending.sort((a, b) => a.published - b.published);
  }

  /**
   * The node's notices after the cursor, at most `harvest.maxNotices`. The cursor is saved after
   * each page, and just before a notice refused for now (which stops the round). Answers the
   * instant up to which the node's history was read: manifests published later wait when the
   * round stopped early.
   */
  private async notices(round: NodeRound): Promise<number> {
    const { did, api, report } = round;
    let read = 0;
    let horizon = Number.NEGATIVE_INFINITY;
    for (;;) {
      const page = noticePage.safeParse(await fetchNodeJson(`${api}/notices?since=${report.cursor}&limit=${this.settings.noticePage}`, this.limits(round)));
      if (!page.success) throw new NodeUnreachableError(`${api}/notices is not a page of notices.`);
      const notices = page.data.notices
        .filter((n) => n.seq > report.cursor)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, this.settings.noticePage);
      if (notices.length === 0) return Number.POSITIVE_INFINITY;
      let stopped = false;
      for (const notice of notices) {
        if (read >= this.settings.maxNotices) {
          report.error = { code: 'HarvestIncomplete', message: `Read ${read} notices (harvest.maxNotices); the next harvest goes on from ${report.cursor}.` };
          stopped = true;
          break;
        }
        read += 1;
        report.fetched += 1;
        const taken = await this.notice(round, notice);
        if (taken === 'held') {
          report.error = {
            code: 'NoticeHeld',
            message: `The ${notice.kind} notice ${notice.id} (seq ${notice.seq}) was refused for now; the next harvest reads it again.`,
          };
          stopped = true;
          break;
        }
        report.cursor = notice.seq;
        horizon = Math.max(horizon, issuedOf(notice.envelope));
      }
      const cursor = report.cursor;
      await this.store.transaction((tx) => tx.putHarvestCursor(did, cursor, this.now().toISOString()));
      if (stopped) return horizon;
      if (notices.length < this.settings.noticePage) return Number.POSITIVE_INFINITY;
    }
  }

  private async notice(round: NodeRound, notice: z.output<typeof noticePage>['notices'][number]): Promise<Taken> {
    const what = `${notice.kind} notice ${notice.id}`;
    const statement = peekPayload(notice.envelope) as { node?: unknown; issued?: unknown; release?: { version?: unknown } } | undefined;
    if (JSON.stringify(notice.envelope ?? null).length > this.envelopeBytes) {
      this.refuse(round.report, { what, code: 'PayloadTooLarge', message: `The notice is larger than a push may be (${this.envelopeBytes} bytes).` });
      return 'refused';
    }
    if (statement && statement.node !== round.did) {
      this.refuse(round.report, { what, code: 'NoticeWrongNode', message: `The notice names ${JSON.stringify(statement.node)}; harvest takes only the node's own.` });
      return 'refused';
    }
    if (notice.kind === 'withdrawal') {
      await this.ensureRelease(round, notice.dataset, statement?.release?.version);
    } else {
      const issued = issuedOf(notice.envelope);
      await this.takeManifests(round, (m) => m.published <= issued);
    }
    return this.take(round, what, () => this.parsed(notice.envelope, (body) => this.intake.notice(body)), notice.dataset);
  }

  /** A withdrawal names a release: the index must hold its manifest first, as it would have from a push. */
  private async ensureRelease(round: NodeRound, dataset: string, version: unknown): Promise<void> {
    if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) return;
    if (!DATASET_ID.test(dataset)) return;
    if (await this.store.releaseShards(round.did, dataset, version)) return;
    const current = round.pending.find((m) => m.dataset === dataset && m.version === version);
    if (current) return this.takeManifests(round, (m) => m === current);
    const what = `manifest of ${dataset} ${version}`;
    const text = await this.fetchEnvelope(round, `${round.api}/datasets/${encodeURIComponent(dataset)}/manifest?version=${version}`, what, dataset);
    if (text !== undefined) await this.take(round, what, () => this.parsed(parseJson(text), (b) => this.intake.manifest(b)), dataset);
  }

  /** Takes (and forgets) the pending manifests `which` picks, in order; one not kept is read again. */
  private async takeManifests(round: NodeRound, which: (m: PendingManifest) => boolean): Promise<void> {
    for (const manifest of round.pending.filter(which)) {
      round.pending.splice(round.pending.indexOf(manifest), 1);
      const what = `manifest of ${manifest.dataset}${manifest.version ? ` ${manifest.version}` : ''}`;
      let text = manifest.text;
      if (text === null) {
        text = (await this.fetchEnvelope(round, `${round.api}/datasets/${manifest.dataset}/manifest`, what, manifest.dataset)) ?? null;
        if (text === null) continue;
      } else {
        round.heldBytes -= text.length;
      }
      const body = parseJson(text);
      await this.take(round, what, () => this.parsed(body, (b) => this.intake.manifest(b)), manifest.dataset);
    }
  }

  /**
   * An envelope the node serves, as text, no larger than a push may send. A refusal by the node
   * is reported with its code, and undefined returned; a failure on the node's side (5xx, 429)
   * leaves the dataset unsettled.
   */
  private async fetchEnvelope(round: NodeRound, address: string, what: string, dataset: string): Promise<string | undefined> {
    let answer;
    try {
      answer = await fetchFromNode(address, { ...this.limits(round), maxBytes: this.envelopeBytes });
    } catch (error) {
      if (!(error instanceof NodeUnreachableError) || error.details?.tooLarge !== true) throw error;
      round.report.fetched += 1;
      this.refuse(round.report, { what, code: 'PayloadTooLarge', message: `${address} is larger than a push may send (limits.bodyBytes, ${this.envelopeBytes} bytes).` });
      return undefined;
    }
    round.report.fetched += 1;
    if (answer.status !== 200) {
      if (answer.status >= 500 || answer.status === 429) round.unsettled.add(dataset);
      this.refuse(round.report, { what, code: answer.code ?? `HTTP${answer.status}`, message: answer.message ?? `the node answered ${answer.status}` });
      return undefined;
    }
    if (parseJson(answer.text) === undefined) {
      this.refuse(round.report, { what, code: 'MalformedJson', message: `${address} did not answer JSON.` });
      return undefined;
    }
    return answer.text;
  }

  /** The body a push would have sent, checked as the push route checks it. */
  private async parsed<T>(json: unknown, intake: (body: z.output<typeof envelopeBodySchema>) => Promise<T>): Promise<T> {
    const body = envelopeBodySchema.safeParse(json);
    if (!body.success) throw new InvalidRequestError('The node served something that is not a DSSE envelope.');
    return intake(body.data);
  }

  /**
   * Runs one intake. A refusal a push would get is reported: held when it depends on what the
   * index holds now (see HELD), so the caller stops before it. Anything else (a bug, the
   * database) is thrown, and ends this node's round.
   */
  private async take(round: NodeRound, what: string, run: () => Promise<{ status: string }>, dataset: string): Promise<Taken> {
    if (round.signal.aborted) throw stoppedBy(round.signal);
    try {
      const { status } = await run();
      if (status === 'unchanged') round.report.unchanged += 1;
      else round.report.new += 1;
      return 'taken';
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      const status = INDEX_STATUSES[error.code];
      const held = HELD.has(error.code) || (HELD_IF_UNSETTLED.has(error.code) && round.unsettled.has(dataset));
      if (!held && (status === undefined || status >= 500)) throw error;
      this.refuse(round.report, { what, code: error.code, message: error.message });
      if (held && what.startsWith('manifest')) round.unsettled.add(dataset);
      return held ? 'held' : 'refused';
    }
  }

  private refuse(report: HarvestReport, refusal: HarvestReport['refused'][number]): void {
    report.refusedTotal += 1;
    if (report.refused.length < this.settings.maxRefusals) report.refused.push(refusal);
  }

  private limits(round: NodeRound): NodeFetchLimits {
    return { timeoutMs: this.settings.timeoutMs, maxBytes: this.settings.maxBytes, signal: round.signal };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A date-time as an instant (ms), so that offsets compare as time does; -Infinity when unreadable. */
function instant(value: unknown): number {
  const ms = typeof value === 'string' && value.length <= 40 ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}

function issuedOf(envelope: unknown): number {
  return instant((peekPayload(envelope) as { issued?: unknown } | undefined)?.issued);
}
