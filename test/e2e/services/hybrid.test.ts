import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { serviceSubscription, topicName } from '../../../src/core/topics.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { waitUntil } from '../../support/env.js';
import { freshScope, getJson, postJson, readAllDecoded, readUntil, testClient } from '../../integration/services/support.js';
import { metricSum } from '../../faults/cluster.js';
import { startServiceProcess, type ServiceProcess } from './procs.js';

/**
 * `--mode hybrid` on one instance: a single `miso run campaign` process consumes the command
 * topic and serves the REST routes. It is the only consumer on the service subscription, its
 * handled-commands counter counts both, and both events leave through its outbox producer.
 */
describe('hybrid mode: one instance, commands from the topic and over REST', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  let proc: ServiceProcess;
  const env = { MISO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'miso-e2e-hybrid-')) };
  const handled = async () => metricSum(await (await fetch(`${proc.url}/metrics`)).text(), 'miso_messages_handled_total');

  beforeAll(async () => {
    scope = await freshScope('svc-hybrid');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    proc = await startServiceProcess('campaign', [...scope.flags, '--db', join(scope.dataDir, 'campaign.db'), '--mode', 'hybrid'], env);
  });

  afterAll(async () => {
    await proc?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('handles a command from the topic and answers REST, both in the same process', async () => {
    const health = await getJson(`${proc.url}/health`);
    expect(health.body).toMatchObject({
      status: 'ok',
      mode: 'hybrid',
      topics_subscribed: [{ topic: topicName(scope.cfg, 'campaign-commands'), subscription: serviceSubscription('campaign') }],
    });
    // SQLite: one outbox slice, published by this process under one producer name.
    const producers = await waitUntil(
      async () => {
        const names = (await getJson(`${proc.url}/health`)).body.producer_names as string[] | undefined;
        return names && names.length > 0 ? names : undefined;
      },
      { what: 'the outbox producer' },
    );
    expect(producers).toHaveLength(1);
    const producer = producers[0];
    expect(await handled()).toBe(0);

    // The only consumer of the service subscription is this process: a command on the topic can go nowhere else.
    const admin = new AdminClient(scope.cfg);
    const stats = await admin.topicStats(topicName(scope.cfg, 'campaign-commands'));
    expect(stats.subscriptions[serviceSubscription('campaign')]?.consumers).toHaveLength(1);

    const viaTopic = await pub.sendCommand('campaign.create', { campaign_id: 'hy-topic', user_id: 'u', name: 'From the topic' });
    await readUntil(client, scope.cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === viaTopic.id));
    await waitUntil(async () => (await handled()) === 1, { what: 'the topic command counted by the process' });

    // The same process answers over REST with what the topic command did …
    expect(await getJson(`${proc.url}/campaigns/hy-topic`)).toMatchObject({ status: 200, body: { campaignId: 'hy-topic', name: 'From the topic' } });
    // … and takes a command over REST, counted by the same counter.
    const viaRest = await postJson(`${proc.url}/campaigns`, { campaign_id: 'hy-rest', user_id: 'u', name: 'Over REST' });
    expect(viaRest.status).toBe(201);
    expect(await handled()).toBe(2);
    expect((await getJson(`${proc.url}/health`)).body.stats).toMatchObject({ campaigns: 2 });

    // Both events went out through this process's outbox producer.
    await waitUntil(async () => (await getJson(`${proc.url}/health`)).body.outbox_depth === 0, { what: 'the outbox to drain' });
    const events = (await readAllDecoded(client, scope.cfg, 'campaign-events')).filter((e) => e.env.type === 'campaign.created.v1');
    expect(events.map((e) => [(e.env.payload as { campaign_id: string }).campaign_id, e.env.causation_id, e.msg.producerName])).toEqual([
      ['hy-topic', viaTopic.id, producer],
      ['hy-rest', viaRest.body.id, producer],
    ]);
    expect((await admin.topicStats(topicName(scope.cfg, 'campaign-commands'))).subscriptions[serviceSubscription('campaign')]).toMatchObject({
      msgBacklog: 0,
      unackedMessages: 0,
    });
  });
});
