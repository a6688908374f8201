import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerUnreachableError, MessageId, PulsarClient, type Message, type Reader } from '../../../src/pulsar/index.js';
import { UsageError } from '../../../src/errors.js';
import { sleep } from '../../../src/util/wait.js';
import { TEST_SERVICE_URL, uniqueTopic, waitUntil } from '../../support/env.js';

let client: PulsarClient;
beforeAll(() => {
  client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
});
afterAll(async () => {
  await client.close();
});

async function readAll(reader: Reader): Promise<Message[]> {
  const out: Message[] = [];
  while (await reader.hasMessageAvailable()) {
    const m = await reader.readNext(5000);
    if (!m) throw new Error('hasMessageAvailable said yes but nothing came');
    out.push(m);
  }
  return out;
}

describe('producer → reader', () => {
  it('publishes with key, properties and event time, and reads them back from earliest', async () => {
    const topic = uniqueTopic('prod');
    const producer = await client.createProducer({ topic, batching: false });
    expect(producer.producerName).not.toBe('');
    const ids: MessageId[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        await producer.send({ payload: Buffer.from(`m${i}`), key: `k${i}`, properties: { n: String(i), kind: 'test' }, eventTime: 1_700_000_000_000 + i }),
      );
    }
    expect(ids.map((id) => id.batchIndex)).toEqual([-1, -1, -1, -1, -1]);
    expect([...ids].sort((a, b) => a.compare(b))).toEqual(ids);
    const reader = await client.createReader({ topic, start: 'earliest' });
    const got = await readAll(reader);
    expect(got.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(got.map((m) => m.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(got[3]!.properties).toEqual({ n: '3', kind: 'test' });
    expect(got[3]!.eventTime).toBe(1_700_000_000_003);
    expect(got[3]!.producerName).toBe(producer.producerName);
    expect(got.map((m) => m.sequenceId)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(got.map((m) => m.messageId.toString())).toEqual(ids.map(String));
    expect(Math.abs(got[0]!.publishTime - Date.now())).toBeLessThan(60_000);
    expect(producer.lastSequenceId).toBe(4n);
    await reader.close();
    await producer.close();
  });

  it('batches messages into entries and delivers them one by one with batch indexes', async () => {
    const topic = uniqueTopic('batch');
    const producer = await client.createProducer({ topic, batching: { maxMessages: 10, maxDelayMs: 50 } });
    const sends = Array.from({ length: 35 }, (_, i) => producer.send({ payload: Buffer.from(`b${i}`), key: 'same', properties: { i: String(i) } }));
    const ids = await Promise.all(sends);
    // 35 messages, 10 per batch: entries of 10, 10, 10, 5.
    const entries = new Map<string, number[]>();
    for (const id of ids) entries.set(`${id.ledgerId}:${id.entryId}`, [...(entries.get(`${id.ledgerId}:${id.entryId}`) ?? []), id.batchIndex]);
    expect([...entries.values()].map((v) => v.length)).toEqual([10, 10, 10, 5]);
    expect([...entries.values()][3]).toEqual([0, 1, 2, 3, 4]);
    const reader = await client.createReader({ topic, start: 'earliest' });
    const got = await readAll(reader);
    expect(got.map((m) => m.payload.toString())).toEqual(ids.map((_, i) => `b${i}`));
    expect(got.map((m) => m.properties.i)).toEqual(ids.map((_, i) => String(i)));
    expect(got.map((m) => m.messageId.toString())).toEqual(ids.map(String));
    expect(got.every((m) => m.key === 'same')).toBe(true);
    await reader.close();
    await producer.close();
  });

  it('starts a new batch when the key changes (one key per entry)', async () => {
    const topic = uniqueTopic('batchkey');
    const producer = await client.createProducer({ topic, batching: { maxMessages: 100, maxDelayMs: 20 } });
    const keys = ['a', 'a', 'b', 'b', 'b', 'a'];
    const ids = await Promise.all(keys.map((key, i) => producer.send({ payload: Buffer.from(String(i)), key })));
    const entryOf = (id: MessageId) => `${id.ledgerId}:${id.entryId}`;
    expect(new Set(ids.map(entryOf)).size).toBe(3);
    expect(entryOf(ids[0]!)).toBe(entryOf(ids[1]!));
    expect(entryOf(ids[2]!)).toBe(entryOf(ids[4]!));
    expect(entryOf(ids[5]!)).not.toBe(entryOf(ids[0]!));
    await producer.close();
  });

  it('reader from latest sees only what comes after it', async () => {
    const topic = uniqueTopic('latest');
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send({ payload: Buffer.from('old') });
    const reader = await client.createReader({ topic, start: 'latest' });
    expect(await reader.hasMessageAvailable()).toBe(false);
    expect(await reader.readNext(300)).toBeUndefined();
    await producer.send({ payload: Buffer.from('new') });
    const m = await reader.readNext(10_000);
    expect(m?.payload.toString()).toBe('new');
    expect(await reader.hasMessageAvailable()).toBe(false);
    await reader.close();
    await producer.close();
  });

  it('reader from a message id, exclusive and inclusive, for single and batched entries', async () => {
    const topic = uniqueTopic('fromid');
    const single = await client.createProducer({ topic, batching: false });
    const singles = [];
    for (let i = 0; i < 4; i++) singles.push(await single.send({ payload: Buffer.from(`s${i}`) }));
    await single.close();
    const batched = await client.createProducer({ topic, batching: { maxMessages: 4, maxDelayMs: 50 } });
    const inBatch = await Promise.all([0, 1, 2, 3].map((i) => batched.send({ payload: Buffer.from(`b${i}`) })));
    await batched.close();
    const all = ['s0', 's1', 's2', 's3', 'b0', 'b1', 'b2', 'b3'];
    const cases: [MessageId, boolean, string[]][] = [
      [singles[1]!, false, all.slice(2)],
      [singles[1]!, true, all.slice(1)],
      [inBatch[1]!, false, all.slice(6)],
      [inBatch[1]!, true, all.slice(5)],
      [singles[3]!, false, all.slice(4)],
    ];
    for (const [start, startInclusive, expected] of cases) {
      const reader = await client.createReader({ topic, start, startInclusive });
      const got = await readAll(reader);
      expect({ start: start.toString(), startInclusive, got: got.map((m) => m.payload.toString()) }).toEqual({
        start: start.toString(),
        startInclusive,
        got: expected,
      });
      await reader.close();
    }
    // Parsing the printed id gives the same start.
    const reader = await client.createReader({ topic, start: MessageId.parse(singles[2]!.toString()) });
    expect((await readAll(reader)).map((m) => m.payload.toString())).toEqual(all.slice(3));
    await reader.close();
  });

  it('reader from a publish time, and seek back by time and by message id', async () => {
    const topic = uniqueTopic('bytime');
    const producer = await client.createProducer({ topic, batching: false });
    const early = [];
    for (let i = 0; i < 3; i++) early.push(await producer.send({ payload: Buffer.from(`e${i}`) }));
    // Publish times on either side of the cut, with room for clock granularity.
    await sleep(50);
    const cut = Date.now();
    await sleep(50);
    for (let i = 0; i < 3; i++) await producer.send({ payload: Buffer.from(`l${i}`) });
    const reader = await client.createReader({ topic, start: { publishTime: cut } });
    expect((await readAll(reader)).map((m) => m.payload.toString())).toEqual(['l0', 'l1', 'l2']);
    await reader.seek({ publishTime: 0 });
    expect((await readAll(reader)).map((m) => m.payload.toString())).toEqual(['e0', 'e1', 'e2', 'l0', 'l1', 'l2']);
    await reader.seek(early[1]!);
    expect((await readAll(reader)).map((m) => m.payload.toString())).toEqual(['e1', 'e2', 'l0', 'l1', 'l2']);
    const empty = await client.createReader({ topic, start: { publishTime: Date.now() + 60_000 } });
    expect(await empty.hasMessageAvailable()).toBe(false);
    await empty.close();
    await reader.close();
    await producer.close();
  });

  it('hasMessageAvailable is false on an empty topic and the reader iterates as an async iterable', async () => {
    const topic = uniqueTopic('empty');
    const reader = await client.createReader({ topic, start: 'earliest' });
    expect(await reader.hasMessageAvailable()).toBe(false);
    const producer = await client.createProducer({ topic });
    await Promise.all([1, 2, 3].map((i) => producer.send({ payload: Buffer.from(String(i)) })));
    const seen: string[] = [];
    for await (const m of reader) {
      seen.push(m.payload.toString());
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['1', '2', '3']);
    await reader.close();
    await producer.close();
  });
});

describe('producer sequence ids and deduplication', () => {
  it('a named producer continues from the broker’s last sequence id, and resends are dropped', async () => {
    const topic = uniqueTopic('dedup');
    const name = `outbox-${Date.now()}`;
    const first = await client.createProducer({ topic, producerName: name, batching: false });
    expect(first.producerName).toBe(name);
    expect(first.lastSequenceId).toBe(-1n);
    for (let i = 0; i < 3; i++) await first.send({ payload: Buffer.from(`a${i}`) });
    await first.close();
    const second = await client.createProducer({ topic, producerName: name, batching: false });
    expect(second.lastSequenceId).toBe(2n);
    await second.send({ payload: Buffer.from('a3') });
    // Explicit sequence ids: a resend of an already stored id is a duplicate.
    const kept = await second.send({ payload: Buffer.from('x10'), sequenceId: 10n });
    const dup = await second.send({ payload: Buffer.from('x10-again'), sequenceId: 10n });
    expect(kept.entryId).toBeGreaterThanOrEqual(0n);
    expect(dup.ledgerId).toBe(-1n);
    expect(dup.entryId).toBe(-1n);
    await second.close();
    const reader = await client.createReader({ topic, start: 'earliest' });
    const got = await readAll(reader);
    expect(got.map((m) => [m.payload.toString(), m.sequenceId])).toEqual([
      ['a0', 0n],
      ['a1', 1n],
      ['a2', 2n],
      ['a3', 3n],
      ['x10', 10n],
    ]);
    await reader.close();
  });

  it('a second producer with a taken name is refused with a clear error', async () => {
    const topic = uniqueTopic('busy');
    const name = `dup-${Date.now()}`;
    const p = await client.createProducer({ topic, producerName: name });
    await expect(client.createProducer({ topic, producerName: name })).rejects.toMatchObject({ name: 'ProducerBusyError', serverError: 'ProducerBusy' });
    await p.close();
  });
});

describe('producer flow control', () => {
  it('back-pressure: send waits while maxPendingMessages are unconfirmed, order is kept', async () => {
    const topic = uniqueTopic('bp');
    const producer = await client.createProducer({ topic, batching: false, maxPendingMessages: 5 });
    const impl = producer as unknown as { pendingCount: number };
    let maxSeen = 0;
    const sends = Array.from({ length: 60 }, (_, i) => {
      const p = producer.send({ payload: Buffer.from(String(i)) });
      maxSeen = Math.max(maxSeen, impl.pendingCount);
      return p;
    });
    const timer = setInterval(() => (maxSeen = Math.max(maxSeen, impl.pendingCount)), 1);
    const ids = await Promise.all(sends);
    clearInterval(timer);
    expect(maxSeen).toBeLessThanOrEqual(5);
    expect(maxSeen).toBeGreaterThan(0);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!.compare(ids[i - 1]!)).toBe(1);
    const reader = await client.createReader({ topic, start: 'earliest' });
    expect((await readAll(reader)).map((m) => m.payload.toString())).toEqual(ids.map((_, i) => String(i)));
    await reader.close();
    await producer.close();
  });

  it('a batch leaves when the turn that filled it ends, not after maxDelayMs', async () => {
    const topic = uniqueTopic('turn');
    const producer = await client.createProducer({ topic, batching: { maxDelayMs: 60_000, maxMessages: 1000 } });
    const t0 = Date.now();
    const ids = await Promise.all([1, 2, 3].map((i) => producer.send({ payload: Buffer.from(String(i)) })));
    expect(Date.now() - t0).toBeLessThan(30_000);
    // One turn, one entry.
    expect(ids.map((i) => i.batchIndex)).toEqual([0, 1, 2]);
    expect(new Set(ids.map((i) => `${i.ledgerId}:${i.entryId}`)).size).toBe(1);
    const next = await producer.send({ payload: Buffer.from('4') });
    expect(next.entryId).toBeGreaterThan(ids[0]!.entryId);
    await producer.close();
  });

  it('flush() writes the batch at once and waits for its receipts; close() flushes too', async () => {
    const topic = uniqueTopic('flush');
    const producer = await client.createProducer({ topic, batching: { maxDelayMs: 60_000, maxMessages: 1000 } });
    let settled = 0;
    const sends = [1, 2, 3].map((i) => producer.send({ payload: Buffer.from(String(i)) }).then((id) => (settled++, id)));
    await producer.flush();
    expect(settled).toBe(3);
    const ids = await Promise.all(sends);
    expect(ids.map((i) => i.batchIndex)).toEqual([0, 1, 2]);
    const last = producer.send({ payload: Buffer.from('4') });
    await producer.close();
    expect((await last).entryId).toBeGreaterThan(ids[0]!.entryId);
    await expect(producer.send({ payload: Buffer.from('late') })).rejects.toMatchObject({ name: 'AlreadyClosedError' });
  });
});

describe('schemas', () => {
  const avsc = JSON.stringify({
    type: 'record',
    name: 'Ping',
    namespace: 'miso.test',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  });

  it('registers an AVRO schema, stamps its version on every message, and GET_SCHEMA returns it (cached)', async () => {
    const topic = uniqueTopic('schema');
    const producer = await client.createProducer({ topic, schema: { type: 'AVRO', schema: avsc }, batching: { maxMessages: 2, maxDelayMs: 20 } });
    expect(producer.schemaVersion).toBeInstanceOf(Buffer);
    await Promise.all([1, 2, 3].map((i) => producer.send({ payload: Buffer.from([i]) })));
    const reader = await client.createReader({ topic, start: 'earliest' });
    const got = await readAll(reader);
    expect(got).toHaveLength(3);
    for (const m of got) expect(m.schemaVersion?.equals(producer.schemaVersion!)).toBe(true);
    const info = await client.getSchema(topic, got[0]!.schemaVersion);
    expect(info?.type).toBe('AVRO');
    expect(JSON.parse(info!.schema)).toEqual(JSON.parse(avsc));
    expect(await client.getSchema(topic, got[0]!.schemaVersion)).toBe(info);
    expect((await client.getSchema(topic))?.type).toBe('AVRO');
    await reader.close();
    await producer.close();
  });

  it('getSchema is undefined for a topic without a schema', async () => {
    const topic = uniqueTopic('noschema');
    const p = await client.createProducer({ topic });
    await p.send({ payload: Buffer.from('raw') });
    expect(await client.getSchema(topic)).toBeUndefined();
    await p.close();
  });

  it('an incompatible schema is refused with a typed error', async () => {
    const topic = uniqueTopic('incompat');
    const p = await client.createProducer({ topic, schema: { type: 'AVRO', schema: avsc } });
    await p.close();
    const other = JSON.stringify({ type: 'record', name: 'Ping', namespace: 'miso.test', fields: [{ name: 'id', type: 'int' }] });
    await expect(client.createProducer({ topic, schema: { type: 'AVRO', schema: other } })).rejects.toMatchObject({ name: 'IncompatibleSchemaError' });
  });
});

describe('bad input and unreachable brokers', () => {
  it('connection refused → BrokerUnreachableError with the next step, fast', async () => {
    const c = new PulsarClient({ serviceUrl: 'pulsar://127.0.0.1:1' });
    const started = Date.now();
    const err = await c.createProducer({ topic: uniqueTopic() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerUnreachableError);
    expect((err as BrokerUnreachableError).message).toMatch(/127\.0\.0\.1:1.*refused/);
    expect((err as BrokerUnreachableError).hint).toMatch(/miso broker up/);
    expect(Date.now() - started).toBeLessThan(5000);
    await c.close();
  });

  it('bad URLs and topic names are usage/config errors', async () => {
    expect(() => new PulsarClient({ serviceUrl: 'http://x:6650' })).toThrow(/not a Pulsar service URL/);
    await expect(client.createProducer({ topic: 'a/b' })).rejects.toBeInstanceOf(UsageError);
    await expect(client.createReader({ topic: uniqueTopic(), start: 'yesterday' as never })).rejects.toBeInstanceOf(UsageError);
  });

  it('a message above the broker limit is refused before anything is sent', async () => {
    const topic = uniqueTopic('big');
    const p = await client.createProducer({ topic, batching: false });
    await expect(p.send({ payload: Buffer.alloc(6 * 1024 * 1024) })).rejects.toMatchObject({ name: 'MessageTooLargeError' });
    await p.send({ payload: Buffer.from('small') });
    const reader = await client.createReader({ topic, start: 'earliest' });
    expect((await readAll(reader)).map((m) => m.payload.toString())).toEqual(['small']);
    await reader.close();
    await p.close();
  });

  it('status reports connected, then closed', async () => {
    const c = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
    const states: string[] = [];
    c.status.on('status', (s) => states.push(s.state));
    expect(c.status.current.state).toBe('idle');
    const p = await c.createProducer({ topic: uniqueTopic() });
    await waitUntil(() => c.status.current.state === 'connected');
    await p.close();
    await c.close();
    expect(states[0]).toBe('connected');
    expect(states[states.length - 1]).toBe('closed');
  });
});
