import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_PROPERTIES, DeadLetterPublisher, deadLetterMessage, defaultDeadLetterTopic } from '../../../../src/pulsar/consumer/dead-letter.js';
import { MessageId } from '../../../../src/pulsar/message-id.js';
import type { Message, OutgoingMessage, Producer } from '../../../../src/pulsar/types.js';

function message(over: Partial<Message> = {}): Message {
  return {
    messageId: new MessageId(12n, 3n, 1, -1),
    topic: 'persistent://t/n/orders-partition-1',
    payload: Buffer.from('body'),
    properties: { type: 'order.created.v1' },
    publishTime: 1_700_000_000_000,
    redeliveryCount: 3,
    producerName: 'p',
    sequenceId: 0n,
    ...over,
  };
}

/** A producer that records what it is sent (the publisher's own logic is under test, not a broker). */
class RecordingProducer implements Producer {
  readonly sent: OutgoingMessage[] = [];
  closed = false;
  readonly producerName = 'dlq';
  readonly schemaVersion = undefined;
  readonly lastSequenceId = -1n;
  readonly connectedTo = undefined;
  constructor(readonly topic: string) {}
  send(msg: OutgoingMessage): Promise<MessageId> {
    this.sent.push(msg);
    return Promise.resolve(new MessageId(1n, BigInt(this.sent.length)));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

describe('dead-letter messages', () => {
  it('keep payload, key, event time and properties, and add the origin topic and message id', () => {
    const out = deadLetterMessage(message({ key: 'order-7', eventTime: 42 }));
    expect(out.payload.toString()).toBe('body');
    expect(out.key).toBe('order-7');
    expect(out.eventTime).toBe(42);
    expect(out.properties).toEqual({
      type: 'order.created.v1',
      [DEAD_LETTER_PROPERTIES.realTopic]: 'persistent://t/n/orders-partition-1',
      [DEAD_LETTER_PROPERTIES.originMessageId]: '12:3:1:-1',
    });
    expect(DEAD_LETTER_PROPERTIES).toEqual({ realTopic: 'REAL_TOPIC', originMessageId: 'ORIGIN_MESSAGE_ID' });
  });

  it('leave out a key and event time the original did not have', () => {
    const out = deadLetterMessage(message());
    expect('key' in out).toBe(false);
    expect('eventTime' in out).toBe(false);
  });

  it('go to <topic>-<subscription>-DLQ by default', () => {
    expect(defaultDeadLetterTopic('persistent://t/n/orders', 'billing')).toBe('persistent://t/n/orders-billing-DLQ');
  });
});

describe('dead-letter publisher', () => {
  it('is due once the redelivery count reaches the maximum', () => {
    const d = new DeadLetterPublisher('dlq', 3, () => Promise.reject(new Error('unused')));
    expect(d.isDue(message({ redeliveryCount: 2 }))).toBe(false);
    expect(d.isDue(message({ redeliveryCount: 3 }))).toBe(true);
  });

  it('opens one producer per schema version and reuses it', async () => {
    const opened: RecordingProducer[] = [];
    const d = new DeadLetterPublisher('orders-DLQ', 1, (topic) => {
      const p = new RecordingProducer(topic);
      opened.push(p);
      return Promise.resolve(p);
    });
    const v1 = Buffer.from([0, 0, 0, 1]);
    const v2 = Buffer.from([0, 0, 0, 2]);
    await Promise.all([d.publish(message({ schemaVersion: v1 })), d.publish(message({ schemaVersion: v1 }))]);
    await d.publish(message({ schemaVersion: v2 }));
    await d.publish(message());
    expect(opened.map((p) => p.topic)).toEqual(['orders-DLQ', 'orders-DLQ', 'orders-DLQ']);
    expect(opened.map((p) => p.sent.length)).toEqual([2, 1, 1]);
    await d.close();
    expect(opened.every((p) => p.closed)).toBe(true);
  });

  it('fails the publish when the producer cannot be opened, and opens again on the next one', async () => {
    let attempts = 0;
    const p = new RecordingProducer('dlq');
    const d = new DeadLetterPublisher('dlq', 1, () => (++attempts === 1 ? Promise.reject(new Error('topic fenced')) : Promise.resolve(p)));
    await expect(d.publish(message())).rejects.toThrow(/topic fenced/);
    await d.publish(message());
    expect(attempts).toBe(2);
    expect(p.sent).toHaveLength(1);
  });
});
