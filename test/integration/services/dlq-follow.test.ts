import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { ReplayFollower, deadLetterTopicOf, DLQ_PROPS } from '../../../src/core/dlq.js';
import { encode, newEnvelope, topicName, topicSchemaInfo, type AnyEnvelope } from '../../../src/core/catalog/index.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { freshScope, testClient } from './support.js';

/**
 * The four outcomes `dlq replay --wait` tells apart, each written on the real topics as a
 * service would write it: an event caused by the command, a rejection naming it, its copy on
 * the dead-letter topic, and nothing at all.
 */
describe('replay follower: handled, rejected again, dead-lettered again, still pending', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;

  beforeAll(async () => {
    scope = await freshScope('dlq-follow');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
  });

  afterAll(async () => {
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('reads each outcome off the topics, with the reason', async () => {
    const follower = await ReplayFollower.open(client, scope.cfg);
    const cmds = await Promise.all(
      [0, 1, 2, 3].map((i) => pub.sendCommand('payment.process', { commission_id: `k-f${i}`, user_id: 'u', amount_minor: 100, idempotency_key: `k-f${i}` })),
    );
    const sentAt = Date.now();
    const env = (i: number) => cmds[i]!.envelope;
    const following = follower.follow(
      cmds.map((c) => ({ commandId: c.id, correlationId: c.correlationId, sentAt })),
      { timeoutMs: 4000 },
    );

    await pub.publish(
      newEnvelope(
        'payment.processed.v1',
        {
          payment_id: 'p0',
          commission_id: 'k-f0',
          user_id: 'u',
          amount_minor: 100,
          currency: 'USD',
          status: 'paid',
          provider_reference: 'po_1',
          idempotency_key: 'k-f0',
          failure_reason: null,
        },
        { causedBy: env(0) },
      ),
    );
    await pub.publish(
      newEnvelope(
        'command.rejected.v1',
        {
          command_id: env(1).id,
          command_type: env(1).type,
          aggregate_id: 'k-f1',
          reason_code: 'ALREADY_PAID',
          message: 'commission k-f1 was paid already',
          field_errors: [],
        },
        { causedBy: env(1) },
      ),
      { publisher: 'payment' },
    );
    const dlq = await client.createProducer({ topic: deadLetterTopicOf(scope.cfg, 'payment'), schema: topicSchemaInfo('payment-commands') });
    await dlq.send({
      payload: encode('payment-commands', env(2) as AnyEnvelope),
      properties: {
        type: env(2).type,
        id: env(2).id,
        correlation_id: env(2).correlation_id,
        [DLQ_PROPS.realTopic]: topicName(scope.cfg, 'payment-commands'),
        [DLQ_PROPS.reason]: 'failed 4 times; last error: payout provider unavailable (simulated)',
      },
    });
    await dlq.close();

    const outcomes = await following;
    await follower.close();
    expect(outcomes.map((o) => o.outcome)).toEqual(['handled', 'rejected', 'dead-lettered', 'pending']);
    expect(outcomes[0]).toMatchObject({ commandId: cmds[0]!.id, answeredBy: 'payment.processed.v1' });
    expect(outcomes[1]!.reason).toBe('ALREADY_PAID: commission k-f1 was paid already');
    expect(outcomes[2]!.reason).toMatch(/payout provider unavailable/);
    expect(outcomes[3]).toEqual({ commandId: cmds[3]!.id, correlationId: cmds[3]!.correlationId, outcome: 'pending' });
  }, 30_000);
});
