import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ResolvedConfig } from '../../../src/config/index.js';
import { initCluster } from '../../../src/core/init.js';
import { Publisher } from '../../../src/core/publisher.js';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import { waitUntil } from '../../support/env.js';
import { startStandalone, type Standalone } from '../../support/broker.js';
import { requirePulsar } from '../../support/peers.js';
import { getJson, outboxesDrained, postJson, readAllDecoded, readUntil } from './support.js';

/**
 * The broker goes away under running services (a private standalone, never the shared one):
 * /health says so, commands taken over HTTP meanwhile wait in the outbox, and once the broker
 * is back everything is published and the chain runs again — nothing lost, nothing twice.
 */
describe.skipIf(!requirePulsar())('services across a broker restart', () => {
  let broker: Standalone;
  let cfg: ResolvedConfig;
  let running: RunningServices;
  let client: PulsarClient;
  const dataDir = mkdtempSync(join(tmpdir(), 'miso-svc-restart-'));
  const url = (svc: string) => running.hosts.find((h) => h.def.name === svc)!.url!;

  beforeAll(async () => {
    broker = await startStandalone();
    cfg = resolveConfig({ serviceUrl: broker.serviceUrl, adminUrl: broker.adminUrl, tenant: 'restart', namespace: 'ns' });
    const report = await initCluster(cfg);
    if (!report.ok) throw new Error('init failed on the private broker');
    running = await startServices({
      cfg,
      services: ['campaign', 'tracking', 'commission', 'payment'],
      mode: 'hybrid',
      dataDir,
      ports: { campaign: 0, tracking: 0, commission: 0, payment: 0 },
      nackDelayMs: 100,
    });
    client = new PulsarClient({ serviceUrl: broker.serviceUrl, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } });
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    await client?.close();
    await broker?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports the outage, keeps accepted commands in the outbox, and catches up', async () => {
    const created = await postJson(`${url('campaign')}/campaigns`, { campaign_id: 'c1', user_id: 'owner', name: 'Before' });
    expect(created.status).toBe(201);
    const video = await postJson(`${url('campaign')}/campaigns/c1/videos`, { url: 'https://videos.example/1', title: 'V' });
    await waitUntil(async () => (await getJson(`${url('tracking')}/health`)).body.stats.videos === 1, { timeoutMs: 30_000 });

    await broker.stop();
    const down = await waitUntil(
      async () => {
        const h = await getJson(`${url('campaign')}/health`);
        return h.status === 503 ? h : undefined;
      },
      { timeoutMs: 30_000, what: '/health to report the outage' },
    );
    expect(down.body).toMatchObject({ status: 'degraded', broker_connected: false });

    // Taken while the broker is down: committed locally, waiting in the outbox.
    const during = await postJson(`${url('campaign')}/campaigns`, { campaign_id: 'c2', user_id: 'owner', name: 'During' });
    expect(during.status).toBe(201);
    expect((await getJson(`${url('campaign')}/health`)).body.outbox_depth).toBeGreaterThanOrEqual(1);

    await broker.start();
    await waitUntil(async () => (await getJson(`${url('campaign')}/health`)).status === 200, { timeoutMs: 60_000, what: 'the service to reconnect' });
    await waitUntil(async () => (await getJson(`${url('campaign')}/health`)).body.outbox_depth === 0, { timeoutMs: 60_000, what: 'the outbox to drain' });
    await readUntil(client, cfg, 'campaign-events', (s) => s.some((m) => (m.env.payload as { campaign_id?: string }).campaign_id === 'c2'), {
      timeoutMs: 30_000,
    });
    // To the topic's end: the outbox published across the outage must not have sent c1 or c2 twice.
    const events = await readAllDecoded(client, cfg, 'campaign-events', { adminUrl: broker.adminUrl });
    expect(events.filter((m) => m.env.type === 'campaign.created.v1').map((m) => (m.env.payload as { campaign_id: string }).campaign_id)).toEqual(['c1', 'c2']);

    // The chain runs again end to end.
    const pub = new Publisher(client, cfg);
    try {
      const sent = [];
      for (let i = 0; i < 10; i++) {
        sent.push(
          await pub.sendCommand('tracking.create_event', { event_type: 'click', campaign_id: 'c1', video_id: video.body.result.videoId, visitor_id: `v${i}` }),
        );
      }
      const ids = new Set(sent.map((s) => s.correlationId));
      await readUntil(client, cfg, 'payment-events', (s) => s.filter((m) => ids.has(m.env.correlation_id)).length >= 10, { timeoutMs: 60_000 });
      await outboxesDrained(running.hosts.map((h) => h.url!));
      const paid = await readAllDecoded(client, cfg, 'payment-events', { adminUrl: broker.adminUrl });
      expect(paid.filter((m) => ids.has(m.env.correlation_id))).toHaveLength(10);
    } finally {
      await pub.close();
    }
  }, 240_000);
});
