/**
 * Producer over a partitioned topic: one producer per partition. Keyed messages go to
 * the partition chosen by the key's hash (Java's String.hashCode, like Pulsar's default
 * JavaStringHash routing, so the same key lands on the same partition as with the Java
 * client); messages without a key rotate over the partitions.
 */
import type { ClientContext } from './context.js';
import type { MessageId } from './message-id.js';
import { ProducerImpl, type ProducerOptions } from './producer.js';
import { partitionTopicName } from './topic-name.js';
import type { OutgoingMessage, Producer } from './types.js';

/** Java's String.hashCode over UTF-16 code units, made non-negative like Pulsar does. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h & 0x7fffffff;
}

export class PartitionedProducer implements Producer {
  readonly topic: string;
  private readonly parts: ProducerImpl[];
  private next = 0;

  constructor(ctx: ClientContext, opts: ProducerOptions & { topic: string }, partitions: number) {
    this.topic = opts.topic;
    this.parts = Array.from({ length: partitions }, (_, i) => new ProducerImpl(ctx, { ...opts, topic: partitionTopicName(opts.topic, i) }));
    this.unregister = () => ctx.unregister(this);
  }

  private readonly unregister: () => void;

  get partitions(): number {
    return this.parts.length;
  }

  get producerName(): string {
    return this.parts[0]?.producerName ?? '';
  }

  get schemaVersion(): Buffer | undefined {
    return this.parts[0]?.schemaVersion;
  }

  get connectedTo(): string | undefined {
    return joinOwners(this.parts.map((p) => p.connectedTo));
  }

  get lastSequenceId(): bigint {
    let max = -1n;
    for (const p of this.parts) if (p.lastSequenceId > max) max = p.lastSequenceId;
    return max;
  }

  async start(): Promise<void> {
    // The first partition fixes the producer name when the broker generates it.
    await this.parts[0]!.start();
    await Promise.all(this.parts.slice(1).map((p) => p.start()));
  }

  partitionFor(msg: OutgoingMessage): number {
    if (msg.key !== undefined) return javaStringHash(msg.key) % this.parts.length;
    const p = this.next;
    this.next = (this.next + 1) % this.parts.length;
    return p;
  }

  send(msg: OutgoingMessage): Promise<MessageId> {
    return this.parts[this.partitionFor(msg)]!.send(msg);
  }

  async flush(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.flush()));
  }

  async close(): Promise<void> {
    this.unregister();
    await Promise.allSettled(this.parts.map((p) => p.close()));
  }
}

/** Distinct owners of the parts, or undefined while any part is not connected. */
export function joinOwners(owners: (string | undefined)[]): string | undefined {
  if (owners.length === 0 || owners.some((o) => o === undefined)) return undefined;
  return [...new Set(owners)].join(',');
}
