import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher } from '../../../src/core/publisher.js';
import { createMonitor, type PulsarMonitor } from '../../../src/core/monitor.js';
import { encode, messageProperties, topicName } from '../../../src/core/catalog/index.js';
import { DashboardStore } from '../../../src/ui/dashboard/store.js';
import { freshScope } from '../catalog/scope.js';
import { waitUntil } from '../../support/env.js';
import { trackingChain } from './workflow.js';

/** The dashboard's data side against the real broker: readers, decoding, stats, shutdown. */
describe('PulsarMonitor on the real broker', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let publisher: Publisher;
  let monitor: PulsarMonitor;
  let store: DashboardStore;

  beforeAll(async () => {
    scope = await freshScope('dash');
    client = new PulsarClient({ serviceUrl: scope.cfg.serviceUrl });
    publisher = new Publisher(client, scope.cfg);
    monitor = createMonitor(scope.cfg, { statsIntervalMs: 500 });
    store = new DashboardStore(monitor.info, monitor.topics);
    await monitor.start(store);
    await waitUntil(() => store.connectionView().admin === 'ok' && store.lastStatsAt !== undefined, { what: 'the first stats poll' });
  });

  afterAll(async () => {
    await monitor?.close();
    await publisher?.close();
    await client?.close();
    await scope?.drop();
  });

  it('watches the eight topics and the four dead-letter topics, all present after init', () => {
    expect(monitor.topics.map((t) => t.short)).toHaveLength(12);
    const rows = store.topicRows();
    expect(
      rows
        .filter((r) => r.exists === true)
        .map((r) => r.short)
        .sort(),
    ).toEqual(monitor.topics.map((t) => t.short).sort());
  });

  it('follows a workflow through its stages as its messages are published', async () => {
    // Readers start at "latest": wait until each has subscribed (its reader subscription shows in the stats).
    await waitUntil(() => store.topicRows().length === 12 && readersUp(), { what: 'readers subscribed' });
    const steps = trackingChain();
    const cid = steps[0]!.env.correlation_id;
    const seen: string[] = [];
    for (const step of steps) {
      await publisher.publish(step.env, { topic: step.topic });
      await waitUntil(() => store.workflowMessages(cid).some((m) => m.id === step.env.id), { what: `${step.env.type} on the dashboard` });
      const w = store.workflow(cid)!;
      seen.push(`${w.status}:${w.stages.map((s) => s.status[0]).join('')}`);
    }
    expect(seen).toEqual(['in-flight:npnn', 'done:ndnn', 'in-flight:ndpn', 'done:nddn', 'in-flight:nddp', 'done:nddd']);
    const msgs = store.workflowMessages(cid);
    expect(msgs.map((m) => m.kind)).toEqual(['command', 'event', 'command', 'event', 'command', 'event']);
    expect(msgs[3]).toMatchObject({ topic: 'commission-events', type: 'commission.calculated.v1', causationId: steps[2]!.env.id });
    expect(msgs.every((m) => m.publishTime > 0 && /^\d+:\d+:-1:-1$/.test(m.messageId))).toBe(true);
    expect(store.topicRows().find((r) => r.short === 'payment-events')!.seen).toBe(1);
  });

  it('marks rejections and dead letters as failures', async () => {
    const rejected = trackingChain({ reject: true });
    for (const step of rejected) await publisher.publish(step.env, { topic: step.topic });
    const cid = rejected[0]!.env.correlation_id;
    await waitUntil(() => store.workflow(cid)?.status === 'failed', { what: 'the rejected workflow' });
    expect(store.workflow(cid)!.failure).toBe('payment: validation_failed: payout account missing');

    // A dead letter as the client's dead-letter policy writes it: the command's bytes plus origin properties.
    const [cmd] = trackingChain();
    const dlq = monitor.topics.find((t) => t.role === 'dead-letter' && t.service === 'tracking')!;
    const producer = await client.createProducer({ topic: dlq.name });
    await publisher.publish(cmd!.env, { topic: cmd!.topic });
    await producer.send({
      payload: encode('tracking-commands', cmd!.env),
      properties: { ...messageProperties(cmd!.env), REAL_TOPIC: topicName(scope.cfg, 'tracking-commands'), ORIGIN_MESSAGE_ID: '1:2:-1:-1' },
    });
    await producer.close();
    const dcid = cmd!.env.correlation_id;
    await waitUntil(() => store.workflow(dcid)?.status === 'failed', { what: 'the dead-lettered workflow' });
    const feed = store.feed(10).rows.find((m) => m.kind === 'dead-letter')!;
    expect(feed).toMatchObject({ type: 'tracking.create_event.command.v1', topic: dlq.short, id: cmd!.env.id, reason: 'dead-lettered from tracking-commands' });
  });

  it('reports backlog and consumers of service subscriptions from the admin stats', async () => {
    const consumer = await client.subscribe({ topic: topicName(scope.cfg, 'payment-commands'), subscription: 'payment-service', type: 'Shared' });
    try {
      await waitUntil(() => store.services().find((s) => s.service === 'payment')?.consumers === 1, { what: 'payment service seen as up' });
      expect(store.services().find((s) => s.service === 'campaign')!.consumers).toBe(0);
      // Messages the "service" does not ack pile up as backlog.
      for (const step of trackingChain().filter((s) => s.topic === 'payment-commands')) await publisher.publish(step.env, { topic: step.topic });
      await waitUntil(() => sub('payment-commands', 'payment-service')?.backlog === 1, { what: 'backlog 1 on payment-service' });
    } finally {
      await consumer.close();
    }
    await waitUntil(() => sub('payment-commands', 'payment-service')?.consumers === 0, { what: 'consumer gone' });
  });

  it('with a start time, fills the screen with what was published since then', async () => {
    const earlier = trackingChain();
    for (const step of earlier) await publisher.publish(step.env, { topic: step.topic });
    const late = createMonitor(scope.cfg, { start: { publishTime: Date.now() - 60_000 }, statsIntervalMs: 60_000 });
    const lateStore = new DashboardStore(late.info, late.topics);
    try {
      await late.start(lateStore);
      await waitUntil(() => lateStore.workflow(earlier[0]!.env.correlation_id)?.status === 'done', { what: 'history replayed' });
      // Everything since the start time, not only the last workflow.
      expect(lateStore.workflowCount).toBeGreaterThanOrEqual(4);
    } finally {
      await late.close();
    }
  });

  it('closes every reader on close: no reader subscription is left on the broker', async () => {
    await monitor.close();
    await waitUntil(
      async () => {
        for (const t of monitor.topics) {
          const stats = await scope.admin.topicStats(t.name);
          if (Object.keys(stats.subscriptions).some((name) => name.startsWith('miso-reader-'))) return false;
        }
        return true;
      },
      { what: 'reader subscriptions gone', timeoutMs: 15_000 },
    );
  });

  function sub(topic: string, name: string) {
    return store
      .topicRows()
      .find((r) => r.short === topic)
      ?.subscriptions.find((s) => s.name === name);
  }

  function readersUp(): Promise<boolean> {
    return Promise.all(
      monitor.topics.map(async (t) => Object.keys((await scope.admin.topicStats(t.name)).subscriptions).some((n) => n.startsWith('miso-reader-'))),
    ).then((all) => all.every(Boolean));
  }
});
