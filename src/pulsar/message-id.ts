import { UsageError } from '../errors.js';
import type { MessageIdData } from './protocol/definitions.js';

/** Acknowledgement progress of one delivered batch entry, shared by its messages. */
export interface BatchAckState {
  /** Messages of the entry not yet acknowledged by the application. */
  remaining: number;
  /** 1 where the message at that batch index was acknowledged (or never delivered). */
  readonly acked: Uint8Array;
}

let lastLedger = -2n;
let lastEntry = -2n;
let lastPartition = -2;
let lastPrefix = '';

/**
 * Position of a message in a topic: ledger and entry in the managed ledger, the partition
 * index (-1 for a non-partitioned topic) and the index inside a batch (-1 when the entry
 * holds a single message).
 */
export class MessageId {
  constructor(
    readonly ledgerId: bigint,
    readonly entryId: bigint,
    readonly partition: number = -1,
    readonly batchIndex: number = -1,
    /** Messages in the entry's batch, when known (used to ack a whole batch). */
    readonly batchSize: number = 0,
  ) {}

  /** Set by the consumer on batched messages it delivered: the entry's shared ack state. */
  batchAck: BatchAckState | undefined;

  /** Before the first message of any topic. */
  static readonly earliest = new MessageId(-1n, -1n, -1, -1);
  /** After the last message of any topic. */
  static readonly latest = new MessageId(0x7fffffffffffffffn, 0x7fffffffffffffffn, -1, -1);

  /** "ledger:entry:partition:batch", the same text `parse` reads. */
  toString(): string {
    // Messages of one batch share ledger, entry and partition: format that part once.
    if (this.ledgerId !== lastLedger || this.entryId !== lastEntry || this.partition !== lastPartition) {
      lastLedger = this.ledgerId;
      lastEntry = this.entryId;
      lastPartition = this.partition;
      lastPrefix = `${this.ledgerId}:${this.entryId}:${this.partition}:`;
    }
    return lastPrefix + this.batchIndex;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Parse "ledger:entry", "ledger:entry:partition" or "ledger:entry:partition:batch". */
  static parse(s: string): MessageId {
    const parts = s.trim().split(':');
    if (parts.length < 2 || parts.length > 4 || parts.some((p) => !/^-?\d+$/.test(p))) {
      throw new UsageError(`"${s}" is not a message id`, { hint: 'Use ledger:entry[:partition[:batch]], e.g. 12:3:-1:-1.' });
    }
    return new MessageId(BigInt(parts[0]!), BigInt(parts[1]!), parts[2] === undefined ? -1 : Number(parts[2]), parts[3] === undefined ? -1 : Number(parts[3]));
  }

  static fromData(d: MessageIdData, partition?: number): MessageId {
    return new MessageId(d.ledgerId, d.entryId, partition ?? d.partition ?? -1, d.batch_index ?? -1, d.batch_size ?? 0);
  }

  /** Protocol form. The partition is left out when -1, like the batch index. */
  toData(withBatchIndex = true): MessageIdData {
    const d: MessageIdData = { ledgerId: this.ledgerId, entryId: this.entryId };
    if (this.partition >= 0) d.partition = this.partition;
    if (withBatchIndex && this.batchIndex >= 0) d.batch_index = this.batchIndex;
    return d;
  }

  equals(o: MessageId): boolean {
    return this.compare(o) === 0 && this.partition === o.partition;
  }

  /** Same ledger and entry (messages of one batch share them). */
  sameEntry(o: MessageId): boolean {
    return this.ledgerId === o.ledgerId && this.entryId === o.entryId;
  }

  /**
   * Order by (ledger, entry, batch index); the partition is not compared. A batch index of
   * -1 means the whole entry and compares equal to any index in it.
   */
  compare(o: MessageId): number {
    if (this.ledgerId !== o.ledgerId) return this.ledgerId < o.ledgerId ? -1 : 1;
    if (this.entryId !== o.entryId) return this.entryId < o.entryId ? -1 : 1;
    if (this.batchIndex < 0 || o.batchIndex < 0) return 0;
    return this.batchIndex === o.batchIndex ? 0 : this.batchIndex < o.batchIndex ? -1 : 1;
  }
}
