import { Publisher } from '../../core/publisher.js';
import { shortTopicName, type TopicShortName } from '../../core/catalog/index.js';
import type { TopicScope } from '../../core/topics.js';
import type { PulsarClient } from '../../pulsar/index.js';
import { sleep } from '../../util/wait.js';
import { LeaseLostError, type OutboxLease, type OutboxRow, type ServiceStore } from '../store/store.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * Publishes what handlers wrote to the outbox, exactly once across the instances of a service.
 *
 * Design.
 * - The outbox is cut into slices by message key (`store.outboxSlices`: 1 on SQLite, whose pid
 *   lock allows one instance; 4 by default on PostgreSQL). One key, one slice: a key's events
 *   keep their order.
 * - A slice is published by the one instance holding its lease, a row in the database
 *   (`outbox_leases`: holder, epoch, expiry). Holders renew every third of the lease time
 *   (5 s); a lease not renewed expires and is taken over with the epoch raised, so a dead
 *   instance's slices move within seconds. Instances note themselves in `instances` and hold
 *   about their share (slices ÷ live instances), releasing extra slices when others join.
 * - Each slice has its own producer name, `<service>-outbox-<store id>-<slice>`: derived from
 *   the database and the slice, not the instance, so it survives hand-over. The holder numbers
 *   rows (`seq`) as it reads them, under the lease, and sends each row with that sequence id:
 *   in publish order even when transactions commit out of id order. A row published but not
 *   yet deleted when its holder died is sent again by the successor with the same sequence id,
 *   and the broker's deduplication drops it (rows at or below the producer's last sequence id
 *   are not even sent).
 * - Fencing: a holder that stalls past its lease (SIGSTOP, a long pause) and wakes up finds its
 *   epoch gone at its next read, mark or renewal and stops that slice, closing its producer.
 *   While its producer is still connected the broker refuses the successor a producer of the
 *   same name, and once the successor has it the broker refuses the old one; either way one
 *   producer per name publishes, and what the old one sent carried sequence ids the
 *   successor's producer sees as already persisted. A paused holder cannot block its
 *   successor in the database either: the server ends a transaction left idle for 5 s (its
 *   locks go with it) and lock waits give up after 4 s.
 *
 * Per slice, sends are pipelined (rows committed while earlier ones await receipts go out at
 * once); after a failure the slice lets what is in flight settle and starts again from the
 * oldest row still in the outbox. Woken after each commit; also polls, so rows left by a crash
 * or committed by another instance go out.
 */

export interface OutboxRelayOptions {
  client: PulsarClient;
  scope: TopicScope;
  /** Producer name of a slice; stable across restarts and instances. */
  producerName: (slice: number) => string;
  /** This instance: the lease holder name. */
  instanceId: string;
  metrics?: ServiceMetrics;
  log?: (line: string) => void;
  service?: string;
  batchSize?: number;
  pollMs?: number;
  maxInFlight?: number;
  leaseTtlMs?: number;
}

/** The stores that know other instances (PostgreSQL). */
interface Heartbeats {
  heartbeat(instanceId: string, withinMs: number): Promise<string[]>;
}

export class OutboxRelay {
  private readonly slices = new Map<number, SliceRelay>();
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private leaseError: string | undefined;

  constructor(
    private readonly store: ServiceStore<unknown>,
    private readonly opts: OutboxRelayOptions,
  ) {}

  /** Last publish or lease error, for /health; cleared by the next success. */
  get lastError(): string | undefined {
    for (const s of this.slices.values()) if (s.lastError) return s.lastError;
    return this.leaseError;
  }

  /** The slices this instance publishes now. */
  get heldSlices(): number[] {
    return [...this.slices.keys()].sort((a, b) => a - b);
  }

  start(): void {
    this.loopDone ??= this.leaseLoop();
  }

  notify(): void {
    for (const s of this.slices.values()) s.notify();
  }

  /** Wait until the outbox is empty (or the timeout passes); true when it is. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.store.outboxDepth().catch(() => -1)) === 0) return true;
      this.notify();
      await sleep(20);
    }
    return (await this.store.outboxDepth().catch(() => -1)) === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loopDone;
    await Promise.all([...this.slices.keys()].map((n) => this.drop(n, { release: true })));
  }

  private get ttl(): number {
    return this.opts.leaseTtlMs ?? 5000;
  }

  private async leaseLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
        this.leaseError = undefined;
      } catch (err) {
        this.leaseError = `outbox lease: ${(err as Error).message}`;
        this.opts.log?.(`outbox: cannot renew leases: ${(err as Error).message}; retrying`);
      }
      this.opts.metrics?.outboxSlicesHeld.set(this.slices.size, { service: this.opts.service ?? '' });
      await sleep(this.ttl / 3, this.abort.signal).catch(() => {});
    }
  }

  /** Renew what is held, give up what is over the fair share, take free slices up to it. */
  private async tick(): Promise<void> {
    const total = this.store.outboxSlices;
    const hb = (this.store as Partial<Heartbeats>).heartbeat;
    const alive = hb ? await hb.call(this.store, this.opts.instanceId, this.ttl) : [this.opts.instanceId];
    // Shares that add up to the slices: the first (slices mod instances) instances by id take one more.
    const rank = Math.max(0, alive.indexOf(this.opts.instanceId));
    const share = Math.floor(total / alive.length) + (rank < total % alive.length ? 1 : 0);
    for (const [n, relay] of this.slices) {
      const renewed = await this.store.leaseOutbox(n, this.opts.instanceId, this.ttl);
      if (!renewed || renewed.epoch !== relay.lease.epoch) {
        this.opts.log?.(`outbox: lost slice ${n} to another instance`);
        await this.drop(n, { release: false });
        if (renewed) await this.store.releaseOutbox(renewed);
      }
    }
    while (this.slices.size > share && !this.stopped) {
      const n = Math.max(...this.slices.keys());
      await this.drop(n, { release: true });
    }
    for (let n = 0; n < total && this.slices.size < share && !this.stopped; n++) {
      if (this.slices.has(n)) continue;
      const lease = await this.store.leaseOutbox(n, this.opts.instanceId, this.ttl);
      if (!lease) continue;
      const relay = new SliceRelay(
        this.store,
        lease,
        new Publisher(this.opts.client, this.opts.scope, { producerName: () => this.opts.producerName(n) }),
        this.opts,
        () => {
          if (this.slices.get(n) === relay) void this.drop(n, { release: false });
        },
      );
      this.slices.set(n, relay);
      relay.start();
    }
  }

