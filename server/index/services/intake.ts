import type { KeyObject } from 'node:crypto';
import {
  openStatement,
  PAYLOAD_TYPES,
  peekPayload,
  type Statement,
  type StatementType,
} from '../../../pipelines/federation/statements.js';
import { MANIFEST_PAYLOAD_TYPE } from '../../../pipelines/release/manifest/croissant.js';
import { signedManifestSchema } from '../../../pipelines/release/verify/manifest-schema.js';
import { verifyEnvelope } from '../../../pipelines/signing/dsse.js';
import { sha256Hex, storedEnvelope, type EnvelopeBody } from '../domain/envelope.js';
import type { FeedEvent } from '../domain/feed-events.js';
import { manifestFacts } from '../domain/manifest-facts.js';
import { isUnder } from '../domain/urls.js';
import {
  ContentUrlOffNodeError,
  DatasetRetractedError,
  HeartbeatReplayedError,
  ManifestExpiredError,
  ManifestMalformedError,
  ManifestPayloadTypeError,
  ManifestSignatureInvalidError,
  ManifestSignerUnknownError,
  ManifestWrongNodeError,
  NodeNotRegisteredError,
  NodeSuspendedError,
  NoticeConflictError,
  NoticeOutOfOrderError,
  RevConflictError,
  RevNotIncreasingError,
  StatementExpiredError,
  StatementMalformedError,
  StatementPayloadTypeError,
  StatementSignatureInvalidError,
  UnknownDatasetError,
  UnknownReleaseError,
  UnknownShardError,
} from '../errors.js';
import type { HeartbeatDataset, IndexStore, IndexTransaction, NodeRecord, NoticeKind } from '../store/index-store.js';
import type { FeedLog } from './feed-log.js';
import type { NodeRegistry } from './registry.js';

export interface ManifestOutcome {
  manifest: string;
  node: string;
  dataset: string;
  version: string;
  rev: number;
  status: 'published' | 'unchanged';
  /** The manifest's `manifest.published` event. */
  logIndex: number;
}

export interface NoticeOutcome {
  notice: string;
  kind: NoticeKind;
  node: string;
  dataset: string;
  status: 'accepted' | 'unchanged';
  /** The notice's event; null when a retraction arrived for a dataset already retracted. */
  logIndex: number | null;
}

export interface HeartbeatOutcome {
  node: string;
  sequence: number;
  /** Datasets the heartbeat lists whose manifest the index does not hold: the node should push them. */
  missing: HeartbeatDataset[];
}

const NOTICE_KINDS = {
  [PAYLOAD_TYPES.withdrawal]: 'withdrawal',
  [PAYLOAD_TYPES.retraction]: 'retraction',
  [PAYLOAD_TYPES.accessChange]: 'access-change',
} as const satisfies Record<string, NoticeKind>;
type NoticeType = keyof typeof NOTICE_KINDS;

/** How far ahead of the index's clock a manifest's `datePublished` may be (clocks differ). */
export const PUBLISHED_SKEW_MS = 24 * 3_600_000;

export interface IntakeDeps {
  store: IndexStore;
  feed: FeedLog;
  registry: NodeRegistry;
  now?: () => Date;
}

/**
 * What nodes push: manifests, notices and heartbeats. Each is checked before the index takes
 * it (the node registered and not suspended, a signature by one of its keys, the payload type,
 * the schema, then the rules below) and refused with a stable code otherwise. What is accepted
 * changes the index's state and appends its feed event in one transaction; a refusal changes
 * nothing. Checks that depend on what the index holds (revs, sequences, ids) run inside that
 * transaction, so two pushes of one dataset cannot both pass them.
 */
export class Intake {
  private readonly store: IndexStore;
  private readonly feed: FeedLog;
  private readonly registry: NodeRegistry;
  private readonly now: () => Date;

