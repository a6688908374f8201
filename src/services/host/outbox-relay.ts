import type { Publisher } from '../../core/publisher.js';
import { shortTopicName, type TopicShortName } from '../../core/catalog/index.js';
import type { ServiceStore } from '../store/store.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * Publishes what handlers wrote to the outbox. Every row goes out with the relay's stable
 * producer name and its row id as sequence id, in id order, so after a crash the broker's
 * deduplication drops whatever was already persisted; rows the broker confirms are deleted.
 * Woken after each commit; also polls, so rows left by a crash go out on restart.
 */
export class OutboxRelay {
  private stopped = false;
  private dirty = true;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private idle = true;
  private idleWaiters: (() => void)[] = [];
  private failures = 0;
  /** Last publish error, for /health; cleared by the next success. */
  lastError: string | undefined;

  constructor(
    private readonly store: ServiceStore<unknown>,
    private readonly publisher: Publisher,
    private readonly opts: { metrics?: ServiceMetrics; log?: (line: string) => void; batchSize?: number; pollMs?: number; service?: string } = {},
  ) {}

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Something was committed: publish soon. */
  notify(): void {
    this.dirty = true;
    this.idle = false;
    this.wake?.();
  }

  /** Wait until the outbox is empty (or the timeout passes); true when it is. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.store.outboxDepth()) === 0) return true;
      this.notify();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now())));
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return (await this.store.outboxDepth()) === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    while (!this.stopped) {
      if (!this.dirty) {
        this.idle = true;
        for (const w of this.idleWaiters.splice(0)) w();
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
        await this.drain();
        this.failures = 0;
        this.lastError = undefined;
      } catch (err) {
        this.failures++;
        this.lastError = (err as Error).message;
        this.opts.log?.(`outbox: publish failed (attempt ${this.failures}): ${(err as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(this.failures, 6))));
        this.dirty = true;
      }
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Publish every pending row, oldest first, a batch at a time. */
  private async drain(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500;
    for (;;) {
      const rows = await this.store.pendingOutbox(batchSize);
      if (rows.length === 0) return;
      const sends = rows.map(async (row) => {
        const producer = await this.publisher.producer(shortTopicName(row.topic) as TopicShortName);
        // Rows are deleted once confirmed, so a pending row at or below the broker's last
        // sequence id for this producer was persisted before a crash: skip the resend.
        if (row.id <= producer.lastSequenceId) return;
        await producer.send({
          payload: row.payload,
          properties: row.properties,
          eventTime: row.eventTime,
          sequenceId: row.id,
          ...(row.key !== undefined ? { key: row.key } : {}),
        });
        this.opts.metrics?.published.inc({ service: this.opts.service ?? '', topic: shortTopicName(row.topic) });
        this.opts.metrics?.publishDelay.observe(Math.max(0, Date.now() - row.createdAt) / 1000, { service: this.opts.service ?? '' });
      });
      const results = await Promise.allSettled(sends);
      // Rows up to the first failure are on the broker (one producer per topic sends in order);
      // only those are removed, the rest go again (deduplicated if they did arrive).
      const firstFailure = results.findIndex((r) => r.status === 'rejected');
      const done = firstFailure < 0 ? rows : rows.slice(0, firstFailure);
      await this.store.markPublished(done.map((r) => r.id));
      if (firstFailure >= 0) throw (results[firstFailure] as PromiseRejectedResult).reason;
    }
  }
}
