/**
 * The batch container of a producer: consecutive messages with the same key collected into
 * one entry, and when that entry leaves.
 *
 * A batch holds what the application sends in one turn of the event loop and goes out when
 * the turn ends, or at once when it is full. It waits longer only while the pipe is busy
 * (the caller's `behind()`: several entries await receipts, or frames sit in the socket) and the
 * previous batch left less than maxDelayMs ago; then it goes when the pipe empties (the
 * last receipt, `pipeEmpty()`) or maxDelayMs after the previous batch, whichever is first.
 *
 * So a message waits for company only when it could not reach the broker sooner anyway,
 * and however the application sends (a thousand messages in a turn, or one per turn at
 * full speed) a producer writes at most one entry per maxDelayMs while the broker is busy.
 * A fixed linger timer started by the first message instead adds its whole delay to every
 * message at moderate rates, and Node's millisecond timers make a 1 ms linger 1-2 ms.
 */
import { performance } from 'node:perf_hooks';
import type { PendingMessage } from './entry.js';

export interface BatchLimits {
  maxMessages: number;
  maxBytes: number;
  maxDelayMs: number;
}

export interface BatcherHooks {
  /** Write one batch (non-empty, one key). */
  emit(items: PendingMessage[], key: string | undefined): void;
  /** Whether earlier entries are still on their way: awaiting receipts, or in the socket. */
  behind(): boolean;
}

export class Batcher {
  private items: PendingMessage[] = [];
  private bytes = 0;
  private key: string | undefined;
  /** When the previous batch left (performance.now(), sub-millisecond). */
  private lastEmitAt = -Infinity;
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
    if (this.items.length === 0) this.key = m.key;
    this.items.push(m);
    this.bytes += m.payload.length;
    if (this.items.length >= this.limits.maxMessages || this.bytes >= this.limits.maxBytes) this.flush();
    else if (!this.turnEndScheduled && this.timer === undefined) {
      // Already waiting for the pipe: the timer or pipeEmpty() sends it, no turn-end check needed.
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
    this.lastEmitAt = performance.now();
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

  /** Every entry is confirmed: a batch held back because the pipe was busy goes now. */
  pipeEmpty(): void {
    if (this.timer !== undefined) this.flush();
  }

  private readonly onTurnEnd = (): void => {
    this.turnEndScheduled = false;
    if (this.items.length === 0 || this.timer !== undefined) return;
    const since = performance.now() - this.lastEmitAt;
    if (since >= this.limits.maxDelayMs || !this.hooks.behind()) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.limits.maxDelayMs - since);
  };

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
