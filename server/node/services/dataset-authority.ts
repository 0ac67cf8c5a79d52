import { randomBytes } from 'node:crypto';
import { PAYLOAD_TYPES, signStatement, type AccessChangeNotice, type RetractionNotice } from '../../../pipelines/federation/statements.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import { nowIso } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import { DatasetRetractedError } from '../errors.js';
import type { NodeIdentity } from '../identity.js';
import type { NoticeStore } from '../stores/notices.js';
import type { AccessClass, Dataset, PendingRedaction, ReleaseStore } from '../stores/releases.js';
import type { ReleaseActivity } from './release-activity.js';
import { claimantAlive } from './release-publication.js';

/** A dataset as its operators see it: where it stands, and whether a rebuild is due. */
export interface DatasetState {
  id: string;
  language: string;
  modality: 'text' | 'speech';
  accessClass: AccessClass;
  status: 'current' | 'retracted';
  /** The current release's version, or for a retracted dataset the last one published. */
  version: string;
  records: number;
  published: string;
  retractedAt: string | null;
  retractionReason: string | null;
  /** Records withdrawn from the current release and the rebuild that will leave them out. */
  pendingRedaction: { records: number; since: string; due: string } | null;
}

/** A notice as the operator is told of it: its id and its place in the node's feed. */
export interface NoticeRef {
  id: string;
  seq: number;
}

/**
 * The community's authority over a dataset as a whole (CARE): retract it, or change who may
 * download it. Each takes effect on the node at once (what is served is decided from the
 * database on every request) and is announced in a signed notice, appended to the node's notices
 * in the same transaction, for indexes and trainers.
 */
export class DatasetAuthority {
  constructor(
    private readonly deps: {
      db: Db;
      identity: NodeIdentity;
      releases: ReleaseStore;
      notices: NoticeStore;
      releaseFiles: BlobStore;
      activity: ReleaseActivity;
      /** Seconds from a dataset's first withdrawal to its rebuild (node.json `releases.redactAfterSeconds`). */
      redactAfterSeconds: number;
      log: Logger;
    },
  ) {}

  list(): DatasetState[] {
    const pending = new Map(this.deps.releases.pendingRedactions().map((p) => [p.datasetId, p]));
    return this.deps.releases.datasets().flatMap((dataset) => this.stateOf(dataset, pending.get(dataset.id)) ?? []);
  }

  get(datasetId: string): DatasetState {
    const dataset = this.deps.releases.dataset(datasetId);
    const pending = dataset && this.deps.releases.pendingRedactions().find((p) => p.datasetId === datasetId);
    const found = dataset && this.stateOf(dataset, pending);
    if (!found) throw new NotFoundError('No such dataset.');
    return found;
  }

  /** A dataset as its operators see it; undefined before its first release. */
  private stateOf(dataset: Dataset, due: PendingRedaction | undefined): DatasetState | undefined {
    const release = this.deps.releases.current(dataset.id) ?? this.deps.releases.latest(dataset.id);
    if (!release) return undefined;
    return {
      ...this.state(dataset),
      version: release.version,
      records: release.records,
      published: release.createdAt,
      pendingRedaction: due
        ? { records: due.records, since: due.since, due: new Date(Date.parse(due.since) + this.deps.redactAfterSeconds * 1000).toISOString() }
        : null,
    };
  }

  /**
   * Takes a dataset back: from this moment its manifest, card and every shard of every version
   * answer 410, it is listed nowhere, and it is built again only when an operator says so. Its
   * files are removed once no build or redaction of it is under way in this process.
   */
  async retract(datasetId: string, reason: string): Promise<{ dataset: DatasetState; notice: NoticeRef }> {
    const notice = this.recordRetraction(datasetId, reason);
    await this.deps.activity.exclusive(datasetId, () => this.removeFiles(datasetId));
    return { dataset: this.get(datasetId), notice };
  }

