import type { Publisher } from '../../core/publisher.js';
import { shortTopicName, type TopicShortName } from '../../core/catalog/index.js';
import type { OutboxRow, ServiceStore } from '../store/store.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * Publishes what handlers wrote to the outbox. Every row goes out with the relay's stable
 * producer name and its row id as sequence id, in id order, so after a crash the broker's
 * deduplication drops whatever was already persisted; rows the broker confirms are deleted.
 *
 * Sends are pipelined: rows committed while earlier ones await their receipts go out at once
 * (one producer per topic keeps them in order). After a failure the relay lets what is in
 * flight settle and starts again from the oldest row still in the outbox; resends of rows
 * that did arrive are dropped by the broker. Woken after each commit; also polls, so rows
 * left by a crash go out on restart.
 */
export class OutboxRelay {
  private stopped = false;
  private dirty = true;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private failures = 0;
  /** Highest row id handed to a producer in this pass. */
  private dispatched = 0n;
  private readonly inflight = new Set<Promise<void>>();
  private confirmed: bigint[] = [];
  private marking: Promise<void> = Promise.resolve();
  private sendFailure: unknown;
  /** Last publish error, for /health; cleared by the next success. */
  lastError: string | undefined;

  constructor(
    private readonly store: ServiceStore<unknown>,
    private readonly publisher: Publisher,
    private readonly opts: { metrics?: ServiceMetrics; log?: (line: string) => void; batchSize?: number; pollMs?: number; maxInFlight?: number; service?: string } = {},
  ) {}

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Something was committed: publish soon. */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Wait until the outbox is empty (or the timeout passes); true when it is. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.store.outboxDepth()) === 0) return true;
      this.notify();
      await new Promise((r) => setTimeout(r, 20));
    }
    return (await this.store.outboxDepth()) === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
    await this.markConfirmed();
  }

  private async loop(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    while (!this.stopped) {
      if (!this.dirty) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
        if (this.stopped) break;
      }
      this.dirty = false;
      try {
        await this.dispatch();
        if (this.failures > 0 && this.inflight.size === 0) this.failures = 0;
      } catch (err) {
        this.failures++;
        this.lastError = (err as Error).message;
        this.opts.log?.(`outbox: publish failed (attempt ${this.failures}): ${(err as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(this.failures, 6))));
        this.dirty = true;
      }
    }
  }

  /** Hand every row not yet dispatched to its producer, oldest first, without waiting for receipts. */
  private async dispatch(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500;
    const maxInFlight = this.opts.maxInFlight ?? 500;
    for (;;) {
      if (this.sendFailure !== undefined) {
        // Start over from the oldest unconfirmed row once everything in flight has settled.
        await Promise.allSettled([...this.inflight]);
        await this.markConfirmed();
        const failure = this.sendFailure;
        this.sendFailure = undefined;
        this.dispatched = 0n;
        throw failure;
      }
      const rows = await this.store.pendingOutbox(batchSize, this.dispatched);
      if (rows.length === 0) return;
      for (const row of rows) {
        const producer = await this.publisher.producer(shortTopicName(row.topic) as TopicShortName);
        this.dispatched = row.id;
        // Rows are deleted once confirmed, so a pending row at or below the broker's last
        // sequence id for this producer was persisted before a crash: no resend needed.
        if (row.id <= producer.lastSequenceId) {
          this.confirm(row.id);
          continue;
        }
        const sent: Promise<void> = producer.send({
          payload: row.payload,
          properties: row.properties,
          eventTime: row.eventTime,
          sequenceId: row.id,
          ...(row.key !== undefined ? { key: row.key } : {}),
        }).then(
          () => this.onConfirmed(row),
          (err: unknown) => { this.sendFailure ??= err; this.wake?.(); this.dirty = true; },
        ).finally(() => this.inflight.delete(sent));
        this.inflight.add(sent);
        if (this.inflight.size >= maxInFlight) await Promise.race(this.inflight);
      }
    }
  }

  private onConfirmed(row: OutboxRow): void {
    this.lastError = undefined;
    this.opts.metrics?.published.inc({ service: this.opts.service ?? '', topic: shortTopicName(row.topic) });
    this.opts.metrics?.publishDelay.observe(Math.max(0, Date.now() - row.createdAt) / 1000, { service: this.opts.service ?? '' });
    this.confirm(row.id);
  }

  /** Remember a confirmed row; deletions are batched into one transaction per turn of the event loop. */
  private confirm(id: bigint): void {
    this.confirmed.push(id);
    if (this.confirmed.length === 1) setImmediate(() => void this.markConfirmed());
  }

  private markConfirmed(): Promise<void> {
    this.marking = this.marking.then(async () => {
      const ids = this.confirmed;
      if (ids.length === 0) return;
      this.confirmed = [];
      try {
        await this.store.markPublished(ids);
      } catch (err) {
        // Still on the broker; the next pass finds them at or below the last sequence id.
        this.opts.log?.(`outbox: could not remove published rows: ${(err as Error).message}`);
        this.dispatched = 0n;
      }
    });
    return this.marking;
  }
}
