/**
 * Acknowledgement grouping: acks are collected and sent as one ACK command when the group
 * is `maxSize` acks large or `maxDelayMs` old, whichever comes first, instead of a command
 * per message. A cumulative ack in the group keeps only its highest position. Each group
 * has one promise, settled when the group is written to the connection; while disconnected
 * the group waits for the resubscribe, which calls `flush()` again.
 *
 * Batched messages: the broker tracks entries, so an entry is acknowledged once every
 * message of its batch was (the batch's shared BatchAckState counts them down).
 */
import type { MessageId } from '../message-id.js';
import type { MessageIdData } from '../protocol/definitions.js';
import { RecentAcks } from './recent-acks.js';

export interface AckSink {
  /** Write one ACK command; false when there is no connection to write it to (nothing was sent). */
  individual(ids: MessageIdData[]): boolean;
  cumulative(id: MessageIdData): boolean;
}

export interface AckGroupingOptions {
  /** Longest an ack waits for company (ms). Default 10. */
  maxDelayMs?: number;
  /** Acks in a group that trigger an immediate flush. Default 1000. */
  maxSize?: number;
}

interface Group {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * The position a cumulative ack of `id` may claim on the broker: inside a batch that is not
 * fully consumed only the entries before it are done. Undefined when nothing is done yet.
 */
export function cumulativeAckTarget(id: MessageId): MessageIdData | undefined {
  let entry = id.entryId;
  if (id.batchIndex >= 0 && id.batchSize > 0 && id.batchIndex < id.batchSize - 1) {
    if (entry === 0n) return undefined;
    entry -= 1n;
  }
  return { ledgerId: id.ledgerId, entryId: entry };
}

export class AckGroupingTracker {
  private individual: MessageIdData[] = [];
  private cumulativeTo: MessageIdData | undefined;
  private group: Group | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxDelayMs: number;
  private readonly maxSize: number;
  /** Entries acknowledged lately, so a redelivery after a topic move is recognised (see recent-acks.ts). */
  private readonly recent = new RecentAcks();

  constructor(
    private readonly sink: AckSink,
    opts: AckGroupingOptions = {},
  ) {
    this.maxDelayMs = Math.max(0, opts.maxDelayMs ?? 10);
    this.maxSize = Math.max(1, opts.maxSize ?? 1000);
  }

  /** Acks waiting to be written. */
  get pending(): number {
    return this.individual.length + (this.cumulativeTo ? 1 : 0);
  }

  /** Acknowledge one message; resolves when its entry's ack is written (at once when the batch still has unacked messages). */
  add(id: MessageId): Promise<void> {
    const batch = id.batchAck;
    if (batch && id.batchIndex >= 0) {
      if (batch.acked[id.batchIndex] === 0) {
        batch.acked[id.batchIndex] = 1;
        batch.remaining--;
      }
      if (batch.remaining > 0) return Promise.resolve();
      id.batchAck = undefined;
    }
    this.individual.push({ ledgerId: id.ledgerId, entryId: id.entryId });
    this.recent.add(id.ledgerId, id.entryId);
    return this.joinGroup();
  }

  /** The application acknowledged this entry lately: a redelivery of it was caused by an ack lost in a move. */
  ackedBefore(entry: MessageIdData): boolean {
    return this.recent.has(entry.ledgerId, entry.entryId);
  }

  /** Acknowledge an entry again (its earlier ack was lost), in the next group. */
  ackAgain(entry: MessageIdData): void {
    this.individual.push({ ledgerId: entry.ledgerId, entryId: entry.entryId });
    void this.joinGroup();
  }

  /** Acknowledge everything up to `id`; only the highest cumulative position of a group is sent. */
  addCumulative(id: MessageId): Promise<void> {
    const target = cumulativeAckTarget(id);
    if (!target) return Promise.resolve();
    const c = this.cumulativeTo;
    if (!c || c.ledgerId < target.ledgerId || (c.ledgerId === target.ledgerId && c.entryId < target.entryId)) this.cumulativeTo = target;
    return this.joinGroup();
  }

  private joinGroup(): Promise<void> {
    let group = this.group;
    if (!group) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      group = this.group = { promise, resolve };
    }
    if (this.pending >= this.maxSize) this.flush();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
    return group.promise;
  }

  /** Write the group now if connected; otherwise keep it for the next flush (after a resubscribe). */
  flush(): void {
    this.clearTimer();
    if (this.pending === 0) return;
    if (this.individual.length > 0) {
      if (!this.sink.individual(this.individual)) return;
      this.individual = [];
    }
    if (this.cumulativeTo) {
      if (!this.sink.cumulative(this.cumulativeTo)) return;
      this.cumulativeTo = undefined;
    }
    const group = this.group;
    this.group = undefined;
    group?.resolve();
  }

  /** Closing: one last attempt to write, then settle the group whatever happened (nobody waits past close). */
  close(): void {
    this.flush();
    this.clearTimer();
    this.individual = [];
    this.cumulativeTo = undefined;
    this.group?.resolve();
    this.group = undefined;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