  /** `retract` from within a redaction of the dataset (which already runs alone). */
  async retractWithin(datasetId: string, reason: string): Promise<{ dataset: DatasetState; notice: NoticeRef }> {
    const notice = this.recordRetraction(datasetId, reason);
    await this.removeFiles(datasetId);
    return { dataset: this.get(datasetId), notice };
  }

  /**
   * Changes who may download a dataset, at once: the next shard request is judged by the new
   * class. The manifest already signed keeps the class it was published with; the notice says
   * what holds now, and the next version carries it. The same class again changes nothing.
   */
  setAccess(datasetId: string, accessClass: AccessClass): { dataset: DatasetState; changed: boolean; notice: NoticeRef | null } {
    const { db, identity, releases, notices } = this.deps;
    const notice = db.transaction((): NoticeRef | null => {
      const dataset = this.existing(datasetId);
      if (dataset.accessClass === accessClass) return null;
      const statement: AccessChangeNotice = {
        type: 'tributary:access-change/1',
        id: randomBytes(16).toString('hex'),
        node: identity.did,
        dataset: datasetId,
        accessClass,
        issued: nowIso(),
      };
      releases.setAccessClass(datasetId, accessClass);
      const envelope = signStatement(PAYLOAD_TYPES.accessChange, statement, identity.signingKey, identity.keyId);
      const seq = notices.append({ id: statement.id, kind: 'access-change', datasetId, records: 0, envelope: JSON.stringify(envelope), createdAt: statement.issued });
      return { id: statement.id, seq };
    }).immediate();
    return { dataset: this.get(datasetId), changed: notice !== null, notice };
  }

  private recordRetraction(datasetId: string, reason: string): NoticeRef {
    const { db, identity, releases, notices } = this.deps;
    return db.transaction((): NoticeRef => {
      this.existing(datasetId);
      const statement: RetractionNotice = {
        type: 'tributary:retraction/1',
        id: randomBytes(16).toString('hex'),
        node: identity.did,
        dataset: datasetId,
        reason,
        issued: nowIso(),
      };
      if (!releases.retract(datasetId, statement.issued, reason)) throw new DatasetRetractedError();
      const envelope = signStatement(PAYLOAD_TYPES.retraction, statement, identity.signingKey, identity.keyId);
      const seq = notices.append({ id: statement.id, kind: 'retraction', datasetId, records: 0, envelope: JSON.stringify(envelope), createdAt: statement.issued });
      return { id: statement.id, seq };
    }).immediate();
  }

  /**
   * Removes what is left of retracted datasets' files (a crash after the retraction, or a build
   * beside it that wrote on): none is served. A dataset some running attempt is writing is left
   * to it. The node runs this at start.
   */
  async clearRetracted(): Promise<void> {
    for (const dataset of this.deps.releases.datasets()) {
      if (dataset.retractedAt && !this.deps.releases.beingWritten(dataset.id, claimantAlive)) await this.removeFiles(dataset.id);
    }
  }

  private existing(datasetId: string): Dataset {
    const dataset = this.deps.releases.dataset(datasetId);
    if (!dataset) throw new NotFoundError('No such dataset.');
    if (dataset.retractedAt) throw new DatasetRetractedError();
    return dataset;
  }

  /** Every version's files; nothing serves them any more, so a failure is logged, not thrown. */
  private async removeFiles(datasetId: string): Promise<void> {
    await this.deps.releaseFiles.deletePrefix(`${datasetId}/`).catch((error: unknown) => {
      this.deps.log.warn({ err: error, dataset: datasetId }, 'could not remove a retracted dataset’s files');
    });
  }

  private state(dataset: Dataset) {
    return {
      id: dataset.id,
      language: dataset.language,
      modality: dataset.modality,
      accessClass: dataset.accessClass,
      status: dataset.retractedAt ? ('retracted' as const) : ('current' as const),
      retractedAt: dataset.retractedAt,
      retractionReason: dataset.retractionReason,
    };
  }
}
