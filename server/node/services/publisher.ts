import { PAYLOAD_TYPES, signStatement } from '../../../pipelines/federation/statements.js';
import { TributaryError } from '../../core/errors.js';
import { askPeer, type PeerAnswer } from '../../core/http-client.js';
import { nowIso } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import type { NodeConfig } from '../config.js';
import { IndexRefusedError } from '../errors.js';
import type { NodeIdentity } from '../identity.js';
import type { Delivery, DeliveryStore } from '../stores/deliveries.js';
import type { NoticeStore } from '../stores/notices.js';
import type { ReleaseStore } from '../stores/releases.js';

/** What one delivery pass sent to an index. */
export interface DeliveryOutcome {
  index: string;
  registered: boolean;
  /** Manifests and notices the index acknowledged or refused in this pass. */
  manifests: number;
  notices: number;
  /** What the index refused for good (and delivery passed over), with its code. */
  refused: Array<{ what: string; code: string }>;
}

export type DeliveryProgress = { sent: number; total: number };

/** How often a running node looks for something new to send, and beats its heart. */
const POLL_MS = 5_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const PAGE = 100;

/** An index's codes (server/index/errors.ts) for a statement it will never take, whoever sends it. */
const FINAL_REFUSALS = new Set([
  'ManifestPayloadType',
  'ManifestSignerUnknown',
  'ManifestSignatureInvalid',
  'ManifestMalformed',
  'ManifestExpired',
  'ContentUrlOffNode',
  'RevConflict',
  'StatementPayloadType',
  'StatementSignatureInvalid',
  'StatementMalformed',
  'StatementExpired',
  'UnknownDataset',
  'UnknownRelease',
  'UnknownShard',
  'NoticeConflict',
  'NoticeOutOfOrder',
  'DatasetRetracted',
]);

/**
 * Publishes what the node signs to the indexes it names: registers it (again when its signing
 * key changed), then every manifest and notice past the index's cursors, in the order they were
 * made, advancing a cursor only on the index's answer. While an index is unreachable, delivery backs
 * off (1 s, 2 s, 4 s … 10 min) and resumes from the stored cursor, across restarts too. A
 * heartbeat tells each index the node is alive, with its datasets' current versions.
 */
