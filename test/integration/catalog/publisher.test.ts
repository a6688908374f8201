import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher } from '../../../src/core/publisher.js';
import { decode, newEnvelope, topicName, PROPERTY, envelopeSchemaText, ValidationError } from '../../../src/core/catalog/index.js';
import { TEST_SERVICE_URL } from '../../support/env.js';
import { freshScope, countMessages } from './scope.js';
import { SAMPLES } from '../../unit/catalog/samples.js';

let scope: Awaited<ReturnType<typeof freshScope>>;
let client: PulsarClient;

beforeAll(async () => {
  scope = await freshScope('pub');
  client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
});
afterAll(async () => {
  await client?.close();
  await scope?.drop();
});

describe('Publisher against the broker', () => {
  it('sends a command with key, properties, event time and the topic envelope schema', async () => {
    const pub = new Publisher(client, scope.cfg);
    const reader = await client.createReader({ topic: topicName(scope.cfg, 'campaign-commands'), start: 'earliest' });
    const sent = await pub.sendCommand('campaign.create', { user_id: 'user123', name: 'My Campaign' });
    const m = (await reader.readNext(10_000))!;
    expect(m).toBeDefined();
    expect(m.messageId.toString()).toBe(sent.messageId);
    const env = decode('campaign-commands', m.payload);
    expect(env).toEqual(sent.envelope);
    expect(env.type).toBe('campaign.create.command.v1');
    expect(m.key).toBe((env.payload as { campaign_id: string }).campaign_id);
    expect(m.properties).toEqual({ [PROPERTY.type]: env.type, [PROPERTY.id]: env.id, [PROPERTY.correlationId]: env.id });
    expect(m.eventTime).toBe(env.timestamp);
    expect(sent.correlationId).toBe(env.id);
    const registered = await scope.admin.getSchema(topicName(scope.cfg, 'campaign-commands'));
    expect(registered?.data).toBe(envelopeSchemaText('campaign-commands'));
    await reader.close();
    await pub.close();
  });

  it('refuses an invalid payload before anything is sent', async () => {
    const pub = new Publisher(client, scope.cfg);
    await expect(pub.sendCommand('payment.process', { ...SAMPLES['payment.process.command.v1'], amount_minor: 'ten' })).rejects.toThrow(ValidationError);
    expect(await countMessages(client, topicName(scope.cfg, 'payment-commands'))).toBe(0);
    await pub.close();
  });

  it('with a stable producer name and explicit sequence ids, a resend is dropped by the broker', async () => {
    const name = `outbox-${Date.now()}`;
    const env = newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1']);
    const pub1 = new Publisher(client, scope.cfg, { producerName: name });
    const first = await pub1.publish(env, { sequenceId: 7n });
    expect(first.duplicate).toBe(false);
    await pub1.close();
    const pub2 = new Publisher(client, scope.cfg, { producerName: name });
    expect(await pub2.lastSequenceId('payment-events')).toBe(7n);
    const again = await pub2.publish(env, { sequenceId: 7n });
    expect(again.duplicate).toBe(true);
    const next = await pub2.publish(newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1']), { sequenceId: 8n });
    expect(next.duplicate).toBe(false);
    await pub2.close();
    const reader = await client.createReader({ topic: topicName(scope.cfg, 'payment-events'), start: 'earliest' });
    const ids: string[] = [];
    while (await reader.hasMessageAvailable()) ids.push(decode('payment-events', (await reader.readNext(5000))!.payload).id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(env.id);
    await reader.close();
  });

  it('publishes a rejection on the event topic of the service that refused the command', async () => {
    const pub = new Publisher(client, scope.cfg);
    const rej = newEnvelope('command.rejected.v1', SAMPLES['command.rejected.v1']);
    const sent = await pub.publish(rej, { publisher: 'tracking' });
    expect(sent.topic).toBe(topicName(scope.cfg, 'tracking-events'));
    await pub.close();
  });
});
