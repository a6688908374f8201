/**
 * The batch container of a producer: consecutive messages with the same key collected into
 * one entry, and when that entry leaves.
 *
 * A batch holds what the application sends in one turn of the event loop and goes out when
 * the turn ends (or at once when it is full). A fixed linger timer instead would add its
 * whole delay to every message at moderate rates, and Node's timers make a 1 ms linger
 * 1-2 ms. Only while the pipe is behind (the caller's `behind()`: the socket still holds
 * earlier frames, or many entries await receipts) does a batch keep collecting, for up to
 * maxDelayMs: a bigger batch then costs little latency, since it would queue behind the
 * others anyway, and spares the broker entries.
 */
import type { PendingMessage } from './entry.js';

export interface BatchLimits {
  maxMessages: number;
  maxBytes: number;
  maxDelayMs: number;
}

export interface BatcherHooks {
  /** Write one batch (non-empty, one key). */
  emit(items: PendingMessage[], key: string | undefined): void;
  /** Whether earlier entries are still queued on the way to the broker. */
  behind(): boolean;
}

export class Batcher {
  private items: PendingMessage[] = [];
  private bytes = 0;
  private key: string | undefined;
  private startedAt = 0;
  private turnEndScheduled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly limits: BatchLimits,
    private readonly hooks: BatcherHooks,
  ) {}

  /** Messages collected and not yet emitted. */
  get length(): number {
    return this.items.length;
  }

  add(m: PendingMessage): void {
    if (this.items.length > 0 && m.key !== this.key) this.flush();
    if (this.items.length === 0) {
      this.key = m.key;
      this.startedAt = Date.now();
    }
    this.items.push(m);
    this.bytes += m.payload.length;
    if (this.items.length >= this.limits.maxMessages || this.bytes >= this.limits.maxBytes) this.flush();
    else if (!this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(this.onTurnEnd);
    }
  }

  /** Emit the collected batch now (if any). */
  flush(): void {
    this.clearTimer();
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    this.bytes = 0;
    this.hooks.emit(items, this.key);
  }

  /** Take the collected messages without emitting them (to fail them). */
  drain(): PendingMessage[] {
    this.clearTimer();
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    return items;
  }

  private readonly onTurnEnd = (): void => {
    this.turnEndScheduled = false;
    if (this.items.length === 0) return;
    const waited = Date.now() - this.startedAt;
    if (waited < this.limits.maxDelayMs && this.hooks.behind()) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.limits.maxDelayMs - waited);
      return;
    }
    this.flush();
  };

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
