/**
 * A steady producer and consumer on one topic of the test cluster, and what they saw: every
 * receipt and delivery time, so a test can say how long a move stalled them and whether
 * anything was lost or doubled.
 */
import { lookupOwner, unload, type UnloadResult } from '../../../src/broker/drills.js';
import { PulsarClient, type Consumer, type Message, type Producer } from '../../../src/pulsar/index.js';
import { waitUntil } from '../../support/env.js';
import type { TestCluster } from '../../support/cluster.js';

export async function ownerOf(tc: TestCluster, topic: string): Promise<string> {
  return lookupOwner(tc.adminUrls, topic);
}

/**
 * Keep what was consumed in public/default: without retention a broker deletes a fully
 * acknowledged ledger when the topic rolls to a new one (every move does), and the read-back
 * that proves nothing was lost would find nothing.
 */
export async function keepConsumedData(tc: TestCluster): Promise<void> {
  const res = await fetch(`${tc.adminUrls[0]}/admin/v2/namespaces/public/default/retention`, {
    method: 'POST',
    redirect: 'follow',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ retentionTimeInMinutes: 60, retentionSizeInMB: 512 }),
  });
  if (!res.ok) throw new Error(`setting retention failed: HTTP ${res.status}`);
}

/** Unload the topic; with `to`, its bundle goes to that broker (`broker-2`) so the topic really moves. */
export async function unloadTopic(tc: TestCluster, topic: string, to?: string): Promise<UnloadResult> {
  return unload({ adminUrl: tc.adminUrls[0]!, tenant: 'public', namespace: 'default', token: undefined }, tc.state, topic, to);
}

export interface SteadyRun {
  client: PulsarClient;
  producer: Producer;
  consumer: Consumer;
  log: string[];
  /** When each send resolved (ms since epoch), by message index. */
  sentAt: number[];
  /** When each message index was first delivered. */
  deliveredAt: Map<number, number>;
  /** Deliveries of an index already delivered before (redeliveries). */
  redelivered: number;
  /** Start sending `n` messages, one every `intervalMs`; resolves when all are confirmed. */
  send(n: number, intervalMs: number, onIndex?: (i: number) => void | Promise<void>): Promise<void>;
  /** Resolves once `n` distinct messages were delivered and acknowledged. */
  consumed(n: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function steadyRun(serviceUrl: string, topic: string, name: string): Promise<SteadyRun> {
  const log: string[] = [];
  // A short ceiling on the reconnect backoff: after a kill the topic is ownerless for about the
  // metadata session timeout (5 s), and the first attempt after that should not wait long.
  const client = new PulsarClient({ serviceUrl, operationTimeoutMs: 30_000, log: (l) => log.push(`${new Date().toISOString()} ${l}`) });
  const producer = await client.createProducer({ topic, producerName: name, batching: { maxMessages: 10, maxDelayMs: 2 }, sendTimeoutMs: 120_000 });
  const consumer = await client.subscribe({ topic, subscription: `${name}-sub`, type: 'Shared', initialPosition: 'earliest' });
  const sentAt: number[] = [];
  const deliveredAt = new Map<number, number>();
  const run: SteadyRun = {
    client,
    producer,
    consumer,
    log,
    sentAt,
    deliveredAt,
    redelivered: 0,
    async send(n, intervalMs, onIndex) {
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        sends.push(
          producer.send({ payload: Buffer.from(`m-${i}`), properties: { i: String(i) } }).then(() => {
            sentAt[i] = Date.now();
          }),
        );
        await onIndex?.(i);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      await Promise.all(sends);
    },
    async consumed(n, timeoutMs) {
      await waitUntil(() => deliveredAt.size >= n, { timeoutMs, intervalMs: 100, what: `${n} deliveries (have ${deliveredAt.size})` });
    },
    async close() {
      stop = true;
      await client.close();
    },
  };
  let stop = false;
  void (async () => {
    while (!stop) {
      const m: Message | undefined = await consumer.receive(500).catch(() => undefined);
      if (!m) continue;
      const i = Number(m.properties.i);
      if (deliveredAt.has(i)) run.redelivered++;
      else deliveredAt.set(i, Date.now());
      await consumer.ack(m).catch(() => {});
    }
  })();
  return run;
}

/** The longest pause between consecutive events at or after `from` (ms): how long a move stalled them. */
export function longestGap(times: number[], from: number): number {
  const sorted = times.filter((t) => t >= from - 2000).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i]! - sorted[i - 1]!);
  return gap;
}

/** Read the whole topic back: each payload index in stored order. */
export async function storedIndexes(serviceUrl: string, topic: string): Promise<number[]> {
  const client = new PulsarClient({ serviceUrl });
  try {
    const reader = await client.createReader({ topic, start: 'earliest' });
    const out: number[] = [];
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(10_000);
      if (!m) break;
      out.push(Number(m.properties.i));
    }
    return out;
  } finally {
    await client.close();
  }
}
