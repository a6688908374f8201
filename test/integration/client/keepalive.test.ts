import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient, type ConnectionStatus } from '../../../src/pulsar/index.js';
import { TEST_SERVICE_URL, uniqueTopic, waitUntil } from '../../support/env.js';

/**
 * A TCP relay in front of the broker whose existing connections can be frozen: bytes stop
 * flowing but the sockets stay open, like a peer that died without a FIN.
 */
function relay(target: { host: string; port: number }) {
  const live = new Set<{ frozen: boolean; a: net.Socket; b: net.Socket }>();
  const server = net.createServer((a) => {
    const b = net.connect(target);
    const pair = { frozen: false, a, b };
    live.add(pair);
    a.on('data', (d) => !pair.frozen && b.write(d));
    b.on('data', (d) => !pair.frozen && a.write(d));
    const end = () => {
      a.destroy();
      b.destroy();
      live.delete(pair);
    };
    a.on('close', end).on('error', end);
    b.on('close', end).on('error', end);
  });
  return {
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port))),
    freezeAll: () => live.forEach((p) => (p.frozen = true)),
    /** Cut every connection at once (RST), like a network failure. */
    dropAll: () => live.forEach((p) => (p.a.destroy(), p.b.destroy())),
    get connections() {
      return live.size;
    },
    close: () => {
      live.forEach((p) => (p.a.destroy(), p.b.destroy()));
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('keep-alive', () => {
  const [host, port] = TEST_SERVICE_URL.replace('pulsar://', '').split(':') as [string, string];
  const r = relay({ host, port: Number(port) });
  let serviceUrl: string;
  beforeAll(async () => {
    serviceUrl = `pulsar://127.0.0.1:${await r.listen()}`;
  });
  afterAll(() => r.close());

  it('detects a silent dead connection by missing pongs, reconnects, and the producer carries on', async () => {
    const statuses: ConnectionStatus[] = [];
    const client = new PulsarClient({ serviceUrl, keepAliveIntervalMs: 300, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    client.status.on('status', (s) => statuses.push(s));
    const topic = uniqueTopic('keepalive');
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send({ payload: Buffer.from('before') });
    const before = Date.now();
    r.freezeAll();
    await waitUntil(() => statuses.some((s) => s.state === 'disconnected'), { timeoutMs: 5000, what: 'dead connection detected' });
    const detectedIn = Date.now() - before;
    // Two silent keep-alive intervals, give or take the check period.
    expect(detectedIn).toBeGreaterThanOrEqual(500);
    expect(detectedIn).toBeLessThan(3000);
    const id = await producer.send({ payload: Buffer.from('after') });
    expect(id.entryId).toBeGreaterThanOrEqual(0n);
    expect(statuses.map((s) => s.state)).toContain('reconnecting');
    await waitUntil(() => client.status.current.state === 'connected');
    const reader = await client.createReader({ topic, start: 'earliest' });
    const got: string[] = [];
    while (await reader.hasMessageAvailable()) got.push((await reader.readNext(5000))!.payload.toString());
    expect(got).toEqual(['before', 'after']);
    await client.close();
  });

  it('a reader that keeps reading its queue while disconnected resumes after the last message it took', async () => {
    const client = new PulsarClient({ serviceUrl, reconnect: { initialDelayMs: 300, maxDelayMs: 300 } });
    const topic = uniqueTopic('resume');
    const producer = await client.createProducer({ topic, batching: { maxMessages: 7, maxDelayMs: 5 } });
    await Promise.all(Array.from({ length: 300 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })));
    const reader = await client.createReader({ topic, start: 'earliest', receiverQueueSize: 100 });
    const got: string[] = [];
    for (let i = 0; i < 10; i++) got.push((await reader.readNext(5000))!.payload.toString());
    r.dropAll();
    const impl = reader as unknown as { consumer: { isConnected: boolean } };
    await waitUntil(() => !impl.consumer.isConnected, { what: 'the loss noticed' });
    // During the reconnect backoff the queue still holds messages; take them.
    while (got.length < 300) {
      const m = await reader.readNext(10_000);
      if (!m) break;
      got.push(m.payload.toString());
    }
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    // Once resubscribed, nothing it already took comes again.
    await waitUntil(() => impl.consumer.isConnected, { what: 'reader resubscribed' });
    expect(await reader.readNext(1000)).toBeUndefined();
    await client.close();
  });

  it('a message the broker never confirms fails with a send timeout, not a hang', async () => {
    const client = new PulsarClient({ serviceUrl, keepAliveIntervalMs: 60_000 });
    const producer = await client.createProducer({ topic: uniqueTopic('sendtimeout'), batching: false, sendTimeoutMs: 500 });
    await producer.send({ payload: Buffer.from('ok') });
    r.freezeAll();
    const started = Date.now();
    const err = await producer.send({ payload: Buffer.from('lost') }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('SendTimeoutError');
    expect((err as { retriable: boolean }).retriable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5000);
    await client.close();
  });
});
