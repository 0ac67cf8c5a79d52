import { API_BASE } from '../paths.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import {
  AccessPendingError,
  AccessRefusedError,
  AccessTokenRequiredError,
  DatasetRetractedError,
  ReleaseSupersededError,
  ShardWithdrawnError,
} from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import { hashToken, newToken } from '../../core/tokens.js';
import type { AccessGrant, AccessStore } from '../stores/access.js';
import type { NoticeKind, NoticeStore, StoredNotice } from '../stores/notices.js';
import type { Dataset, Release, ReleaseStore, ShardRow } from '../stores/releases.js';

export interface DatasetSummary {
  id: string;
  language: string;
  modality: 'text' | 'speech';
  accessClass: Dataset['accessClass'];
  version: string;
  license: string;
  purposes: string[];
  records: number;
  published: string;
  manifest: string;
}

export interface ShardDownload {
  release: Release;
  shard: ShardRow;
  /** Blob key of the shard file in the release store. */
  key: string;
  grant: AccessGrant | null;
}

/** A signed notice, where to fetch it, as a refusal points at it. */
export interface NoticeLink {
  id: string;
  url: string;
}

/** About how much of envelopes one page of notices carries. */
const NOTICE_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * What trainers see of a node's releases, and who may download gated ones. What is served is
 * decided from the database on every request, so a withdrawal or a retraction takes effect with
 * the transaction that records it: a shard holding a withdrawn record answers 410
 * `ShardWithdrawn`, and everything of a retracted dataset 410 `DatasetRetracted`, each pointing
 * at the signed notices that say why (details, and a Link header set by the route).
 */
export class DatasetService {
  constructor(
    private readonly db: Db,
    /** The release store the builder publishes to: nothing outside it can be served. */
    private readonly files: BlobStore,
    private readonly releases: ReleaseStore,
    private readonly access: AccessStore,
    private readonly notices: NoticeStore,
    /** The node's public API base (`https://…/api/v1`): links in refusals are absolute. */
    private readonly apiBase: string,
  ) {}

  list(): DatasetSummary[] {
    return this.releases.datasets().flatMap((dataset) => {
      const release = this.releases.current(dataset.id);
      if (!release) return [];
      return [
        {
          id: dataset.id,
          language: dataset.language,
          modality: dataset.modality,
          accessClass: dataset.accessClass,
          version: release.version,
          license: release.license,
          purposes: release.purposes,
          records: release.records,
          published: release.createdAt,
          manifest: `${API_BASE}/datasets/${dataset.id}/manifest`,
        },
      ];
    });
  }

  /** A release of a dataset that is served: the current one, or a given version. */
  release(datasetId: string, version?: string): Release {
    return this.releaseOf(this.served(datasetId), version);
  }

  /** A release of a dataset already found served. */
  private releaseOf(dataset: Dataset, version: string | undefined): Release {
    const release = version ? this.releases.byVersion(dataset.id, version) : this.releases.current(dataset.id);
    if (!release) throw new NotFoundError('No such dataset or version.');
    return release;
  }

  /** The dataset, unless there is none (404) or the community retracted it (410, with its notice). */
  private served(datasetId: string): Dataset {
    const dataset = this.releases.dataset(datasetId);
    if (!dataset) throw new NotFoundError('No such dataset.');
    if (dataset.retractedAt) {
      const notice = this.notices.latest(datasetId, 'retraction');
      throw new DatasetRetractedError(undefined, {
        dataset: datasetId,
        retractedAt: dataset.retractedAt,
        reason: dataset.retractionReason,
        notices: notice ? [this.link(notice.id)] : [],
        feed: this.feed(datasetId),
      });
    }
    return dataset;
  }

  private link(noticeId: string): NoticeLink {
    return { id: noticeId, url: `${this.apiBase}/notices/${noticeId}` };
  }

  private feed(datasetId: string): string {
    return `${this.apiBase}/notices?dataset=${encodeURIComponent(datasetId)}`;
  }