  constructor(deps: IntakeDeps) {
    this.store = deps.store;
    this.feed = deps.feed;
    this.registry = deps.registry;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * A signed release manifest. Monotonic per dataset: a higher `tributary:rev` supersedes the
   * current manifest, the current one again is an idempotent answer, anything else is refused.
   */
  async manifest(body: EnvelopeBody): Promise<ManifestOutcome> {
    if (body.payloadType !== MANIFEST_PAYLOAD_TYPE) {
      throw new ManifestPayloadTypeError(`POST /manifests takes ${MANIFEST_PAYLOAD_TYPE}, not ${body.payloadType}.`);
    }
    const signer = await this.registry.signerOf((peekPayload(body) as Record<string, unknown> | undefined)?.['tributary:nodeDid'], body);
    if (!signer) throw new ManifestSignerUnknownError('The manifest names no node, and is signed by no key the index holds.');
    const { node, keys } = signer;
    const verdict = verifyEnvelope(body, keys);
    if (!verdict.ok) {
      if (!body.signatures.some((s) => keys.has(s.keyid))) {
        throw new ManifestSignerUnknownError(`The manifest is signed by ${body.signatures.map((s) => s.keyid).join(', ')}, none of them a key of ${node.did}.`);
      }
      throw new ManifestSignatureInvalidError(`The manifest's signature does not verify: ${verdict.reason}.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verdict.payload));
    } catch {
      throw new ManifestMalformedError('The signed payload is not UTF-8 JSON.');
    }
    const parsed = signedManifestSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new ManifestMalformedError(
        `The signed manifest is not a valid Tributary manifest: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        { issues },
      );
    }
    const manifest = parsed.data;
    if (manifest.nodeDid !== node.did) throw new ManifestWrongNodeError(`The manifest names ${manifest.nodeDid}, not ${node.did}.`);
    const at = this.now();
    if (Date.parse(manifest.expires) <= at.getTime()) throw new ManifestExpiredError(`The manifest expired at ${manifest.expires}.`);
    const facts = manifestFacts(manifest);
    // Search orders by `published`: a date far ahead would pin the node's datasets to the top.
    if (Date.parse(facts.published) > at.getTime() + PUBLISHED_SKEW_MS) {
      throw new ManifestMalformedError(`The manifest says it was published ${facts.published}, later than now (${at.toISOString()}) allows.`, {
        issues: [{ path: 'datePublished', message: 'in the future' }],
      });
    }
    const offNode = manifest.shards.filter((shard) => !isUnder(shard.contentUrl, node.url));
    if (offNode.length > 0) {
      throw new ContentUrlOffNodeError(`${offNode[0]!.contentUrl} is not under the node's URL ${node.url}.`, {
        shards: offNode.slice(0, 10).map((s) => s.name),
      });
    }
    const sha256 = sha256Hex(verdict.payload);
    const stored = storedEnvelope(body);
    const answer = (status: ManifestOutcome['status'], logIndex: number): ManifestOutcome => ({
      manifest: sha256,
      node: node.did,
      dataset: manifest.datasetId,
      version: manifest.version,
      rev: manifest.rev,
      status,
      logIndex,
    });

    return this.store.transaction(async (tx) => {
      const now = at.toISOString();
      const current = await this.activeNode(tx, node.did);
      const dataset = await tx.dataset(node.did, manifest.datasetId);
      // The same manifest again says nothing about the node: anyone may re-send what it signed.
      if (dataset?.manifest === sha256) return answer('unchanged', (await tx.manifest(sha256))!.logIndex);
      if (dataset?.retracted) {
        // The community may publish a retracted dataset again (the node's --unretract): a
        // release made after the retraction lifts it; one made before (an outbox catching up)
        // cannot bring the dataset back.
        const retraction = await tx.notice(node.did, dataset.retracted.notice);
        if (!retraction || Date.parse(facts.published) <= Date.parse(retraction.issued)) {
          throw new DatasetRetractedError(
            `${manifest.datasetId} was retracted (notice issued ${retraction?.issued ?? dataset.retracted.at}); this manifest was published ${facts.published}, before that.`,
          );
        }
      }
      if (dataset && manifest.rev < dataset.rev) {
        throw new RevNotIncreasingError(`The index holds rev ${dataset.rev} of ${manifest.datasetId} (version ${dataset.version}); this is rev ${manifest.rev}.`);
      }
      if (dataset && manifest.rev === dataset.rev) {
        throw new RevConflictError(`The index holds another manifest of ${manifest.datasetId} at rev ${manifest.rev}.`);
      }

      await tx.putEnvelope({ ...stored, payloadType: body.payloadType, nodeDid: node.did, receivedAt: now });
      const events: FeedEvent[] = [
        {
          type: 'manifest.published',
          v: 1,
          at: now,
          node: node.did,
          dataset: manifest.datasetId,
          version: manifest.version,
          rev: manifest.rev,
          manifestSha256: sha256,
          accessClass: facts.accessClass,
          expires: manifest.expires,
          envelopeSha256: stored.sha256,
        },
      ];
      if (dataset) {
        events.push({
          type: 'manifest.superseded',
          v: 1,
          at: now,
          node: node.did,
          dataset: manifest.datasetId,
          version: dataset.version,
          rev: dataset.rev,
          manifestSha256: dataset.manifest,
          supersededBy: sha256,
        });
      }
      const [logIndex] = await this.feed.append(tx, events);
      await tx.putManifest(
        {
          sha256,
          nodeDid: node.did,
          datasetId: manifest.datasetId,
          version: manifest.version,
          rev: manifest.rev,
          envelope: stored.sha256,
          published: facts.published,
          expires: manifest.expires,
          receivedAt: now,
          logIndex: logIndex!,
          supersededBy: null,
        },
        manifest.shards.map((shard) => ({ name: shard.name, sha256: shard.sha256 })),
      );
      if (dataset) await tx.supersedeManifest(dataset.manifest, sha256);
      await tx.putDataset({
        nodeDid: node.did,
        datasetId: manifest.datasetId,
        manifest: sha256,
        version: manifest.version,
        rev: manifest.rev,
        ...facts,
        accessChanged: dataset?.accessChanged ?? null,
        retracted: null,
        updatedAt: now,
      });
      await heard(tx, current, now);
      return answer('published', logIndex!);
    });
  }

  /** A withdrawal, retraction or access-change notice. The same notice again is an idempotent answer. */
  async notice(body: EnvelopeBody): Promise<NoticeOutcome> {
    if (!(body.payloadType in NOTICE_KINDS)) {
      throw new StatementPayloadTypeError(`POST /notices takes ${Object.keys(NOTICE_KINDS).join(', ')}; not ${body.payloadType}.`);
    }
    const type = body.payloadType as NoticeType;
    const kind = NOTICE_KINDS[type];
    const { node, keys } = await this.claimedNode(body);
    const { statement, payload } = open(body, type, keys);
    const stored = storedEnvelope(body);

    return this.store.transaction(async (tx) => {
      const now = this.now().toISOString();
      const current = await this.activeNode(tx, node.did);
      const answer = (status: NoticeOutcome['status'], logIndex: number | null): NoticeOutcome => ({
        notice: statement.id,
        kind,
        node: node.did,
        dataset: statement.dataset,
        status,
        logIndex,
      });
      const existing = await tx.notice(node.did, statement.id);
      if (existing) {
        const held = JSON.parse((await tx.envelope(existing.envelope))!) as { payload: string };
        if (existing.kind !== kind || !Buffer.from(held.payload, 'base64').equals(Buffer.from(payload))) {
          throw new NoticeConflictError(`The index holds another notice ${statement.id} from ${node.did}.`);
        }
        return answer('unchanged', existing.logIndex);
      }

      const dataset = await tx.dataset(node.did, statement.dataset);
      const base = { v: 1 as const, at: now, node: node.did, dataset: statement.dataset, notice: statement.id, envelopeSha256: stored.sha256 };
      let event: FeedEvent;
      let issued: string;
      switch (statement.type) {
        case 'tributary:withdrawal-notice/1': {
          const version = statement.release.version;
          const held = await tx.releaseShards(node.did, statement.dataset, version);
          if (!held) throw new UnknownReleaseError(`The index holds no manifest of ${statement.dataset} ${version}.`);
          const known = new Set(held.map((s) => `${s.name}\u0000${s.sha256}`));
          const unknown = statement.shards.filter((s) => !known.has(`${s.name}\u0000${s.sha256}`));
          if (unknown.length > 0) {
            throw new UnknownShardError(`${statement.dataset} ${version} lists no shard ${unknown[0]!.name} with sha256 ${unknown[0]!.sha256}.`, {
              shards: unknown.slice(0, 10).map((s) => s.name),
            });
          }
          event = { type: 'withdrawal', ...base, version, reason: statement.reason, records: statement.records.length, shards: statement.shards };
          issued = statement.issued;
          break;
        }
        case 'tributary:retraction/1': {
          if (!dataset) throw new UnknownDatasetError(`The index holds no manifest of ${statement.dataset}.`);
          // Retracted already: nothing changes, and the earlier retraction stays the tombstone.
          if (dataset.retracted) return answer('unchanged', null);
          event = { type: 'dataset.retracted', ...base, reason: statement.reason };
          issued = statement.issued;
          await tx.putDataset({ ...dataset, retracted: { at: now, notice: statement.id }, updatedAt: now });
          break;
        }
        case 'tributary:access-change/1': {
          if (!dataset) throw new UnknownDatasetError(`The index holds no manifest of ${statement.dataset}.`);
          if (dataset.retracted) throw new DatasetRetractedError(`${statement.dataset} was retracted at ${dataset.retracted.at}.`);
          if (dataset.accessChanged && statement.issued < dataset.accessChanged) {
            throw new NoticeOutOfOrderError(`The index applied an access change of ${statement.dataset} issued ${dataset.accessChanged}; this one was issued ${statement.issued}.`);
          }
          event = { type: 'dataset.access-changed', ...base, accessClass: statement.accessClass };
          issued = statement.issued;
          await tx.putDataset({ ...dataset, accessClass: statement.accessClass, accessChanged: statement.issued, updatedAt: now });
          break;
        }
      }
      await tx.putEnvelope({ ...stored, payloadType: body.payloadType, nodeDid: node.did, receivedAt: now });
      const [logIndex] = await this.feed.append(tx, [event]);
      await tx.putNotice({
        nodeDid: node.did,
        id: statement.id,
        kind,
        datasetId: statement.dataset,
        envelope: stored.sha256,
        issued,
        receivedAt: now,
        logIndex: logIndex!,
      });
      await heard(tx, current, now);
      return answer('accepted', logIndex!);
    });
  }

  /** "Still here", with the datasets the node serves. Sequence numbers only increase; an expired heartbeat is refused. */
  async heartbeat(body: EnvelopeBody): Promise<HeartbeatOutcome> {
    if (body.payloadType !== PAYLOAD_TYPES.heartbeat) {
      throw new StatementPayloadTypeError(`POST /heartbeats takes ${PAYLOAD_TYPES.heartbeat}, not ${body.payloadType}.`);
    }
    const { node, keys } = await this.claimedNode(body);
    const { statement } = open(body, PAYLOAD_TYPES.heartbeat, keys);
    const at = this.now();
    if (Date.parse(statement.expires) <= at.getTime()) throw new StatementExpiredError(`The heartbeat expired at ${statement.expires}.`);

    await this.store.transaction(async (tx) => {
      const now = at.toISOString();
      const current = await this.activeNode(tx, node.did);
      if (statement.sequence <= current.heartbeat.sequence) {
        throw new HeartbeatReplayedError(`The index holds heartbeat ${current.heartbeat.sequence} of ${node.did}; this is ${statement.sequence}.`);
      }
      await tx.putNode({
        ...current,
        heartbeat: { sequence: statement.sequence, at: now, datasets: statement.datasets },
        lastHeardAt: now,
        stale: false,
      });
    });
    const missing: HeartbeatDataset[] = [];
    for (const listed of statement.datasets) {
      if (!(await this.store.manifest(listed.manifestSha256))) missing.push(listed);
    }
    return { node: node.did, sequence: statement.sequence, missing };
  }

  private async claimedNode(body: EnvelopeBody): Promise<{ node: NodeRecord; keys: Map<string, KeyObject> }> {
    const signer = await this.registry.signerOf((peekPayload(body) as Record<string, unknown> | undefined)?.node, body);
    if (!signer) throw new StatementMalformedError('The statement names no node, and is signed by no key the index holds.');
    return signer;
  }

  /** The node as the transaction sees it: an operator may have suspended it since it was checked. */
  private async activeNode(tx: IndexTransaction, did: string): Promise<NodeRecord> {
    const node = await tx.node(did);
    if (!node) throw new NodeNotRegisteredError();
    if (node.suspended) throw new NodeSuspendedError();
    return node;
  }
}

function open<T extends StatementType>(body: EnvelopeBody, type: T, keys: Map<string, KeyObject>): { statement: Statement<T>; payload: Uint8Array } {
  const opened = openStatement(body, type, keys);
  if (opened.ok) return { statement: opened.statement, payload: opened.payload };
  if (opened.problem === 'Signature') throw new StatementSignatureInvalidError(`The statement is not signed by a key of its node: ${opened.reason}.`);
  if (opened.problem === 'PayloadType') throw new StatementPayloadTypeError(opened.reason);
  throw new StatementMalformedError(`The statement is not valid: ${opened.reason}.`);
}

/**
 * Something new from a node shows it is alive: it is no longer stale. Only what the node signed
 * for this (a heartbeat) or something the index takes as new counts: an envelope the index holds
 * already may be replayed by anyone, so it proves nothing about the node now.
 */
async function heard(tx: IndexTransaction, node: NodeRecord, at: string): Promise<void> {
  await tx.putNode({ ...node, lastHeardAt: at, stale: false });
}
