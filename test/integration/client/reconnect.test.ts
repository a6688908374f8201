import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient, type ConnectionState, type Message, type MessageId } from '../../../src/pulsar/index.js';
import { sleep } from '../../../src/util/wait.js';
import { uniqueTopic, waitUntil } from '../../support/env.js';
import { startStandalone, type Standalone } from '../../support/broker.js';
import { requirePulsar } from '../../support/peers.js';

// A broker restart needs a broker of our own: the shared one is never restarted.
describe.skipIf(!requirePulsar())('reconnect after a broker restart (own standalone)', () => {
  let broker: Standalone;
  beforeAll(async () => {
    broker = await startStandalone();
  }, 150_000);
  afterAll(async () => {
    await broker?.destroy();
  }, 60_000);

  it('producer resends, deduplication drops repeats, consumer and reader resume: nothing lost, nothing duplicated', async () => {
    const log: string[] = [];
    const client = new PulsarClient({ serviceUrl: broker.serviceUrl, reconnect: { maxDelayMs: 1000 }, operationTimeoutMs: 10_000, log: (l) => log.push(l) });
    const states: ConnectionState[] = [];
    client.status.on('status', (s) => states.push(s.state));
    const topic = uniqueTopic('restart');
    const N = 600;
    const producer = await client.createProducer({
      topic,
      producerName: 'restart-producer',
      batching: { maxMessages: 20, maxDelayMs: 5 },
      sendTimeoutMs: 120_000,
      maxPendingMessages: 200,
    });
    const consumer = await client.subscribe({ topic, subscription: 'svc', type: 'Shared', initialPosition: 'earliest' });
    const reader = await client.createReader({ topic, start: 'earliest' });
    const consumed = new Set<string>();
    const read: Message[] = [];
    const consuming = (async () => {
      for await (const m of consumer) {
        consumed.add(m.payload.toString());
        await consumer.ack(m);
        if (consumed.size === N) return;
      }
    })();
    const reading = (async () => {
      for await (const m of reader) {
        read.push(m);
        if (new Set(read.map((r) => r.payload.toString())).size === N) return;
      }
    })();

    const sends: Promise<MessageId>[] = [];
    let restarting: Promise<void> | undefined;
    for (let i = 0; i < N; i++) {
      sends.push(producer.send({ payload: Buffer.from(`msg-${i}`), properties: { i: String(i) } }));
      if (i === 200) restarting = broker.restart({ downMs: 500 });
      if (i % 20 === 0) await sleep(10); // pacing, so sends straddle the restart
    }
    await restarting;
    const ids = await Promise.all(sends);
    expect(ids).toHaveLength(N);
    await Promise.race([
      Promise.all([consuming, reading]),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`consumed ${consumed.size}, read ${read.length}`)), 60_000)),
    ]);
    expect(consumed.size).toBe(N);
    // The topic itself holds each message once, sequence ids 0..N-1 in order.
    const check = await client.createReader({ topic, start: 'earliest' });
    const stored: Message[] = [];
    while (await check.hasMessageAvailable()) stored.push((await check.readNext(5000))!);
    expect(stored.map((m) => m.payload.toString())).toEqual(Array.from({ length: N }, (_, i) => `msg-${i}`));
    expect(stored.map((m) => m.sequenceId)).toEqual(Array.from({ length: N }, (_, i) => BigInt(i)));
    expect(producer.lastSequenceId).toBe(BigInt(N - 1));
    // The reader resumed after the last message it handed out: no message twice.
    expect(read.map((m) => m.payload.toString())).toEqual(Array.from({ length: N }, (_, i) => `msg-${i}`));

    // Messages were in flight during the restart and went out again after it.
    expect(log.some((l) => /restart-producer .*resending \d+ pending/.test(l))).toBe(true);
    expect(states).toContain('disconnected');
    expect(states).toContain('reconnecting');
    await waitUntil(() => client.status.current.state === 'connected');
    await check.close();
    await client.close();
  }, 180_000);
});