  /** The node's signed notices (withdrawals, retractions, access changes) after a cursor. */
  /**
   * Notices after `since`, up to `limit` and about 8 MB of envelopes (at least one): a page of
   * large withdrawal notices stays a page a small node can send; `next` picks up after it.
   */
  noticeFeed(since: number, limit: number, filter: { kind?: NoticeKind; datasetId?: string } = {}): StoredNotice[] {
    const page: StoredNotice[] = [];
    let bytes = 0;
    for (const notice of this.notices.since(since, limit, filter.kind, filter.datasetId)) {
      bytes += notice.envelope.length;
      if (page.length > 0 && bytes > NOTICE_PAGE_BYTES) break;
      page.push(notice);
    }
    return page;
  }

  notice(id: string): StoredNotice {
    const notice = this.notices.byId(id);
    if (!notice) throw new NotFoundError('No such notice.');
    return notice;
  }

  /** The signed manifest, as the DSSE envelope stored at build time (byte-for-byte the same). */
  envelope(datasetId: string, version?: string): string {
    return this.release(datasetId, version).envelope;
  }

  async card(datasetId: string): Promise<string> {
    const release = this.release(datasetId);
    return Buffer.from(await this.files.get(`${release.dir}/README.md`)).toString('utf8');
  }

  /**
   * Resolves a shard for download. Only names recorded for the release are served, so no path
   * from a request ever reaches the file system; superseded releases answer 410, as does a shard
   * holding a withdrawn record (before any token is looked at: a refused download leaves no
   * receipt) and everything of a retracted dataset.
   */
  shard(datasetId: string, name: string, version: string | undefined, token: string | undefined): ShardDownload {
    const dataset = this.served(datasetId);
    const release = this.releaseOf(dataset, version);
    if (release.status === 'superseded') throw new ReleaseSupersededError();
    const shard = this.releases.shard(release.id, name);
    if (!shard) throw new NotFoundError('No such shard in this release.');
    const removed = this.releases.removedFromShard(release.id, shard.name);
    if (removed) {
      throw new ShardWithdrawnError(undefined, {
        dataset: datasetId,
        version: release.version,
        shard: shard.name,
        notices: removed.noticeIds.map((id) => this.link(id)),
        feed: this.feed(datasetId),
      });
    }
    const grant = dataset.accessClass === 'open' ? null : this.grantFor(datasetId, token);
    return { release, shard, key: `${release.dir}/${shard.name}`, grant };
  }

  recordDownload(download: ShardDownload, range: string | null): void {
    if (download.grant) this.access.addReceipt(download.grant.id, download.release.id, download.shard.name, range, nowIso());
  }

  private grantFor(datasetId: string, token: string | undefined): AccessGrant {
    if (!token) throw new AccessTokenRequiredError();
    const grant = this.access.byTokenHash(hashToken(token));
    if (!grant || grant.datasetId !== datasetId) throw new AccessTokenRequiredError('That token does not open this dataset.');
    if (grant.status === 'pending') throw new AccessPendingError();
    if (grant.status !== 'approved') throw new AccessRefusedError();
    return grant;
  }

  /**
   * A trainer asks for access, accepting the dataset's terms. Gated datasets open at once;
   * on-request ones wait for an admin. The token is shown once.
   */
  requestAccess(datasetId: string, input: { name: string; contact: string; purpose: string }): { grant: AccessGrant; token: string } {
    const dataset = this.served(datasetId);
    if (!this.releases.current(datasetId)) throw new NotFoundError('No such dataset.');
    const token = newToken();
    const grant: AccessGrant = {
      id: newId(),
      datasetId,
      ...input,
      status: dataset.accessClass === 'on-request' ? 'pending' : 'approved',
      createdAt: nowIso(),
      decidedAt: null,
    };
    this.access.insertGrant({ ...grant, tokenHash: hashToken(token) });
    return { grant, token };
  }

  decide(adminId: string, grantId: string, decision: 'approved' | 'refused' | 'revoked'): AccessGrant {
    return this.db.transaction(() => {
      const grant = this.access.byId(grantId);
      if (!grant) throw new NotFoundError('No such access request.');
      const at = nowIso();
      this.access.decide(grantId, decision, at, adminId);
      return { ...grant, status: decision, decidedAt: at };
    }).immediate();
  }

  grants(status: AccessGrant['status'] | '' = '') {
    return this.access.list(status);
  }

  receipts(datasetId?: string) {
    return this.access.receipts(datasetId);
  }
}
