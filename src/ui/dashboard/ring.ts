/**
 * A fixed-capacity buffer that keeps the newest items: pushing into a full buffer drops the
 * oldest. The dashboard keeps everything it shows in these, so a flood of messages costs
 * bounded memory no matter how long the session runs.
 */
export class RingBuffer<T> {
  // Grows up to capacity as items arrive: most workflows hold a handful of messages, and
  // allocating the full capacity for each would churn the heap under a flood.
  private readonly items: (T | undefined)[] = [];
  private start = 0;
  private count = 0;
  /** Items ever pushed, including those already dropped. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.total++;
    if (this.count < this.capacity) {
      // While not full, start is 0 and items fill the array in order.
      this.items.push(item);
      this.count++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th item counted from the oldest (0) to the newest (size - 1). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  newest(): T | undefined {
    return this.at(this.count - 1);
  }

  /** Up to `n` newest items, newest first, optionally only those matching. */
  latest(n: number, match?: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < n; i--) {
      const item = this.items[(this.start + i) % this.capacity] as T;
      if (!match || match(item)) out.push(item);
    }
    return out;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.items.length = 0;
    this.start = 0;
    this.count = 0;
  }
}
