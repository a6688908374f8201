/**
 * One consumer over several topics or the partitions of a partitioned topic: a consumer per
 * partition, their messages merged into one stream; acks go back to the partition's consumer.
 */
import { joinOwners } from './partitioned-producer.js';
import type { ConsumerImpl } from './consumer.js';
import { ReceiveQueue } from './consumer/receive-queue.js';
import { AlreadyClosedError } from './errors.js';
import type { Consumer, Message } from './types.js';

export class MultiTopicConsumer implements Consumer {
  private readonly byTopic = new Map<string, ConsumerImpl>();
  /** Messages taken from a partition for a receiver, and the receivers waiting. */
  private readonly merged = new ReceiveQueue<Message>();
  private rr = 0;

  constructor(
    readonly topic: string,
    readonly subscription: string,
    private readonly parts: ConsumerImpl[],
  ) {
    for (const p of parts) this.byTopic.set(p.topic, p);
  }

  get connectedTo(): string | undefined {
    return joinOwners(this.parts.map((p) => p.connectedTo));
  }

  get consumers(): readonly ConsumerImpl[] {
    return this.parts;
  }

  async start(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.start()));
    this.attach();
  }

  /** Begin merging from parts that were started elsewhere (readers start their own). */
  attach(): void {
    for (const p of this.parts) void this.pump(p);
  }

  /** Move messages from a partition consumer to whoever waits here. */
  private async pump(p: ConsumerImpl): Promise<void> {
    while (!this.merged.closed) {
      // Only take a message when someone wants it, so flow control stays per partition.
      if (this.merged.waiting === 0) {
        await this.merged.wanted();
        continue;
      }
      const m = await p.receive();
      if (m === undefined) return;
      this.merged.push(m);
    }
  }

  /** Messages taken from a part but not handed out yet. */
  get hasBuffered(): boolean {
    return this.merged.length > 0 || this.parts.some((p) => !p.queueEmpty);
  }

  /** Forget taken-but-unread messages (a seek makes them stale). */
  dropBuffered(): void {
    this.merged.clear();
  }

  receive(timeoutMs?: number): Promise<Message | undefined> {
    const b = this.merged.take();
    if (b) return Promise.resolve(b);
    // Serve from whichever partition already holds messages, rotating for fairness.
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[(this.rr + i) % this.parts.length]!;
      if (!p.queueEmpty) {
        this.rr = (this.rr + i + 1) % this.parts.length;
        return p.receive(0);
      }
    }
    return this.merged.receive(timeoutMs);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      const m = await this.receive();
      if (m === undefined) return;
      yield m;
    }
  }

  private owner(m: Message): ConsumerImpl {
    const p = this.byTopic.get(m.topic);
    if (!p) throw new AlreadyClosedError(`consumer for ${m.topic}`);
    return p;
  }

  ack(m: Message): Promise<void> {
    return this.owner(m).ack(m);
  }

  ackCumulative(m: Message): Promise<void> {
    return this.owner(m).ackCumulative(m);
  }

  nack(m: Message): void {
    this.owner(m).nack(m);
  }

  async close(): Promise<void> {
    this.merged.close();
    await Promise.allSettled(this.parts.map((p) => p.close()));
  }

  async unsubscribe(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.unsubscribe()));
    await this.close();
  }
}
