import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { freshScope, outboxesDrained, readAllDecoded, readUntil, testClient } from './support.js';

/** Two commission instances on a Key_Shared subscription: the work is split by key, each command handled once. */
describe('scaling a service with --key-shared', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  const instances: RunningServices[] = [];

  beforeAll(async () => {
    scope = await freshScope('svc-keyshared');
    client = testClient();
    for (const n of [1, 2]) {
      instances.push(
        await startServices({
          cfg: scope.cfg,
          client,
          services: ['commission'],
          keyShared: true,
          db: `${scope.dataDir}/commission-${n}.db`,
          ports: { commission: 0 },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const r of instances) await r.stop();
    await client?.close();
    await scope?.drop();
  });

  it('splits commands by aggregate key between the instances and handles each once', async () => {
    const [a, b] = instances.map((r) => r.hosts[0]!);
    expect(a!.producerName).not.toBe(b!.producerName);
    const pub = new Publisher(client, scope.cfg);
    const total = 60;
    const sent = [];
    try {
      for (let i = 0; i < total; i++) {
        sent.push(
          await pub.sendCommand('commission.calculate', { tracking_event_id: `te-${i}`, campaign_id: 'c', video_id: 'v', user_id: 'u', event_type: 'click' }),
        );
      }
    } finally {
      await pub.close();
    }
    const ids = new Set(sent.map((s) => s.correlationId));
    await readUntil(client, scope.cfg, 'commission-events', (s) => s.filter((m) => ids.has(m.env.correlation_id)).length >= total);
    // Then to the topic's end: a copy published after the expected count must count too.
    await outboxesDrained([a!.url!, b!.url!]);
    const mine = (await readAllDecoded(client, scope.cfg, 'commission-events')).filter((m) => ids.has(m.env.correlation_id));
    expect(mine).toHaveLength(total);
    expect(new Set(mine.map((m) => (m.env.payload as { tracking_event_id: string }).tracking_event_id)).size).toBe(total);
    const handled = [a!, b!].map((h) => h.metrics.handled.get({ service: 'commission', type: 'commission.calculate.command.v1' }));
    expect(handled[0]! + handled[1]!).toBe(total);
    expect(handled[0]).toBeGreaterThan(0);
    expect(handled[1]).toBeGreaterThan(0);
    // Each instance published through its own outbox producer.
    const producers = new Set(mine.map((m) => m.msg.producerName));
    expect(producers).toEqual(new Set([a!.producerName, b!.producerName]));
  });
});
