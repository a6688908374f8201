/**
 * Negative acknowledgements: a nacked message is asked for again after a delay. One timer
 * covers all of them, armed for the earliest due time; messages are tracked per entry (the
 * broker redelivers entries). A message acknowledged meanwhile is forgotten.
 */
import type { MessageId } from '../message-id.js';

/** Ask the broker to redeliver these; false when not connected (they are tried again later). */
export type Redeliver = (ids: MessageId[]) => boolean;

export interface NegativeAcksOptions {
  /** Delay before a nacked message comes back (ms). */
  delayMs: number;
  /** Pause before trying again when the connection was down at the due time (ms). Default 1000. */
  retryMs?: number;
}

function entryKey(id: MessageId): string {
  return `${id.ledgerId}:${id.entryId}`;
}

export class NegativeAcksTracker {
  private readonly nacked = new Map<string, { id: MessageId; due: number }>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private closed = false;
  readonly delayMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly redeliver: Redeliver,
    opts: NegativeAcksOptions,
  ) {
    this.delayMs = Math.max(0, opts.delayMs);
    this.retryMs = Math.max(1, opts.retryMs ?? 1000);
  }

  get size(): number {
    return this.nacked.size;
  }

  add(id: MessageId, delayMs = this.delayMs): void {
    if (this.closed) return;
    const due = Date.now() + delayMs;
    this.nacked.set(entryKey(id), { id, due });
    if (due < this.timerDue) this.arm(due);
  }

  /** The message was acknowledged after all. */
  remove(id: MessageId): void {
    if (this.nacked.size > 0) this.nacked.delete(entryKey(id));
  }

  /** A cumulative ack covers every nacked message up to `id`. */
  removeUpTo(id: MessageId): void {
    for (const [key, n] of this.nacked) if (n.id.compare(id) <= 0) this.nacked.delete(key);
  }

  close(): void {
    this.closed = true;
    this.nacked.clear();
    this.disarm();
  }

  private arm(due: number): void {
    this.disarm();
    this.timerDue = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = Date.now();
    const due: MessageId[] = [];
    let next = Infinity;
    for (const n of this.nacked.values()) {
      if (n.due <= now) due.push(n.id);
      else next = Math.min(next, n.due);
    }
    if (due.length > 0) {
      if (this.redeliver(due)) {
        for (const id of due) this.nacked.delete(entryKey(id));
      } else {
        // Not connected: try again a little later rather than spinning on an overdue timer.
        next = Math.min(next, now + this.retryMs);
      }
    }
    if (next !== Infinity && !this.closed) this.arm(next);
  }
}
