import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { deadLetterTopic, serviceSubscription, topicName } from '../../../src/core/topics.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import { DLQ_PROPS } from '../../../src/core/dlq.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import type { ResolvedConfig } from '../../../src/config/index.js';
import { waitUntil } from '../../support/env.js';
import { freshScope, getJson, outboxesDrained, postJson, readAllDecoded, readRaw, readUntil, testClient } from './support.js';

/**
 * The four services in this process against the real broker, in a tenant of their own:
 * commands in, database state and events out. Payment runs in hybrid mode so the test can
 * tell its simulated provider to fail.
 */
describe('services against the broker', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let cfg: ResolvedConfig;
  let client: PulsarClient;
  let pub: Publisher;
  let chain: RunningServices;
  let payment: RunningServices;
  const url = (svc: string) => [...chain.hosts, ...payment.hosts].find((h) => h.def.name === svc)!.url!;
  const allUrls = () => ['campaign', 'tracking', 'commission', 'payment'].map(url);

  beforeAll(async () => {
    scope = await freshScope('svc-chain');
    cfg = scope.cfg;
    client = testClient();
    pub = new Publisher(client, cfg);
    const common = { cfg, client, dataDir: scope.dataDir, ports: { campaign: 0, tracking: 0, commission: 0, payment: 0 }, nackDelayMs: 100 };
    chain = await startServices({ ...common, services: ['campaign', 'tracking', 'commission'], mode: 'event' });
    payment = await startServices({ ...common, services: ['payment'], mode: 'hybrid' });
  });

  afterAll(async () => {
    await payment?.stop();
    await chain?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  async function campaignWithVideo(id: string): Promise<string> {
    const created = await pub.sendCommand('campaign.create', { campaign_id: id, user_id: `owner-${id}`, name: `Campaign ${id}` });
    const video = await pub.sendCommand(
      'campaign.add_video',
      { campaign_id: id, url: `https://videos.example/${id}`, title: 'Launch' },
      { correlationId: created.correlationId },
    );
    await readUntil(client, cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === video.id));
    // Tracking learns the video from campaign-events on its own subscription.
    await waitUntil(async () => (await getJson(`${url('tracking')}/health`)).body.stats.videos >= 1);
    return (video.envelope.payload as { video_id: string }).video_id;
  }

  it('campaign.create → campaign row and campaign.created.v1 with correlation and causation', async () => {
    const sent = await pub.sendCommand('campaign.create', { campaign_id: 'camp-1', user_id: 'u-1', name: 'First' });
    const seen = await readUntil(client, cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === sent.id));
    const ev = seen.find((m) => m.env.causation_id === sent.id)!;
    expect(ev.env).toMatchObject({
      type: 'campaign.created.v1',
      correlation_id: sent.correlationId,
      payload: { campaign_id: 'camp-1', name: 'First', user_id: 'u-1' },
    });
    expect(ev.msg.key).toBe('camp-1');
    expect(ev.msg.properties).toMatchObject({ type: 'campaign.created.v1', correlation_id: sent.correlationId, causation_id: sent.id });
    const host = chain.hosts.find((h) => h.def.name === 'campaign')!;
    expect(await host.store.read((r) => (r as { campaign(id: string): Promise<unknown> }).campaign('camp-1'))).toMatchObject({ name: 'First', userId: 'u-1' });
  });

  it('tracking → commission → payment: the whole chain in one workflow, each message naming its cause', async () => {
    const videoId = await campaignWithVideo('camp-chain');
    const sent = await pub.sendCommand('tracking.create_event', {
      event_type: 'conversion',
      campaign_id: 'camp-chain',
      video_id: videoId,
      visitor_id: 'visitor-1',
      sale_amount_minor: 12_345,
    });
    await readUntil(client, cfg, 'payment-events', (s) => s.some((m) => m.env.correlation_id === sent.correlationId));
    // Then every topic of the chain to its end: one message of this workflow on each, no late copy.
    await outboxesDrained(allUrls());
    const [paid, trackingEvents, commissionCmds, commissionEvents, paymentCmds] = await Promise.all(
      (['payment-events', 'tracking-events', 'commission-commands', 'commission-events', 'payment-commands'] as const).map((t) =>
        readAllDecoded(client, cfg, t),
      ),
    );
    const pick = (list: typeof paid | undefined) => list!.filter((m) => m.env.correlation_id === sent.correlationId).map((m) => m.env);
    for (const list of [paid, trackingEvents, commissionCmds, commissionEvents, paymentCmds]) expect(pick(list)).toHaveLength(1);
    const [payment] = pick(paid!);
    expect(payment).toMatchObject({ type: 'payment.processed.v1', payload: { status: 'paid', amount_minor: 1235, user_id: 'owner-camp-chain' } });

    // Walk the causation ids back to the tracking command.
    const [created] = pick(trackingEvents!);
    const [calc] = pick(commissionCmds!);
    const [calculated] = pick(commissionEvents!);
    const [process] = pick(paymentCmds!);
    expect(created!.causation_id).toBe(sent.id);
    expect(calc!.causation_id).toBe(created!.id);
    expect(calculated!.causation_id).toBe(calc!.id);
    expect(process!.causation_id).toBe(calculated!.id);
    expect(payment!.causation_id).toBe(process!.id);
  });

  it('an invalid command is acknowledged and answered with a rejection event', async () => {
    const sent = await pub.sendCommand('campaign.create', { campaign_id: 'camp-bad', user_id: 'u', name: '   ' });
    const seen = await readUntil(client, cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === sent.id));
    const rej = seen.find((m) => m.env.causation_id === sent.id)!.env;
    expect(rej).toMatchObject({
      type: 'command.rejected.v1',
      correlation_id: sent.correlationId,
      payload: { command_id: sent.id, reason_code: 'validation_failed', field_errors: [{ path: 'name', message: 'must not be empty' }] },
    });
    const metrics = (await getJson(`${url('campaign')}/metrics`)).body as string;
    expect(metrics).toMatch(/miso_messages_rejected_total\{reason="validation_failed",service="campaign",type="campaign.create.command.v1"\} 1/);
  });

  it('bytes that do not decode go to the dead-letter topic with the reason; the service carries on', async () => {
    const producer = await client.createProducer({ topic: topicName(cfg, 'tracking-commands') });
    const poison = await producer.send({ payload: Buffer.from('this is not an avro envelope'), properties: { type: 'tracking.create_event.command.v1' } });
    await producer.close();
    const dlq = deadLetterTopic(topicName(cfg, 'tracking-commands'), serviceSubscription('tracking'));
    const [dead] = await readRaw(client, dlq, (s) => s.length >= 1);
    expect(dead!.payload.toString()).toBe('this is not an avro envelope');
    expect(dead!.properties).toMatchObject({ REAL_TOPIC: topicName(cfg, 'tracking-commands'), ORIGIN_MESSAGE_ID: poison.toString() });
    expect(dead!.properties[DLQ_PROPS.reason]).toMatch(/cannot decode/);

    const health = await getJson(`${url('tracking')}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', broker_connected: true } });
    expect((await getJson(`${url('tracking')}/metrics`)).body).toMatch(/miso_messages_dead_lettered_total\{service="tracking",type="undecodable"\} 1/);
    // Still handling commands.
    const videoId = await campaignWithVideo('camp-after-poison');
    const sent = await pub.sendCommand('tracking.create_event', { event_type: 'view', campaign_id: 'camp-after-poison', video_id: videoId, visitor_id: 'v' });
    await readUntil(client, cfg, 'tracking-events', (s) => s.some((m) => m.env.causation_id === sent.id));
  });

  it('a transiently failing payout is retried and paid once', async () => {
    const set = await postJson(`${url('payment')}/provider/failures`, { fail_next: 2 });
    expect(set.status).toBe(200);
    const videoId = await campaignWithVideo('camp-flaky');
    const sent = await pub.sendCommand('tracking.create_event', { event_type: 'click', campaign_id: 'camp-flaky', video_id: videoId, visitor_id: 'v' });
    await readUntil(client, cfg, 'payment-events', (s) => s.some((m) => m.env.correlation_id === sent.correlationId));
    await outboxesDrained(allUrls());
    const ev = (await readAllDecoded(client, cfg, 'payment-events')).filter((m) => m.env.correlation_id === sent.correlationId);
    expect(ev).toHaveLength(1);
    const commissionId = (ev[0]!.env.payload as { commission_id: string }).commission_id;
    // The provider was asked three times (unavailable, answer lost, success) and paid once.
    const metrics = (await getJson(`${url('payment')}/metrics`)).body as string;
    expect(metrics).toMatch(/miso_messages_retried_total\{service="payment",type="payment.process.command.v1"\} 2/);
    const payments = await getJson(`${url('payment')}/payments?commission_id=${commissionId}`);
    expect(payments.body.payments).toHaveLength(1);
    const ledger = await getJson(`${url('payment')}/provider`);
    const all = await getJson(`${url('payment')}/payments?limit=1000`);
    expect(ledger.body.count).toBe(all.body.payments.filter((p: { status: string }) => p.status === 'paid').length);
  });
});
