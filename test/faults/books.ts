/**
 * Checking the books after a run: what the topics, the service databases and the payout
 * provider's ledger say happened to every workflow that was sent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { decode, type TopicShortName } from '../../src/core/catalog/index.js';
import { DLQ_PROPS } from '../../src/core/dlq.js';
import { COMMAND_TOPICS, deadLetterTopic, serviceSubscription, topicName, type TopicScope } from '../../src/core/topics.js';
import type { AdminClient } from '../../src/pulsar/admin.js';
import type { Message, PulsarClient } from '../../src/pulsar/index.js';
import { readToEnd } from '../integration/services/support.js';

export interface SeenEvent {
  type: string;
  correlationId: string;
  payload: Record<string, unknown>;
  publishTime: number;
}

/**
 * Every message of a topic from the start to its end (the broker's last message id, see
 * readToEnd), decoded when it can be. A duplicate anywhere on the topic is in what this returns.
 */
export async function readTopic(
  client: PulsarClient,
  full: string,
  short?: TopicShortName,
  opts: { adminUrl?: string } = {},
): Promise<{ events: SeenEvent[]; raw: Message[]; undecodable: number }> {
  const raw = await readToEnd(client, full, { ...opts, timeoutMs: 60_000 });
  const events: SeenEvent[] = [];
  let undecodable = 0;
  if (short) {
    for (const m of raw) {
      try {
        let writer: string | undefined;
        if (m.schemaVersion) writer = (await client.getSchema(full, m.schemaVersion))?.schema;
        const env = decode(short, m.payload, writer);
        events.push({
          type: env.type,
          correlationId: env.correlation_id,
          payload: env.payload as unknown as Record<string, unknown>,
          publishTime: m.publishTime,
        });
      } catch {
        undecodable++;
      }
    }
  }
  return { events, raw, undecodable };
}

/** How many times each key occurs. */
export function tally<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const it of items) out.set(key(it), (out.get(key(it)) ?? 0) + 1);
  return out;
}

export interface Ledger {
  /** Expected keys (correlation ids) against how many times each was seen. */
  expected: number;
  made: number;
  lost: string[];
  /** Extra copies of something that happened (count - 1 per key). */
  duplicates: number;
  duplicateKeys: string[];
  /** Seen for a key nobody sent. */
  unexpected: number;
}

export function ledger(expected: readonly string[], seen: Map<string, number>): Ledger {
  const want = new Set(expected);
  let made = 0;
  let duplicates = 0;
  let unexpected = 0;
  const lost: string[] = [];
  const duplicateKeys: string[] = [];
  for (const k of want) {
    const n = seen.get(k) ?? 0;
    if (n === 0) lost.push(k);
    else made++;
    if (n > 1) {
      duplicates += n - 1;
      duplicateKeys.push(k);
    }
  }
  for (const [k, n] of seen) if (!want.has(k)) unexpected += n;
  return { expected: want.size, made, lost, duplicates, duplicateKeys, unexpected };
}

/** Rows per key in a service database or the payout ledger. */
export function dbCounts(file: string, sql: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(file)) return out;
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    for (const row of db.prepare(sql).all() as { k: string; n: number }[]) out.set(row.k, row.n);
  } finally {
    db.close();
  }
  return out;
}

export interface Backlog {
  topic: string;
  subscription: string;
  backlog: number;
  unacked: number;
}

/** Backlog and unacknowledged messages of every service subscription. */
export async function subscriptionBacklogs(admin: AdminClient, scope: TopicScope): Promise<Backlog[]> {
  const subs: { short: string; sub: string }[] = [
    ...COMMAND_TOPICS.map((t) => ({ short: t as string, sub: serviceSubscription(t.replace('-commands', '') as never) })),
    // Tracking keeps its own view of campaigns.
    { short: 'campaign-events', sub: serviceSubscription('tracking') },
  ];
  const out: Backlog[] = [];
  for (const { short, sub } of subs) {
    const topic = topicName(scope, short);
    const stats = await admin.topicStats(topic);
    const s = stats.subscriptions[sub];
    out.push({ topic: short, subscription: sub, backlog: s?.msgBacklog ?? -1, unacked: s?.unackedMessages ?? -1 });
  }
  return out;
}

export interface DeadLetterSeen {
  topic: string;
  originTopic: string;
  reason: string;
  service: string;
  properties: Record<string, string>;
  payload: Buffer;
}

export async function deadLetters(client: PulsarClient, scope: TopicScope, opts: { adminUrl?: string } = {}): Promise<DeadLetterSeen[]> {
  const out: DeadLetterSeen[] = [];
  for (const short of COMMAND_TOPICS) {
    const service = short.replace('-commands', '');
    const dlq = deadLetterTopic(topicName(scope, short), serviceSubscription(service as never));
    const { raw } = await readTopic(client, dlq, undefined, opts);
    for (const m of raw) {
      out.push({
        topic: short,
        originTopic: m.properties[DLQ_PROPS.realTopic] ?? '',
        reason: m.properties[DLQ_PROPS.reason] ?? '',
        service: m.properties[DLQ_PROPS.service] ?? '',
        properties: m.properties,
        payload: m.payload,
      });
    }
  }
  return out;
}

export const PAYMENTS_BY_COMMISSION = 'SELECT commission_id AS k, COUNT(*) AS n FROM payments GROUP BY commission_id';
export const PAYOUTS_BY_KEY = 'SELECT idempotency_key AS k, COUNT(*) AS n FROM payouts GROUP BY idempotency_key';

export function paymentDbFiles(dataDir: string): { payments: string; ledger: string } {
  return { payments: join(dataDir, 'payment.db'), ledger: join(dataDir, 'payout-provider.db') };
}
