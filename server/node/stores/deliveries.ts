import type { Db } from '../../core/db.js';

/** How far an index has acknowledged what the node has to say, and how its delivery is going. */
export interface Delivery {
  indexUrl: string;
  /** The signing key the index has seen in a registration; a new key means register again. */
  registeredKeyId: string | null;
  /** The last release (by rowid) whose manifest the index acknowledged. */
  manifestsSent: number;
  /** The last notice (by seq) the index acknowledged. */
  noticesSent: number;
  heartbeatSequence: number;
  failures: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  lastDeliveredAt: string | null;
  /** Manifests and notices the index refused for good, passed over. */
  refused: number;
  lastRefusal: string | null;
}

export interface PendingManifest {
  rowid: number;
  datasetId: string;
  version: string;
  envelope: string;
  createdAt: string;
}

const COLUMNS = `index_url AS indexUrl, registered_key_id AS registeredKeyId, manifests_sent AS manifestsSent,
  notices_sent AS noticesSent, heartbeat_sequence AS heartbeatSequence, failures, next_attempt_at AS nextAttemptAt,
  last_error AS lastError, last_delivered_at AS lastDeliveredAt, refused, last_refusal AS lastRefusal`;

/** The per-index outbox cursors (migration 009). */
export class DeliveryStore {
  private readonly ensureStmt;
  private readonly getStmt;
  private readonly allStmt;
  private readonly pendingManifestsStmt;
  private readonly countManifestsStmt;
  private readonly countNoticesStmt;
  private readonly updateStmts;

  constructor(db: Db) {
    this.ensureStmt = db.prepare('INSERT INTO index_deliveries (index_url) VALUES (?) ON CONFLICT DO NOTHING');
    this.getStmt = db.prepare<[string], Delivery>(`SELECT ${COLUMNS} FROM index_deliveries WHERE index_url = ?`);
    this.allStmt = db.prepare<[], Delivery>(`SELECT ${COLUMNS} FROM index_deliveries ORDER BY index_url`);
    this.pendingManifestsStmt = db.prepare<[number, number], PendingManifest>(
      `SELECT rowid, dataset_id AS datasetId, version, envelope, created_at AS createdAt FROM releases WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    );
    this.countManifestsStmt = db.prepare<[number], number>('SELECT count(*) FROM releases WHERE rowid > ?').pluck();
    this.countNoticesStmt = db.prepare<[number], number>('SELECT count(*) FROM notices WHERE seq > ?').pluck();
    this.updateStmts = {
      registered: db.prepare('UPDATE index_deliveries SET registered_key_id = ? WHERE index_url = ?'),
      manifests: db.prepare('UPDATE index_deliveries SET manifests_sent = max(manifests_sent, ?), last_delivered_at = ? WHERE index_url = ?'),
      notices: db.prepare('UPDATE index_deliveries SET notices_sent = max(notices_sent, ?), last_delivered_at = ? WHERE index_url = ?'),
      heartbeat: db.prepare<[string], number>('UPDATE index_deliveries SET heartbeat_sequence = heartbeat_sequence + 1 WHERE index_url = ? RETURNING heartbeat_sequence').pluck(),
      failed: db.prepare('UPDATE index_deliveries SET failures = failures + 1, next_attempt_at = ?, last_error = ? WHERE index_url = ?'),
      refused: db.prepare('UPDATE index_deliveries SET refused = refused + 1, last_refusal = ? WHERE index_url = ?'),
      forget: db.prepare('UPDATE index_deliveries SET registered_key_id = NULL WHERE index_url = ?'),
      succeeded: db.prepare('UPDATE index_deliveries SET failures = 0, next_attempt_at = NULL, last_error = NULL WHERE index_url = ?'),
    };
  }

  ensure(indexUrl: string): Delivery {
    this.ensureStmt.run(indexUrl);
    return this.getStmt.get(indexUrl)!;
  }

  all(): Delivery[] {
    return this.allStmt.all();
  }

  pendingManifests(after: number, limit: number): PendingManifest[] {
    return this.pendingManifestsStmt.all(after, limit);
  }

  /** How much is still to send to an index: manifests and notices past its cursors. */
  backlog(delivery: Delivery): { manifests: number; notices: number } {
    return { manifests: this.countManifestsStmt.get(delivery.manifestsSent)!, notices: this.countNoticesStmt.get(delivery.noticesSent)! };
  }

  registered(indexUrl: string, keyId: string): void {
    this.updateStmts.registered.run(keyId, indexUrl);
  }

  manifestsSent(indexUrl: string, rowid: number, at: string): void {
    this.updateStmts.manifests.run(rowid, at, indexUrl);
  }

  noticesSent(indexUrl: string, seq: number, at: string): void {
    this.updateStmts.notices.run(seq, at, indexUrl);
  }

  /**
   * Reserves the next heartbeat sequence number, in one statement (stored first, so a crash never
   * reuses one, nor does `release publish` running beside the node).
   */
  nextHeartbeat(indexUrl: string): number {
    return this.updateStmts.heartbeat.get(indexUrl)!;
  }

  failed(indexUrl: string, error: string, nextAttemptAt: string): void {
    this.updateStmts.failed.run(nextAttemptAt, error.slice(0, 500), indexUrl);
  }

  /** The index refused something for good; delivery passes over it. */
  refused(indexUrl: string, what: string): void {
    this.updateStmts.refused.run(what.slice(0, 500), indexUrl);
  }

  /** The index no longer knows the node: register again before anything else. */
  forgetRegistration(indexUrl: string): void {
    this.updateStmts.forget.run(indexUrl);
  }

  succeeded(indexUrl: string): void {
    this.updateStmts.succeeded.run(indexUrl);
  }
}
