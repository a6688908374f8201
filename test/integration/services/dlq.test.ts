import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { findDeadLetter, listDeadLetters, replayDeadLetters, DLQ_PROPS } from '../../../src/core/dlq.js';
import { topicName } from '../../../src/core/topics.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { waitUntil } from '../../support/env.js';
import { countMessages, freshScope, getJson, outboxesDrained, postJson, readAllDecoded, readUntil, testClient } from './support.js';

/** Dead letters written by the services, listed, found and replayed back through the chain. */
describe('dead letters', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  let running: RunningServices;
  const url = (svc: string) => running.hosts.find((h) => h.def.name === svc)!.url!;

  beforeAll(async () => {
    scope = await freshScope('svc-dlq');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    running = await startServices({
      cfg: scope.cfg,
      client,
      services: ['campaign', 'payment'],
      mode: 'hybrid',
      dataDir: scope.dataDir,
      ports: { campaign: 0, payment: 0 },
      nackDelayMs: 50,
      payoutFailureRate: 1,
    });
  });

  afterAll(async () => {
    await running?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('lists what was dead-lettered, why, from where, after how many redeliveries; replays it', async () => {
    // A payment that keeps failing: tried 1 + 3 times, then dead-lettered with the last error.
    const payment = await pub.sendCommand('payment.process', { commission_id: 'k-dlq', user_id: 'u', amount_minor: 700, idempotency_key: 'k-dlq' });
    // Bytes that are not a message at all.
    const raw = await client.createProducer({ topic: topicName(scope.cfg, 'campaign-commands') });
    const poisonId = await raw.send({ payload: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
    await raw.close();

    const letters = await waitUntil(
      async () => {
        const l = await listDeadLetters(client, scope.cfg);
        return l.length >= 2 ? l : undefined;
      },
      { timeoutMs: 20_000, what: 'two dead letters' },
    );
    const paymentDl = letters.find((d) => d.service === 'payment')!;
    const poisonDl = letters.find((d) => d.service === 'campaign')!;
    expect(paymentDl).toMatchObject({
      originTopic: topicName(scope.cfg, 'payment-commands'),
      redeliveryCount: 3,
      envelope: { id: payment.id, correlation_id: payment.correlationId, type: 'payment.process.command.v1' },
    });
    expect(paymentDl.lastError).toMatch(/failed 4 times; last error: payout provider/);
    expect(poisonDl).toMatchObject({ originMessageId: poisonId.toString(), envelope: undefined, redeliveryCount: 0 });
    expect(poisonDl.lastError).toMatch(/cannot decode/);
    expect(poisonDl.decodeError).toBeTruthy();

    expect(findDeadLetter(letters, payment.id.slice(0, 8)).id).toBe(paymentDl.id);
    expect(findDeadLetter(letters, paymentDl.id).id).toBe(paymentDl.id);
    expect(() => findDeadLetter(letters, 'nothing-like-it')).toThrow(/no dead letter/);
    expect((await listDeadLetters(client, scope.cfg, { services: ['payment'] })).map((d) => d.id)).toEqual([paymentDl.id]);

    // Dry run: nothing sent.
    const before = await countMessages(client, topicName(scope.cfg, 'payment-commands'));
    const dry = await replayDeadLetters(client, scope.cfg, [paymentDl], { dryRun: true });
    expect(dry).toEqual([expect.objectContaining({ id: paymentDl.id, messageId: undefined, to: topicName(scope.cfg, 'payment-commands') })]);
    expect(await countMessages(client, topicName(scope.cfg, 'payment-commands'))).toBe(before);

    // The provider recovers; the replay goes through and keeps the workflow.
    expect((await postJson(`${url('payment')}/provider/failures`, { failure_rate: 0 })).status).toBe(200);
    const [replayed] = await replayDeadLetters(client, scope.cfg, [paymentDl]);
    expect(replayed!.messageId).toBeTruthy();
    const paid = await readUntil(client, scope.cfg, 'payment-events', (s) => s.some((m) => m.env.correlation_id === payment.correlationId));
    expect(paid.find((m) => m.env.correlation_id === payment.correlationId)!.env).toMatchObject({
      causation_id: payment.id,
      payload: { status: 'paid', commission_id: 'k-dlq' },
    });
    const onTopic = await readUntil(client, scope.cfg, 'payment-commands', (s) => s.filter((m) => m.env.id === payment.id).length >= 2);
    const copy = onTopic.filter((m) => m.env.id === payment.id)[1]!;
    expect(copy.msg.properties[DLQ_PROPS.replayedFrom]).toContain(paymentDl.id);
    expect(copy.msg.properties[DLQ_PROPS.reason]).toBeUndefined();

    // A second replay of the same dead letter changes nothing: the command id was handled.
    await replayDeadLetters(client, scope.cfg, [paymentDl]);
    await waitUntil(async () =>
      /miso_messages_duplicate_total\{service="payment",type="payment.process.command.v1"\} 1/.test((await getJson(`${url('payment')}/metrics`)).body),
    );
    expect((await getJson(`${url('payment')}/payments?commission_id=k-dlq`)).body.payments).toHaveLength(1);
    await outboxesDrained([url('payment')]);
    const processed = (await readAllDecoded(client, scope.cfg, 'payment-events')).filter((m) => m.env.correlation_id === payment.correlationId);
    expect(processed.map((m) => m.env.type)).toEqual(['payment.processed.v1']);
  });

  it('recreates its dead-letter topic when the broker has deleted it as inactive', async () => {
    const { AdminClient } = await import('../../../src/pulsar/admin.js');
    const { deadLetterTopicOf } = await import('../../../src/core/dlq.js');
    const admin = new AdminClient(scope.cfg);
    const dlq = deadLetterTopicOf(scope.cfg, 'commission');
    await admin.deleteTopic(dlq, { force: true });
    expect(await admin.topics({ tenant: scope.cfg.tenant, namespace: 'ns' })).not.toContain(dlq);
    const commission = await startServices({
      cfg: scope.cfg,
      client,
      services: ['commission'],
      db: `${scope.dataDir}/commission-recreate.db`,
      ports: { commission: 0 },
    });
    try {
      expect(await admin.topics({ tenant: scope.cfg.tenant, namespace: 'ns' })).toContain(dlq);
      const raw = await client.createProducer({ topic: topicName(scope.cfg, 'commission-commands') });
      await raw.send({ payload: Buffer.from('not avro') });
      await raw.close();
      await waitUntil(async () => (await listDeadLetters(client, scope.cfg, { services: ['commission'] })).length === 1, {
        what: 'the poison message in the recreated topic',
      });
    } finally {
      await commission.stop();
    }
  });

  it('recreates an event topic the broker deleted while no service used it', async () => {
    const { AdminClient } = await import('../../../src/pulsar/admin.js');
    const admin = new AdminClient(scope.cfg);
    const events = topicName(scope.cfg, 'commission-events');
    await admin.deleteTopic(events, { force: true }).catch(() => {});
    const commission = await startServices({
      cfg: scope.cfg,
      client,
      services: ['commission'],
      db: `${scope.dataDir}/commission-events.db`,
      ports: { commission: 0 },
    });
    try {
      expect(await admin.topics({ tenant: scope.cfg.tenant, namespace: 'ns' })).toContain(events);
    } finally {
      await commission.stop();
    }
  });
});
