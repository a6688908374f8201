import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient, type Consumer, type Message } from '../../../src/pulsar/index.js';
import { sleep } from '../../../src/util/wait.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName, uniqueTopic, waitUntil } from '../../support/env.js';

let client: PulsarClient;
beforeAll(() => {
  client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
});
afterAll(async () => {
  await client.close();
});

async function produce(topic: string, n: number, opts: { key?: (i: number) => string; batching?: boolean; prefix?: string } = {}): Promise<void> {
  const p = await client.createProducer({ topic, batching: opts.batching ?? false });
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const key = opts.key?.(i);
      return p.send({ payload: Buffer.from(`${opts.prefix ?? 'm'}${i}`), ...(key !== undefined ? { key } : {}) });
    }),
  );
  await p.close();
}

async function take(c: Consumer, n: number, timeoutMs = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const m = await c.receive(Math.max(1, deadline - Date.now()));
    if (!m) throw new Error(`received ${out.length} of ${n} messages`);
    out.push(m);
  }
  return out;
}

const text = (ms: Message[]) => ms.map((m) => m.payload.toString());
const isActive = (c: Consumer) => (c as unknown as { isActive: boolean }).isActive;

describe('subscription types', () => {
  it('Exclusive: one consumer gets everything in order; a second one is refused', async () => {
    const topic = uniqueTopic('excl');
    await produce(topic, 10);
    const c = await client.subscribe({ topic, subscription: 'sub', type: 'Exclusive', initialPosition: 'earliest' });
    const got = await take(c, 10);
    expect(text(got)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    await expect(client.subscribe({ topic, subscription: 'sub', type: 'Exclusive' })).rejects.toMatchObject({ name: 'ConsumerBusyError' });
    for (const m of got) await c.ack(m);
    await c.close();
  });

  it('Shared: two consumers split the messages without duplicates', async () => {
    const topic = uniqueTopic('shared');
    const a = await client.subscribe({ topic, subscription: 'sub', type: 'Shared', receiverQueueSize: 5 });
    const b = await client.subscribe({ topic, subscription: 'sub', type: 'Shared', receiverQueueSize: 5 });
    await produce(topic, 40);
    const seen = new Map<string, string>();
    const drain = async (c: Consumer, who: string) => {
      for (;;) {
        const m = await c.receive(1500);
        if (!m) return;
        expect(seen.has(m.payload.toString())).toBe(false);
        seen.set(m.payload.toString(), who);
        await c.ack(m);
      }
    };
    await Promise.all([drain(a, 'a'), drain(b, 'b')]);
    expect(seen.size).toBe(40);
    const counts = [...seen.values()].reduce((acc, w) => ((acc[w] = (acc[w] ?? 0) + 1), acc), {} as Record<string, number>);
    expect(counts.a).toBeGreaterThan(0);
    expect(counts.b).toBeGreaterThan(0);
    await a.close();
    await b.close();
  });

  it('Failover: only the active consumer receives; when it leaves the standby takes over the unacknowledged rest', async () => {
    const topic = uniqueTopic('failover');
    const a = await client.subscribe({ topic, subscription: 'sub', type: 'Failover', consumerName: 'a' });
    const b = await client.subscribe({ topic, subscription: 'sub', type: 'Failover', consumerName: 'b' });
    // The broker tells each consumer whether it is active (ACTIVE_CONSUMER_CHANGE); let it settle.
    await waitUntil(() => isActive(a) !== isActive(b), { what: 'one active consumer' });
    await sleep(1500); // and it stays that way: no flapping while the broker settles
    expect(isActive(a)).not.toBe(isActive(b));
    const active = isActive(a) ? a : b;
    const standby = active === a ? b : a;
    await produce(topic, 10);
    const got = await take(active, 10);
    expect(text(got)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(await standby.receive(500)).toBeUndefined();
    for (const m of got.slice(0, 5)) await active.ack(m);
    // The acknowledgements (grouped, so a little later) reach the broker before the active consumer leaves.
    await waitUntil(
      async () => {
        const stats = (await (await fetch(`${TEST_ADMIN_URL}/admin/v2/${topic.replace('://', '/')}/stats`)).json()) as {
          subscriptions: Record<string, { msgBacklog: number }>;
        };
        return stats.subscriptions.sub?.msgBacklog === 5;
      },
      { what: 'five acknowledgements at the broker' },
    );
    await active.close();
    const rest = await take(standby, 5);
    expect(text(rest)).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
    await waitUntil(() => isActive(standby), { what: 'standby to become active' });
    await standby.close();
  });

  it('Key_Shared: every key is delivered to exactly one consumer, in order', async () => {
    const topic = uniqueTopic('keyshared');
    const a = await client.subscribe({ topic, subscription: 'sub', type: 'Key_Shared' });
    const b = await client.subscribe({ topic, subscription: 'sub', type: 'Key_Shared' });
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await produce(topic, 200, { key: (i) => keys[i % keys.length]!, batching: true });
    const owner = new Map<string, string>();
    const order = new Map<string, number[]>();
    const drain = async (c: Consumer, who: string) => {
      for (;;) {
        const m = await c.receive(1500);
        if (!m) return;
        const prev = owner.get(m.key!);
        if (prev !== undefined) expect(prev).toBe(who);
        owner.set(m.key!, who);
        order.set(m.key!, [...(order.get(m.key!) ?? []), Number(m.payload.toString().slice(1))]);
        await c.ack(m);
      }
    };
    await Promise.all([drain(a, 'a'), drain(b, 'b')]);
    expect(owner.size).toBe(20);
    expect([...order.values()].reduce((n, l) => n + l.length, 0)).toBe(200);
    for (const list of order.values()) expect(list).toEqual([...list].sort((x, y) => x - y));
    expect(new Set(owner.values()).size).toBe(2);
    await a.close();
    await b.close();
  });
});

describe('acknowledgement and redelivery', () => {
  it('unacknowledged messages come back to the next consumer; acknowledged ones do not', async () => {
    const topic = uniqueTopic('ack');
    await produce(topic, 6);
    const c1 = await client.subscribe({ topic, subscription: 'sub', type: 'Shared', initialPosition: 'earliest' });
    const got = await take(c1, 6);
    for (const m of got.filter((_, i) => i % 2 === 0)) await c1.ack(m);
    await c1.close();
    const c2 = await client.subscribe({ topic, subscription: 'sub', type: 'Shared' });
    expect(text(await take(c2, 3)).sort()).toEqual(['m1', 'm3', 'm5']);
    expect(await c2.receive(500)).toBeUndefined();
    await c2.close();
  });

  it('cumulative ack acknowledges everything up to the message; Shared refuses it', async () => {
    const topic = uniqueTopic('cumul');
    await produce(topic, 10);
    const c1 = await client.subscribe({ topic, subscription: 'sub', type: 'Exclusive', initialPosition: 'earliest' });
    const got = await take(c1, 10);
    await c1.ackCumulative(got[5]!);
    await c1.close();
    const c2 = await client.subscribe({ topic, subscription: 'sub', type: 'Exclusive' });
    expect(text(await take(c2, 4))).toEqual(['m6', 'm7', 'm8', 'm9']);
    await c2.close();
    const s = await client.subscribe({ topic, subscription: 'shared-sub', type: 'Shared' });
    await expect(s.ackCumulative(got[0]!)).rejects.toThrow(/not allowed on Shared/);
    await s.close();
  });

  it('a batch entry is acknowledged on the broker only when all its messages are', async () => {
    const topic = uniqueTopic('batchack');
    await produce(topic, 5, { batching: true });
    const c1 = await client.subscribe({ topic, subscription: 'sub', type: 'Shared', initialPosition: 'earliest' });
    const got = await take(c1, 5);
    expect(new Set(got.map((m) => `${m.messageId.ledgerId}:${m.messageId.entryId}`)).size).toBe(1);
    for (const m of got.slice(0, 4)) await c1.ack(m);
    await c1.close();
    const c2 = await client.subscribe({ topic, subscription: 'sub', type: 'Shared' });
    const again = await take(c2, 5);
    expect(text(again)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const m of again) await c2.ack(m);
    await c2.close();
    const c3 = await client.subscribe({ topic, subscription: 'sub', type: 'Shared' });
    expect(await c3.receive(700)).toBeUndefined();
    await c3.close();
  });

  it('nack on Shared redelivers after the delay with a growing redeliveryCount', async () => {
    const topic = uniqueTopic('nack');
    await produce(topic, 1);
    const c = await client.subscribe({ topic, subscription: 'sub', type: 'Shared', initialPosition: 'earliest', nackRedeliveryDelayMs: 200 });
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = (await take(c, 1))[0]!;
      counts.push(m.redeliveryCount);
      if (i < 3) {
        const t = Date.now();
        c.nack(m);
        const next = await c.receive(5000);
        expect(Date.now() - t).toBeGreaterThanOrEqual(150);
        if (!next) throw new Error('not redelivered');
        counts.push(next.redeliveryCount);
        c.nack(next);
      } else {
        await c.ack(m);
      }
    }
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await c.close();
  });

  it('nack on Exclusive redelivers the unacknowledged messages again', async () => {
    const topic = uniqueTopic('nackx');
    await produce(topic, 3);
    const c = await client.subscribe({ topic, subscription: 'sub', type: 'Exclusive', initialPosition: 'earliest', nackRedeliveryDelayMs: 100 });
    const got = await take(c, 3);
    await c.ack(got[0]!);
    await c.ack(got[2]!);
    c.nack(got[1]!);
    const again = await take(c, 1);
    expect(text(again)).toEqual(['m1']);
    await c.ack(again[0]!);
    expect(await c.receive(500)).toBeUndefined();
    await c.close();
  });

  it('dead-letter: after maxRedeliverCount redeliveries the message moves to <topic>-<subscription>-DLQ with its origin', async () => {
    const topic = uniqueTopic('dlq');
    const avsc = JSON.stringify({ type: 'record', name: 'Cmd', namespace: 'miso.test', fields: [{ name: 'n', type: 'int' }] });
    const p = await client.createProducer({ topic, schema: { type: 'AVRO', schema: avsc }, batching: false });
    const poison = await p.send({ payload: Buffer.from([2]), key: 'agg-1', properties: { type: 'poison' } });
    await p.send({ payload: Buffer.from([4]), key: 'agg-2', properties: { type: 'fine' } });
    await p.close();
    const dlqTopic = `${topic}-workers-DLQ`;
    const dlqConsumer = await client.subscribe({ topic: dlqTopic, subscription: 'inspect', initialPosition: 'earliest' });
    const c = await client.subscribe({
      topic,
      subscription: 'workers',
      type: 'Shared',
      initialPosition: 'earliest',
      nackRedeliveryDelayMs: 50,
      deadLetter: { maxRedeliverCount: 2 },
    });
    const deliveries: number[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const m = await c.receive(1500);
      if (!m) break;
      if (m.properties.type === 'poison') {
        deliveries.push(m.redeliveryCount);
        c.nack(m);
      } else await c.ack(m);
      if (Date.now() > deadline) throw new Error('took too long');
    }
    expect(deliveries).toEqual([0, 1, 2]);
    const dead = await dlqConsumer.receive(10_000);
    expect(dead?.payload).toEqual(Buffer.from([2]));
    expect(dead?.key).toBe('agg-1');
    expect(dead?.properties).toMatchObject({ type: 'poison', REAL_TOPIC: topic, ORIGIN_MESSAGE_ID: poison.toString() });
    // The dead letter carries the same Avro schema as the origin.
    const schema = await client.getSchema(dlqTopic, dead!.schemaVersion);
    expect(JSON.parse(schema!.schema)).toEqual(JSON.parse(avsc));
    await dlqConsumer.close();
    await c.close();
    // The original was acknowledged: a new consumer on the subscription gets nothing.
    const c2 = await client.subscribe({ topic, subscription: 'workers', type: 'Shared' });
    expect(await c2.receive(700)).toBeUndefined();
    await c2.close();
  });
});

describe('flow control and iteration', () => {
  it('the receiver queue never holds more than its size, and all messages arrive', async () => {
    const topic = uniqueTopic('flow');
    await produce(topic, 100);
    const c = await client.subscribe({ topic, subscription: 'sub', type: 'Exclusive', initialPosition: 'earliest', receiverQueueSize: 10 });
    const impl = c as unknown as { queued: number };
    await waitUntil(() => impl.queued === 10);
    await sleep(200); // the broker sends no more than the permits it was given
    expect(impl.queued).toBe(10);
    const got: string[] = [];
    for await (const m of c) {
      expect(impl.queued).toBeLessThanOrEqual(10);
      got.push(m.payload.toString());
      await c.ack(m);
      if (got.length === 100) break;
    }
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    await c.close();
    expect(await c.receive(10)).toBeUndefined();
  });

  it('unsubscribe removes the subscription from the broker', async () => {
    const topic = uniqueTopic('unsub');
    const c = await client.subscribe({ topic, subscription: 'gone', type: 'Shared' });
    const subs = async () => (await (await fetch(`${TEST_ADMIN_URL}/admin/v2/${topic.replace('://', '/')}/subscriptions`)).json()) as string[];
    expect(await subs()).toContain('gone');
    await c.unsubscribe();
    expect(await subs()).not.toContain('gone');
  });

  it('one consumer over several topics', async () => {
    const t1 = uniqueTopic('multi1');
    const t2 = uniqueTopic('multi2');
    const c = await client.subscribe({ topic: [t1, t2], subscription: 'sub', type: 'Shared' });
    await produce(t1, 3, { prefix: 'a' });
    await produce(t2, 3, { prefix: 'b' });
    const got = await take(c, 6);
    expect(text(got).sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    expect(new Set(got.map((m) => m.topic))).toEqual(new Set([t1, t2]));
    for (const m of got) await c.ack(m);
    await c.close();
  });
});

describe('partitioned topics', () => {
  it('produces over all partitions (same key → same partition) and consumes them all', async () => {
    const name = uniqueName('parts');
    const topic = `persistent://public/default/${name}`;
    const res = await fetch(`${TEST_ADMIN_URL}/admin/v2/persistent/public/default/${name}/partitions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '3',
    });
    expect(res.status).toBeLessThan(300);
    expect(await client.partitionCount(topic)).toBe(3);
    const c = await client.subscribe({ topic, subscription: 'sub', type: 'Shared' });
    const p = await client.createProducer({ topic });
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => p.send({ payload: Buffer.from(`m${i}`), key: `k${i % 5}` })));
    const partitionOfKey = new Map<string, number>();
    ids.forEach((id, i) => {
      const k = `k${i % 5}`;
      expect(id.partition).toBeGreaterThanOrEqual(0);
      if (partitionOfKey.has(k)) expect(partitionOfKey.get(k)).toBe(id.partition);
      partitionOfKey.set(k, id.partition);
    });
    await p.close();
    const got = await take(c, 30);
    expect(text(got).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    expect(new Set(got.map((m) => m.topic)).size).toBeGreaterThan(1);
    for (const m of got) {
      expect(m.topic).toBe(`${topic}-partition-${m.messageId.partition}`);
      await c.ack(m);
    }
    await c.close();
    const again = await client.subscribe({ topic, subscription: 'sub', type: 'Shared' });
    expect(await again.receive(700)).toBeUndefined();
    await again.close();

    // A reader over all partitions: everything once, in order within each partition.
    const reader = await client.createReader({ topic, start: 'earliest' });
    const read: Message[] = [];
    while (await reader.hasMessageAvailable()) read.push((await reader.readNext(5000))!);
    expect(text(read).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    for (let part = 0; part < 3; part++) {
      const ids = read.filter((m) => m.messageId.partition === part).map((m) => m.messageId);
      for (let i = 1; i < ids.length; i++) expect(ids[i]!.compare(ids[i - 1]!)).toBe(1);
    }
    await reader.seek({ publishTime: 0 });
    expect((await reader.readNext(5000))?.payload.toString()).toMatch(/^m\d+$/);
    await reader.close();
    await expect(client.createReader({ topic, start: ids[0]! })).rejects.toThrow(/partitioned/);
  });
});
