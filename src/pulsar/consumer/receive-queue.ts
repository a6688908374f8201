/**
 * The receive side every consumer shares: a FIFO of messages that have arrived, the callers
 * waiting for one (each with an optional timeout), and the flow-permit count that tells the
 * broker how many more it may send. The single-topic consumer fills it from the socket; the
 * multi-topic consumer fills one from its partitions.
 */

/** FIFO with O(1) push/shift (an array with a moving head, compacted now and then). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    this.items.push(v);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }
}

interface Waiter<T> {
  resolve: (v: T | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface ReceiveQueueOptions<T> {
  /** Called for every item handed to the application (the consumer counts a permit, remembers the position). */
  onTake?: (item: T) => void;
}

export class ReceiveQueue<T> implements AsyncIterable<T> {
  private readonly items = new Fifo<T>();
  private waiters: Waiter<T>[] = [];
  private wantedWaiters: (() => void)[] = [];
  private isClosed = false;

  constructor(private readonly opts: ReceiveQueueOptions<T> = {}) {}

  /** Items that arrived and wait for a receiver. */
  get length(): number {
    return this.items.length;
  }

  /** Receivers waiting for an item. */
  get waiting(): number {
    return this.waiters.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** An arriving item goes to the longest-waiting receiver, or joins the queue. Ignored once closed. */
  push(item: T): void {
    if (this.isClosed) return;
    const w = this.waiters.shift();
    if (!w) {
      this.items.push(item);
      return;
    }
    if (w.timer) clearTimeout(w.timer);
    this.opts.onTake?.(item);
    w.resolve(item);
  }

  /** The next queued item without waiting; undefined when none is queued. */
  take(): T | undefined {
    const item = this.items.shift();
    if (item !== undefined) this.opts.onTake?.(item);
    return item;
  }

  /** The next item; undefined after `timeoutMs` (wait forever when omitted) or once closed. */
  receive(timeoutMs?: number): Promise<T | undefined> {
    const item = this.take();
    if (item !== undefined) return Promise.resolve(item);
    if (this.isClosed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const w: Waiter<T> = { resolve, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(
          () => {
            const i = this.waiters.indexOf(w);
            if (i >= 0) this.waiters.splice(i, 1);
            resolve(undefined);
          },
          Math.max(0, timeoutMs),
        );
      }
      this.waiters.push(w);
      const wanted = this.wantedWaiters;
      this.wantedWaiters = [];
      for (const r of wanted) r();
    });
  }

  /**
   * Resolves once a receiver waits (at once if one does) or the queue closes. A feeder that
   * pulls from elsewhere (a partition's own queue) pulls only on demand, so flow control
   * stays with the source.
   */
  wanted(): Promise<void> {
    if (this.waiters.length > 0 || this.isClosed) return Promise.resolve();
    return new Promise((r) => this.wantedWaiters.push(r));
  }

  /** Drop the queued items (they are stale: the broker sends them again); returns how many. */
  clear(): number {
    return this.items.clear();
  }

  /** Wake every receiver with undefined and refuse new items; queued items are dropped. */
  close(): void {
    this.isClosed = true;
    this.items.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(undefined);
    }
    const wanted = this.wantedWaiters;
    this.wantedWaiters = [];
    for (const r of wanted) r();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = await this.receive();
      if (item === undefined) return;
      yield item;
    }
  }
}

/**
 * Flow permits: the broker sends at most as many messages as were granted. The whole queue
 * size is granted at subscribe; after that, permits freed by messages the application took
 * (or that were dropped) are returned in one FLOW once they reach half the queue, instead of
 * a FLOW per message.
 */
export class FlowPermits {
  private pending = 0;
  readonly threshold: number;

  constructor(readonly queueSize: number) {
    this.threshold = Math.max(1, queueSize >> 1);
  }

  /** Permits freed but not yet returned to the broker. */
  get owed(): number {
    return this.pending;
  }

  /** Count freed permits; returns how many to grant now (0 while below the threshold). */
  free(n: number): number {
    this.pending += n;
    return this.pending >= this.threshold ? this.pending : 0;
  }

  /** The grant was sent. */
  granted(n: number): void {
    this.pending = Math.max(0, this.pending - n);
  }

  /** A new subscription starts from a full grant: what was owed is forgotten. */
  reset(): void {
    this.pending = 0;
  }
}
