/**
 * Dead-letter publishing (client-side in Pulsar): after `maxRedeliverCount` redeliveries a
 * nacked message is republished to the dead-letter topic, with the same payload, key, event
 * time and properties plus where it came from, and then acknowledged on its own topic.
 * The producer is opened on first use, one per schema version, so the dead-letter topic
 * carries the writer schema of each message it holds.
 */
import type { Message, OutgoingMessage, Producer } from '../types.js';

/** Properties a dead letter carries about its origin (the names the Java client uses). */
export const DEAD_LETTER_PROPERTIES = { realTopic: 'REAL_TOPIC', originMessageId: 'ORIGIN_MESSAGE_ID' } as const;

/** Pulsar's default dead-letter topic name: `<topic>-<subscription>-DLQ`. */
export function defaultDeadLetterTopic(topic: string, subscription: string): string {
  return `${topic}-${subscription}-DLQ`;
}

/** The message to republish: the original one plus the origin properties. */
export function deadLetterMessage(m: Message): OutgoingMessage {
  const out: OutgoingMessage = {
    payload: m.payload,
    properties: { ...m.properties, [DEAD_LETTER_PROPERTIES.realTopic]: m.topic, [DEAD_LETTER_PROPERTIES.originMessageId]: m.messageId.toString() },
  };
  if (m.key !== undefined) out.key = m.key;
  if (m.eventTime !== undefined) out.eventTime = m.eventTime;
  return out;
}

/** Opens a producer on the dead-letter topic with the writer schema of `source` (none when it has no schema version). */
export type OpenDeadLetterProducer = (topic: string, source: Message) => Promise<Producer>;

export class DeadLetterPublisher {
  private readonly producers = new Map<string, Promise<Producer>>();

  constructor(
    readonly topic: string,
    readonly maxRedeliverCount: number,
    private readonly open: OpenDeadLetterProducer,
  ) {}

  /** Whether a nacked message has been redelivered enough to go to the dead-letter topic. */
  isDue(m: Message): boolean {
    return m.redeliveryCount >= this.maxRedeliverCount;
  }

  /** Republish `m`; resolves once the dead-letter topic has it. A failed open is retried on the next call. */
  async publish(m: Message): Promise<void> {
    const key = m.schemaVersion ? m.schemaVersion.toString('hex') : '';
    let producer = this.producers.get(key);
    if (!producer) {
      producer = this.open(this.topic, m);
      this.producers.set(key, producer);
      producer.catch(() => {
        if (this.producers.get(key) === producer) this.producers.delete(key);
      });
    }
    await (await producer).send(deadLetterMessage(m));
  }

  async close(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.allSettled(producers.map(async (p) => (await p).close()));
  }
}
