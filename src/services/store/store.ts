/**
 * The persistence boundary of a service. Handlers see only a repository interface `R` (one per
 * service) plus the processed-message log and the outbox, all inside one local transaction, so
 * "state changed" and "events to publish" commit together or not at all. The embedded default
 * is SQLite (`sqlite.ts`); another store (PostgreSQL) would implement the same interfaces
 * without touching handlers, which is why every method is async even though SQLite is not.
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

/** An outbox row. Its id is the sequence id the relay publishes it with. */
export interface OutboxRow extends OutboxEntry {
  id: bigint;
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
  markProcessed(record: ProcessedRecord): Promise<void>;
  /** Queue a message for publishing; returns its outbox id (= its sequence id). */
  enqueue(entry: OutboxEntry): Promise<bigint>;
}

export interface ServiceStore<R> {
  /** A stable id for this database, used in the outbox producer name (see `outbox-relay.ts`). */
  readonly storeId: string;
  /** Where the data lives, for `/health` and logs. */
  readonly location: string;
  /**
   * Run `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Transactions of one store run one at a time, in call order.
   */
  transaction<T>(fn: (tx: StoreTx<R>) => Promise<T>): Promise<T>;
  /** Read-only access for queries (HTTP GETs): sees committed state only. */
  read<T>(fn: (repo: R) => Promise<T>): Promise<T>;
  /** The oldest unpublished outbox rows with an id above `afterId`, in id order. */
  pendingOutbox(limit: number, afterId?: bigint): Promise<OutboxRow[]>;
  /** Rows the broker has persisted: removed from the outbox. */
  markPublished(ids: readonly bigint[]): Promise<void>;
  outboxDepth(): Promise<number>;
  /** Forget processed-message ids recorded before `before` (ms); returns how many. */
  pruneProcessed(before: number): Promise<number>;
  close(): Promise<void>;
}
