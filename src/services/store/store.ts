/**
 * The persistence boundary of a service. Handlers see only a repository interface `R` (one per
 * service) plus the processed-message log and the outbox, all inside one local transaction, so
 * "state changed" and "events to publish" commit together or not at all. The embedded default
 * is SQLite (`sqlite.ts`, one instance per database); PostgreSQL (`postgres.ts`) implements the
 * same interfaces for several instances sharing one database. Repositories are written once
 * over `Sql` (`sql.ts`).
 */

/** A message waiting in the outbox: already encoded, ready to hand to a producer as is. */
export interface OutboxEntry {
  /** Full topic name the message goes to. */
  topic: string;
  /** The message type (also in properties); kept for listings and metrics. */
  type: string;
  key: string | undefined;
  properties: Record<string, string>;
  payload: Buffer;
  /** Envelope timestamp (ms), published as the Pulsar event time. */
  eventTime: number;
}

/** An outbox row, ready to publish with sequence id `seq`. */
export interface OutboxRow extends OutboxEntry {
  id: bigint;
  /**
   * The sequence id it is published with, increasing per outbox slice in publish order. SQLite
   * commits one transaction at a time, so there it is the row id; on PostgreSQL ids are taken
   * before commit and transactions commit in any order, so the slice's lease holder numbers rows
   * as it reads them (see `outbox-relay.ts`).
   */
  seq: bigint;
  /** When the row was written (ms), for the publish-delay metric. */
  createdAt: number;
}

/** How a processed message ended, recorded with its id so a redelivery is recognised. */
export type ProcessedOutcome = 'accepted' | 'rejected' | 'ignored';

export interface ProcessedRecord {
  messageId: string;
  type: string;
  outcome: ProcessedOutcome;
  processedAt: number;
}

/** What a transaction can do besides the service's own repository. */
export interface StoreTx<R> {
  /** The service's domain repository, bound to this transaction. */
  readonly repo: R;
  /** The record of an already processed message (command or consumed event), if any. */
  processed(messageId: string): Promise<ProcessedRecord | undefined>;
  /**
   * Record the message as being handled, first thing in the transaction: false when it already
   * was. On PostgreSQL a second instance handling the same message at the same moment waits
   * here on the first one's uncommitted row and then sees it, so one of them handles it.
   */
  claim(record: ProcessedRecord): Promise<boolean>;
  /** Record (or correct, after `claim`) how the message ended. */
  markProcessed(record: ProcessedRecord): Promise<void>;
  /** Queue a message for publishing; returns its outbox id (= its sequence id). */
  enqueue(entry: OutboxEntry): Promise<bigint>;
}

/** The right to publish one slice of the outbox, held by one instance at a time. */
export interface OutboxLease {
  slice: number;
  holder: string;
  /** Raised each time the slice changes hands; a holder whose epoch is gone is fenced off. */
  epoch: bigint;
}

/** The lease of a slice was taken over (this holder stalled past its expiry): stop publishing it. */
export class LeaseLostError extends Error {
  constructor(readonly slice: number) {
    super(`outbox slice ${slice} was taken over by another instance`);
    this.name = 'LeaseLostError';
  }
}

export interface ServiceStore<R> {
  /** A stable id for this database, used in the outbox producer name (see `outbox-relay.ts`). */
  readonly storeId: string;
  /** Where the data lives, for `/health` and logs. */
  readonly location: string;
  /** 'sqlite' or 'postgres'. */
  readonly kind: string;
  /** How many slices the outbox is cut into (by message key); each is published by one instance. */
  readonly outboxSlices: number;
  /**
   * Run `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * SQLite runs a store's transactions one at a time, in call order; PostgreSQL runs them side
   * by side, and row locks and constraints decide.
   */
  transaction<T>(fn: (tx: StoreTx<R>) => Promise<T>): Promise<T>;
  /** Read-only access for queries (HTTP GETs): sees committed state only. */
  read<T>(fn: (repo: R) => Promise<T>): Promise<T>;
  /**
   * Take, or renew, the lease of an outbox slice for `ttlMs`: the lease, or undefined while
   * another holder's lease runs. An expired lease is taken over with a higher epoch.
   */
  leaseOutbox(slice: number, holder: string, ttlMs: number): Promise<OutboxLease | undefined>;
  releaseOutbox(lease: OutboxLease): Promise<void>;
  /**
   * The oldest unpublished rows of the lease's slice with a sequence id above `afterSeq`, in
   * sequence order (numbering new rows under the lease). Throws LeaseLostError when fenced off.
   * Without a lease (SQLite, tests): the whole outbox.
   */
  pendingOutbox(limit: number, afterSeq?: bigint, lease?: OutboxLease): Promise<OutboxRow[]>;
  /** Rows the broker has persisted: removed from the outbox. Throws LeaseLostError when fenced off. */
  markPublished(ids: readonly bigint[], lease?: OutboxLease): Promise<void>;
  outboxDepth(): Promise<number>;
  /** Forget processed-message ids recorded before `before` (ms); returns how many. */
  pruneProcessed(before: number): Promise<number>;
  close(): Promise<void>;
}
