/**
 * The exactly-once checks themselves: a duplicate that reaches a topic after the expected
 * count (a late redelivery, a resend that escaped deduplication) must fail them. Runs on the
 * shared broker in a tenant of its own, in seconds.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEnvelope, type AnyEnvelope } from '../../src/core/catalog/index.js';
import { Publisher } from '../../src/core/publisher.js';
import { topicName } from '../../src/core/topics.js';
import type { PulsarClient } from '../../src/pulsar/index.js';
import { freshScope, onceEach, readAllDecoded, readToEnd, readUntil, testClient } from '../integration/services/support.js';
import { ledger, readTopic, tally } from './books.js';

describe('exactly-once checks read each topic to its end', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  const expected: string[] = [];
  const sent: AnyEnvelope[] = [];

  beforeAll(async () => {
    scope = await freshScope('books');
    client = testClient();
    const pub = new Publisher(client, scope.cfg);
    try {
      for (let i = 0; i < 30; i++) {
        const env = newEnvelope('commission.calculated.v1', {
          commission_id: randomUUID(),
          tracking_event_id: randomUUID(),
          campaign_id: 'c',
          user_id: 'u',
          event_type: 'click',
          amount_minor: 25,
          currency: 'USD',
          rule: 'default.click',
          rate_bps: null,
        }) as AnyEnvelope;
        sent.push(env);
        expected.push(env.correlation_id);
        await pub.publish(env);
      }
    } finally {
      await pub.close();
    }
  });

  afterAll(async () => {
    await client?.close();
    await scope?.drop();
  });

  const topic = () => topicName(scope.cfg, 'commission-events');
  const faultBooks = async () =>
    ledger(
      expected,
      tally((await readTopic(client, topic(), 'commission-events')).events, (e) => e.correlationId),
    );
  const serviceBooks = async () =>
    onceEach(
      expected,
      (await readAllDecoded(client, scope.cfg, 'commission-events')).map((s) => s.env.correlation_id),
    );

  it('a clean topic balances, and a duplicate appended after the expected count fails both checks', async () => {
    expect(await faultBooks()).toMatchObject({ expected: 30, made: 30, lost: [], duplicates: 0, duplicateKeys: [], unexpected: 0 });
    expect(await serviceBooks()).toEqual({ missing: [], duplicated: [], unexpected: 0 });

    // The same event again, through another producer: broker deduplication cannot drop it,
    // as it could not drop a relay's resend under a new producer name.
    const late = sent[7]!;
    const again = new Publisher(client, scope.cfg);
    try {
      await again.publish(late);
    } finally {
      await again.close();
    }

    // A check that stops once it has the expected count never sees it …
    const stopsAtCount = await readUntil(client, scope.cfg, 'commission-events', (s) => s.length >= expected.length);
    expect(stopsAtCount).toHaveLength(30);
    // … these read to the broker's last message id and do.
    expect(await readToEnd(client, topic())).toHaveLength(31);
    expect(await faultBooks()).toMatchObject({ made: 30, lost: [], duplicates: 1, duplicateKeys: [late.correlation_id] });
    expect(await serviceBooks()).toEqual({ missing: [], duplicated: [late.correlation_id], unexpected: 0 });
  });

  it('an empty topic reads as empty, not as a timeout', async () => {
    expect(await readToEnd(client, topicName(scope.cfg, 'payment-events'))).toEqual([]);
  });
});