export class Publisher {
  private timer: NodeJS.Timeout | undefined;
  private heartbeats = new Map<string, number>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      config: NodeConfig;
      identity: NodeIdentity;
      deliveries: DeliveryStore;
      releases: ReleaseStore;
      notices: NoticeStore;
      log: Logger;
    },
  ) {}

  /** Runs delivery and heartbeats for every index in node.json until `stop`. */
  start(): void {
    if (this.timer || this.deps.config.indexes.length === 0) return;
    const tick = () => {
      this.running ??= this.round().finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, POLL_MS);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Delivery state of every index the node has published to. */
  status(): Array<Delivery & { backlog: { manifests: number; notices: number } }> {
    return this.deps.deliveries.all().map((delivery) => ({ ...delivery, backlog: this.deps.deliveries.backlog(delivery) }));
  }

  /**
   * One pass to one index: register if needed, then everything not yet acknowledged, manifests
   * and notices in the order they were made (a retraction and a later `--unretract` release must
   * arrive in that order). Throws (after recording the failure and its back-off) when the index
   * cannot be reached, refuses the node itself, or fails; what it refuses for good is passed over.
   */
  async deliver(indexUrl: string, onProgress: (p: DeliveryProgress) => void = () => {}): Promise<DeliveryOutcome> {
    const { deliveries, notices, identity } = this.deps;
    let delivery = deliveries.ensure(indexUrl);
    const outcome: DeliveryOutcome = { index: indexUrl, registered: false, manifests: 0, notices: 0, refused: [] };
    try {
      if (delivery.registeredKeyId !== identity.keyId) {
        await this.post(indexUrl, '/nodes', JSON.stringify(this.registration()));
        deliveries.registered(indexUrl, identity.keyId);
        outcome.registered = true;
      }
      const backlog = deliveries.backlog(delivery);
      const total = backlog.manifests + backlog.notices;
      let manifests = deliveries.pendingManifests(delivery.manifestsSent, PAGE);
      let pending = notices.since(delivery.noticesSent, PAGE);
      while (manifests.length > 0 || pending.length > 0) {
        const manifest = manifests[0];
        const notice = pending[0];
        if (manifest && (!notice || manifest.createdAt <= notice.createdAt)) {
          // An index that already holds a newer version (harvested, say) has no use for this one.
          const refusal = await this.send(indexUrl, '/manifests', manifest.envelope, ['RevNotIncreasing']);
          if (refusal) outcome.refused.push({ what: `manifest ${manifest.datasetId} ${manifest.version}`, code: refusal });
          deliveries.manifestsSent(indexUrl, manifest.rowid, nowIso());
          outcome.manifests++;
          manifests.shift();
          if (manifests.length === 0) manifests = deliveries.pendingManifests(manifest.rowid, PAGE);
        } else {
          const refusal = await this.send(indexUrl, '/notices', notice!.envelope, []);
          if (refusal) outcome.refused.push({ what: `${notice!.kind} notice ${notice!.id}`, code: refusal });
          deliveries.noticesSent(indexUrl, notice!.seq, nowIso());
          outcome.notices++;
          pending.shift();
          if (pending.length === 0) pending = notices.since(notice!.seq, PAGE);
        }
        onProgress({ sent: outcome.manifests + outcome.notices, total });
      }
      deliveries.succeeded(indexUrl);
      return outcome;
    } catch (error) {
      if ((error as TributaryError).details?.code === 'NodeNotRegistered') deliveries.forgetRegistration(indexUrl);
      const failures = deliveries.ensure(indexUrl).failures + 1;
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)) * (0.8 + 0.4 * Math.random());
      deliveries.failed(indexUrl, (error as Error).message, new Date(Date.now() + wait).toISOString());
      throw error;
    }
  }

  /**
   * Posts one manifest or notice. Returns the code of a refusal for good (the index judged the
   * statement itself: out of date, superseded, naming what it never took; sending it again would
   * not change that), recorded and passed over; throws on anything else (unreachable, failing,
   * refusing the node, a proxy's 404 or 413), so that it is tried again.
   */
  private async send(indexUrl: string, path: string, body: string, alreadyThere: string[]): Promise<string | null> {
    try {
      await this.post(indexUrl, path, body, { alreadyThere });
      return null;
    } catch (error) {
      const code = (error as TributaryError).details?.code;
      if (!(error instanceof IndexRefusedError) || typeof code !== 'string' || !FINAL_REFUSALS.has(code)) throw error;
      this.deps.deliveries.refused(indexUrl, `${path}: ${error.message}`);
      this.deps.log.warn({ index: indexUrl, path, code }, 'an index refused what the node sent; passed over');
      return code;
    }
  }

  /** Sends a signed heartbeat to an index; its sequence is reserved before sending. */
  async heartbeat(indexUrl: string): Promise<void> {
    const { deliveries, releases, identity } = this.deps;
    deliveries.ensure(indexUrl);
    const issued = new Date();
    const interval = this.deps.config.heartbeatMinutes * 60_000;
    const statement = {
      type: 'tributary:heartbeat/1' as const,
      node: identity.did,
      sequence: deliveries.nextHeartbeat(indexUrl),
      issued: issued.toISOString(),
      // Three beats may be missed before it lapses.
      expires: new Date(issued.getTime() + 3 * interval).toISOString(),
      datasets: releases.datasets().flatMap((dataset) => {
        const current = releases.current(dataset.id);
        return current ? [{ id: dataset.id, version: current.version, manifestSha256: current.manifestSha256 }] : [];
      }),
    };
    await this.post(indexUrl, '/heartbeats', JSON.stringify(signStatement(PAYLOAD_TYPES.heartbeat, statement, identity.signingKey, identity.keyId)));
  }

  private registration() {
    const { config, identity } = this.deps;
    return signStatement(
      PAYLOAD_TYPES.registration,
      {
        type: 'tributary:node-registration/1',
        node: identity.did,
        name: config.name,
        url: config.url!,
        languages: config.languages,
        publicKeys: identity.publicKeys,
        keyRotations: identity.keyRotations,
        issued: nowIso(),
      },
      identity.signingKey,
      identity.keyId,
    );
  }

  /** Delivers, in turn, to each configured index that is due; heartbeats on their own clock. */
  private async round(): Promise<void> {
    const now = Date.now();
    for (const indexUrl of this.deps.config.indexes) {
      const delivery = this.deps.deliveries.ensure(indexUrl);
      const due = !delivery.nextAttemptAt || Date.parse(delivery.nextAttemptAt) <= now;
      const backlog = this.deps.deliveries.backlog(delivery);
      const behind = delivery.registeredKeyId !== this.deps.identity.keyId || backlog.manifests + backlog.notices > 0;
      if (due && behind) {
        await this.deliver(indexUrl).catch((error: unknown) =>
          this.deps.log.warn({ err: error, index: indexUrl }, 'delivery to an index failed; will retry'),
        );
      }
      const lastBeat = this.heartbeats.get(indexUrl) ?? 0;
      if (due && now - lastBeat >= this.deps.config.heartbeatMinutes * 60_000 && delivery.registeredKeyId) {
        this.heartbeats.set(indexUrl, now);
        await this.heartbeat(indexUrl).catch((error: unknown) =>
          this.deps.log.warn({ err: error, index: indexUrl }, 'heartbeat to an index failed'),
        );
      }
    }
  }

  private async post(indexUrl: string, path: string, body: string, options: { alreadyThere?: string[] } = {}): Promise<PeerAnswer> {
    const answer = await askPeer(`${indexUrl}/api/v1${path}`, { body, maxBytes: 64 * 1024 });
    if (answer.status < 300) return answer;
    if (answer.code && options.alreadyThere?.includes(answer.code)) return answer;
    throw new IndexRefusedError(`${indexUrl} refused ${path}: ${answer.code ?? answer.status} ${answer.message ?? ''}`.trim(), {
      index: indexUrl,
      status: answer.status,
      code: answer.code ?? null,
    });
  }
}
