import { API_BASE } from '../paths.js';
import type { BlobStore } from '../../core/blob-store.js';
import type { Db } from '../../core/db.js';
import { NotFoundError } from '../../core/errors.js';
import { AccessPendingError, AccessRefusedError, AccessTokenRequiredError, ReleaseSupersededError } from '../errors.js';
import { newId, nowIso } from '../../core/ids.js';
import { hashToken, newToken } from '../../core/tokens.js';
import type { AccessGrant, AccessStore } from '../stores/access.js';
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

/** What trainers see of a node's releases, and who may download gated ones. */
export class DatasetService {
  constructor(
    private readonly db: Db,
    /** The release store the builder publishes to: nothing outside it can be served. */
    private readonly files: BlobStore,
    private readonly releases: ReleaseStore,
    private readonly access: AccessStore,
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

  release(datasetId: string, version?: string): Release {
    const release = version ? this.releases.byVersion(datasetId, version) : this.releases.current(datasetId);
    if (!release) throw new NotFoundError('No such dataset or version.');
    return release;
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
   * from a request ever reaches the file system; superseded releases answer 410.
   */
  shard(datasetId: string, name: string, version: string | undefined, token: string | undefined): ShardDownload {
    const dataset = this.releases.dataset(datasetId);
    if (!dataset) throw new NotFoundError('No such dataset.');
    const release = this.release(datasetId, version);
    if (release.status === 'superseded') throw new ReleaseSupersededError();
    const shard = this.releases.shard(release.id, name);
    if (!shard) throw new NotFoundError('No such shard in this release.');
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
    const dataset = this.releases.dataset(datasetId);
    if (!dataset || !this.releases.current(datasetId)) throw new NotFoundError('No such dataset.');
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
