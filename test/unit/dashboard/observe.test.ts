import { describe, expect, it } from 'vitest';
import { observe, watchClientStatus, watchedTopics, type WatchedTopic } from '../../../src/core/monitor.js';
import { StatusStream } from '../../../src/pulsar/status.js';
import { encode, newEnvelope, messageProperties, envelopeSchemaText } from '../../../src/core/catalog/index.js';

const topic = (short: string, role: WatchedTopic['role'], service: WatchedTopic['service']): WatchedTopic => ({
  short,
  name: `persistent://t/ns/${short}`,
  role,
  service,
});
const raw = (payload: Buffer, properties: Record<string, string> = {}) => ({
  messageId: { toString: () => '7:3:-1:-1' },
  payload,
  properties,
  publishTime: 1_700_000_000_500,
});

describe('observe', () => {
  it('decodes a command through the catalog', () => {
    const env = newEnvelope(
      'campaign.create.command.v1',
      { campaign_id: 'c-1', user_id: 'u-1', name: 'Summer sale', budget_minor: 250000, currency: 'EUR' },
      { timestamp: 1_700_000_000_000 },
    );
    const m = observe(topic('campaign-commands', 'commands', 'campaign'), raw(encode('campaign-commands', env), messageProperties(env)));
    expect(m).toMatchObject({
      topic: 'campaign-commands',
      kind: 'command',
      type: 'campaign.create.command.v1',
      id: env.id,
      correlationId: env.id,
      causationId: undefined,
      timestamp: 1_700_000_000_000,
      publishTime: 1_700_000_000_500,
      messageId: '7:3:-1:-1',
      service: 'campaign',
    });
    expect(m.payload).toMatchObject({ name: 'Summer sale', budget_minor: 250000 });
  });

  it('marks a rejection and gives its reason', () => {
    const cmd = newEnvelope('payment.process.command.v1', {
      payment_id: 'p',
      commission_id: 'c',
      user_id: 'u',
      amount_minor: -5,
      currency: 'USD',
      idempotency_key: 'k',
    } as never);
    const env = newEnvelope(
      'command.rejected.v1',
      { command_id: cmd.id, command_type: cmd.type, reason_code: 'validation_failed', message: 'amount must be positive' },
      { causedBy: cmd },
    );
    const m = observe(topic('payment-events', 'events', 'payment'), raw(encode('payment-events', env)));
    expect(m.kind).toBe('rejection');
    expect(m.causationId).toBe(cmd.id);
    expect(m.correlationId).toBe(cmd.correlation_id);
    expect(m.reason).toBe('validation_failed: amount must be positive');
  });

  it('decodes a dead letter as the command it carries, from its origin topic', () => {
    const env = newEnvelope('tracking.create_event.command.v1', {
      tracking_event_id: 'te',
      event_type: 'view',
      campaign_id: 'c',
      video_id: 'v',
      visitor_id: 'x',
    } as never);
    const m = observe(
      topic('tracking-commands-tracking-service-DLQ', 'dead-letter', 'tracking'),
      raw(encode('tracking-commands', env), {
        ...messageProperties(env),
        REAL_TOPIC: 'persistent://t/ns/tracking-commands',
        ORIGIN_MESSAGE_ID: '5:1:-1:-1',
        last_error: 'database locked',
      }),
    );
    expect(m).toMatchObject({ kind: 'dead-letter', type: 'tracking.create_event.command.v1', id: env.id, role: 'dead-letter' });
    expect(m.reason).toBe('dead-lettered from tracking-commands: database locked');
  });

  it('decodes with the writer schema when one is given', () => {
    const env = newEnvelope('campaign.created.v1', { campaign_id: 'c', user_id: 'u', name: 'N' } as never);
    const bytes = encode('campaign-events', env);
    const m = observe(topic('campaign-events', 'events', 'campaign'), raw(bytes), envelopeSchemaText('campaign-events'));
    expect(m.kind).toBe('event');
    expect(m.type).toBe('campaign.created.v1');
  });

  it('turns bytes that do not decode into an undecodable message, keeping what the properties say', () => {
    const m = observe(
      topic('campaign-commands', 'commands', 'campaign'),
      raw(Buffer.from('not avro at all'), { type: 'campaign.create.command.v1', id: 'i-1', correlation_id: 'wf-9' }),
    );
    expect(m.kind).toBe('undecodable');
    expect(m.type).toBe('campaign.create.command.v1');
    expect(m.correlationId).toBe('wf-9');
    expect(m.reason).toMatch(/^undecodable on campaign-commands \(15 bytes\): /);
    const bare = observe(topic('campaign-commands', 'commands', 'campaign'), raw(Buffer.alloc(0)));
    expect(bare).toMatchObject({ kind: 'undecodable', type: '?', correlationId: '', id: '7:3:-1:-1' });
  });
});

describe('monitor helpers', () => {
  it('watches the eight topics and the four dead-letter topics of a namespace', () => {
    const topics = watchedTopics({ tenant: 't1', namespace: 'n1' });
    expect(topics).toHaveLength(12);
    expect(topics.filter((t) => t.role === 'dead-letter').map((t) => t.name)).toContain('persistent://t1/n1/payment-commands-payment-service-DLQ');
    expect(topics.find((t) => t.short === 'commission-events')).toMatchObject({ role: 'events', service: 'commission' });
  });

  it('turns the client status stream into the broker link state', () => {
    const status = new StatusStream();
    const seen: string[] = [];
    const stop = watchClientStatus(status)((state, detail) => seen.push(detail ? `${state}: ${detail}` : state));
    expect(seen).toEqual([]); // idle: nothing to say until a reader connects
    status.emit({ state: 'connected' });
    status.emit({ state: 'disconnected', error: new Error('connection reset\nstack…') });
    status.emit({ state: 'reconnecting', attempt: 1 });
    stop();
    status.emit({ state: 'connected' });
    expect(seen).toEqual(['connected', 'disconnected: connection reset', 'reconnecting']);
  });
});