  private async drop(n: number, o: { release: boolean }): Promise<void> {
    const relay = this.slices.get(n);
    if (!relay) return;
    this.slices.delete(n);
    await relay.stop(o.release ? 5000 : 0);
    if (o.release) await this.store.releaseOutbox(relay.lease).catch(() => {});
  }
}

function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise((resolve) => {
      t = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** One slice, under one lease: the pipelined publisher of its rows. */
class SliceRelay {
  private stopped = false;
  private dirty = true;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private failures = 0;
  /** Highest sequence id handed to a producer in this pass. */
  private dispatched = 0n;
  private readonly inflight = new Set<Promise<void>>();
  private confirmed: bigint[] = [];
  private marking: Promise<void> = Promise.resolve();
  private sendFailure: unknown;
  lastError: string | undefined;

  constructor(
    private readonly store: ServiceStore<unknown>,
    readonly lease: OutboxLease,
    private readonly publisher: Publisher,
    private readonly opts: OutboxRelayOptions,
    private readonly onLost: () => void,
  ) {}

  start(): void {
    this.loopDone ??= this.loop();
  }

  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /**
   * Stop publishing this slice. Handing it over gracefully, what is in flight gets `graceMs`
   * to be confirmed (and removed); a lost slice gets none. Every wait is bounded: a producer
   * whose receipts will never come (its name taken over) must not hold up the instance.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await within(Promise.allSettled([...this.inflight]), graceMs);
    // Fails what is still pending and frees the producer name at the broker for the next holder.
    await within(
      this.publisher.close().catch(() => {}),
      graceMs,
    );
    await within(this.loopDone ?? Promise.resolve(), graceMs + 1000);
    await within(this.markConfirmed(), 2000);
  }

  private lost(): void {
    this.opts.log?.(`outbox: slice ${this.lease.slice} was taken over (epoch ${this.lease.epoch} is gone); stopping it here`);
    this.stopped = true;
    this.onLost();
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
        if (err instanceof LeaseLostError) {
          this.lost();
          break;
        }
        this.failures++;
        this.lastError = (err as Error).message;
        this.opts.log?.(`outbox: slice ${this.lease.slice}: publish failed (attempt ${this.failures}): ${(err as Error).message}; retrying`);
        await sleep(Math.min(5000, 100 * 2 ** Math.min(this.failures, 6)));
        this.dirty = true;
      }
    }
  }

  /** Hand every row not yet dispatched to its producer, in sequence order, without waiting for receipts. */
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
      if (this.stopped) return;
      const rows = await this.store.pendingOutbox(batchSize, this.dispatched, this.lease);
      if (rows.length === 0) return;
      for (const row of rows) {
        const producer = await this.publisher.producer(shortTopicName(row.topic) as TopicShortName);
        this.dispatched = row.seq;
        // Rows are deleted once confirmed, so a pending row at or below the broker's last
        // sequence id for this producer was persisted before a crash or a hand-over: no resend.
        if (row.seq <= producer.lastSequenceId) {
          this.confirm(row.id);
          continue;
        }
        const sent: Promise<void> = producer
          .send({
            payload: row.payload,
            properties: row.properties,
            eventTime: row.eventTime,
            sequenceId: row.seq,
            ...(row.key !== undefined ? { key: row.key } : {}),
          })
          .then(
            () => this.onConfirmed(row),
            (err: unknown) => {
              this.sendFailure ??= err;
              this.wake?.();
              this.dirty = true;
            },
          )
          .finally(() => this.inflight.delete(sent));
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

  /** Remember a confirmed row; deletions are batched into one statement per turn of the event loop. */
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
        await this.store.markPublished(ids, this.lease);
      } catch (err) {
        if (err instanceof LeaseLostError) {
          // The successor finds them at or below its producer's last sequence id.
          this.lost();
          return;
        }
        // Still on the broker; the next pass finds them at or below the last sequence id.
        this.opts.log?.(`outbox: could not remove published rows: ${(err as Error).message}`);
        this.dispatched = 0n;
      }
    });
    return this.marking;
  }
}
